"""The dependency tables of every mainstream project manager in pyproject.toml, beyond PEP 621/735.

Poetry (``[tool.poetry.dependencies]``, ``dev-dependencies``, ``group.*``; caret, tilde, wildcard
and multiple-constraint syntax translated to PEP 508 by poetry-core, Poetry's own library), PDM
(``[tool.pdm.dev-dependencies]``), uv (``[tool.uv]`` dev, constraint and override dependencies;
``sources`` recorded as where a package comes from), hatch environments
(``[tool.hatch.envs.*]``) and setuptools' dynamic file dependencies. Each entry is handed back as
PEP 508 text with the text as written; anything that cannot be interpreted is a ``Note`` naming
the table and the entry, never dropped in silence. Parsing the PEP 508 text is the caller's.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from envaudit.model import RequirementKind


@dataclass(frozen=True, slots=True)
class Entry:
    pep508: str  # what it asks for, as PEP 508 (translated for Poetry)
    shown: str  # as written in the file
    group: str  # e.g. "poetry:dependencies", "uv:dev", "hatch:test"
    table: str  # the TOML table it was read from, for messages
    line: int | None
    kind: RequirementKind = RequirementKind.REQUIREMENT
    editable: bool = False


@dataclass(frozen=True, slots=True)
class Note:
    """An entry of a dependency table that envaudit cannot interpret, and why."""

    table: str
    line: int | None
    message: str


@dataclass(frozen=True, slots=True)
class DynamicFile:
    """A file setuptools reads dependencies from (``dynamic``), relative to the project."""

    path: str
    group: str
    table: str
    line: int | None


@dataclass
class ToolTables:
    entries: list[Entry] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    files: list[DynamicFile] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)  # canonical name -> where uv gets it


def read_tool_tables(data: Mapping[str, Any], text: str) -> ToolTables:
    found = ToolTables()
    tool = _dict(data.get("tool"))
    _poetry(_dict(tool.get("poetry")), text, found)
    _pdm(_dict(tool.get("pdm")), text, found)
    _uv(_dict(tool.get("uv")), text, found)
    _hatch(_dict(_dict(tool.get("hatch")).get("envs")), text, found)
    _setuptools_dynamic(data, _dict(_dict(tool.get("setuptools")).get("dynamic")), text, found)
    return found


# --- where things are in the text ------------------------------------------------------------------


def _header(text: str, table: str) -> int | None:
    """Offset just after the ``[table]`` header line, if the table has one."""
    dotted = r"\s*\.\s*".join(rf"(?:{re.escape(p)}|\"{re.escape(p)}\")" for p in table.split("."))
    match = re.search(rf"^\s*\[\s*{dotted}\s*\]", text, re.MULTILINE)
    return match.end() if match else None


def _line(text: str, table: str, key: str | None = None, value: str | None = None) -> int | None:
    """The line of ``key = ...`` in ``[table]`` (or of the string ``value`` after it); None if not found."""
    start = _header(text, table)
    if start is None:
        start = 0
        # Written as a key of a parent table (e.g. ``dev-dependencies = [...]`` under [tool.uv]).
        parent, _, last = table.rpartition(".")
        if parent:
            offset = _header(text, parent)
            if offset is None:
                return None
            found = re.compile(rf"^\s*[\"']?{re.escape(last)}[\"']?\s*=", re.MULTILINE).search(text, offset)
            if found is None:
                return None
            start = found.end()
    if key is not None:
        found = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=", re.MULTILINE).search(text, start)
        if found is None:
            return None
        start = found.start()
    if value is not None:
        for quoted in (f'"{value}"', f"'{value}'", f'"""{value}"""', f"'''{value}'''"):
            pos = text.find(quoted, start)
            if pos >= 0:
                return text.count("\n", 0, pos) + 1
        return None
    return text.count("\n", 0, start) + 1


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _strings(  # noqa: PLR0917 - one call per table kind, each naming every argument
    values: Any, group: str, table: str, text: str, found: ToolTables, kind: RequirementKind
) -> None:
    """An array of PEP 508 strings (PDM, uv, hatch), ``-e`` entries (PDM) marked editable."""
    if not isinstance(values, list):
        found.notes.append(Note(table, _line(text, table), "must be an array of requirement strings"))
        return
    for value in values:
        if not isinstance(value, str):
            found.notes.append(
                Note(table, _line(text, table), f"an entry that is not a string: {_short(value)}")
            )
            continue
        line = _line(text, table, value=value)
        if "{" in value and "}" in value:  # hatch's context formatting ({root:uri}): resolved by hatch
            found.notes.append(Note(table, line, f"{_short(value)} uses context formatting: not interpreted"))
            continue
        editable = value.startswith("-e ")
        requirement = value[3:].strip() if editable else value
        found.entries.append(Entry(requirement, value, group, table, line, kind, editable))


def _short(value: Any) -> str:
    shown = repr(value)
    return shown if len(shown) <= 80 else shown[:77] + "..."


# --- Poetry ----------------------------------------------------------------------------------------


def _poetry(poetry: dict[str, Any], text: str, found: ToolTables) -> None:
    if not poetry:
        return
    extras = {
        str(name).lower(): extra
        for extra, names in _dict(poetry.get("extras")).items()
        if isinstance(names, list)
        for name in names
    }
    tables = [("tool.poetry.dependencies", "poetry:dependencies", poetry.get("dependencies"))]
    tables.append(("tool.poetry.dev-dependencies", "poetry:group:dev", poetry.get("dev-dependencies")))
    for name, group in _dict(poetry.get("group")).items():
        tables.append(
            (
                f"tool.poetry.group.{name}.dependencies",
                f"poetry:group:{name}",
                _dict(group).get("dependencies"),
            )
        )
    for table, group, deps in tables:
        if deps is None:
            continue
        if not isinstance(deps, dict):
            found.notes.append(Note(table, _line(text, table), "must be a table of dependencies"))
            continue
        for name, spec in deps.items():
            if name.lower() == "python":
                continue  # the project's Python range, not a distribution
            line = _line(text, table, key=name)
            shown = f"{name} = {_toml_value(spec)}"
            in_group = group
            if isinstance(spec, dict) and spec.get("optional") is True:
                in_group = f"poetry:optional:{extras.get(name.lower(), 'extra')}"
            for pep508, problem in _poetry_pep508(name, spec):
                if pep508 is None:
                    found.notes.append(Note(table, line, f"{name}: {problem}"))
                else:
                    editable = isinstance(spec, dict) and spec.get("develop") is True
                    found.entries.append(Entry(pep508, shown, in_group, table, line, editable=editable))


def _poetry_pep508(name: str, spec: Any) -> list[tuple[str | None, str]]:
    """PEP 508 for one Poetry dependency (one per constraint of a multiple-constraint list), by
    poetry-core; or None and why it has no PEP 508 form (``1.2 || 1.3``, an unknown key)."""
    import logging
    from pathlib import Path

    from poetry.core.factory import Factory

    logging.getLogger("poetry.core").setLevel(logging.ERROR)  # "path does not exist": not ours to say
    specs = spec if isinstance(spec, list) else [spec]
    out: list[tuple[str | None, str]] = []
    for one in specs:
        if not isinstance(one, (str, dict)):
            out.append((None, f"a constraint that is neither a string nor a table: {_short(one)}"))
            continue
        try:
            dependency = Factory.create_dependency(name, one, root_dir=Path())
            pep508 = dependency.to_pep_508()
        except Exception as exc:  # poetry-core's own errors are many and untyped
            out.append((None, f"Poetry cannot read it ({type(exc).__name__}: {str(exc)[:120]})"))
            continue
        if "||" in pep508:
            out.append((None, f"{_short(one)} has no PEP 440 form (an either-or of ranges): not checked"))
            continue
        out.append((pep508, ""))
    return out


def _toml_value(value: Any) -> str:
    import json

    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return json.dumps(value)


# --- PDM, uv, hatch ----------------------------------------------------------------------------------


def _pdm(pdm: dict[str, Any], text: str, found: ToolTables) -> None:
    groups = pdm.get("dev-dependencies")
    if groups is None:
        return
    table = "tool.pdm.dev-dependencies"
    if not isinstance(groups, dict):
        found.notes.append(Note(table, _line(text, table), "must be a table of groups"))
        return
    for group, values in groups.items():
        _strings(values, f"pdm:dev:{group}", f"{table}.{group}", text, found, RequirementKind.REQUIREMENT)


_UV_TABLES = (
    ("dev-dependencies", "uv:dev", RequirementKind.REQUIREMENT),
    ("constraint-dependencies", "uv:constraint", RequirementKind.CONSTRAINT),
    ("override-dependencies", "uv:override", RequirementKind.CONSTRAINT),
)


def _uv(uv: dict[str, Any], text: str, found: ToolTables) -> None:
    for key, group, kind in _UV_TABLES:
        if key in uv:
            _strings(uv[key], group, f"tool.uv.{key}", text, found, kind)
    sources = uv.get("sources")
    if sources is None:
        return
    if not isinstance(sources, dict):
        found.notes.append(Note("tool.uv.sources", _line(text, "tool.uv.sources"), "must be a table"))
        return
    from envaudit.names import canonical

    for name, source in sources.items():
        where = _uv_source(source)
        if where is None:
            line = _line(text, "tool.uv.sources", key=name)
            found.notes.append(
                Note("tool.uv.sources", line, f"{name}: a source envaudit does not know: {_short(source)}")
            )
        elif where:
            found.sources[canonical(name)] = where


def _uv_source(source: Any) -> str | None:
    """Where uv gets a package from, as a URL-like string ("" for an index: versions still apply)."""
    options = source if isinstance(source, list) else [source]
    said = []
    for option in options:
        if not isinstance(option, dict):
            return None
        if isinstance(option.get("git"), str):
            rev = next((option[k] for k in ("rev", "tag", "branch") if isinstance(option.get(k), str)), "")
            said.append(f"git+{option['git']}" + (f"@{rev}" if rev else ""))
        elif isinstance(option.get("url"), str):
            said.append(option["url"])
        elif isinstance(option.get("path"), str):
            said.append(f"{option['path']} (path{', editable' if option.get('editable') else ''})")
        elif option.get("workspace") is True:
            said.append("workspace member")
        elif isinstance(option.get("index"), str):
            continue  # an index: the version specifiers still decide
        else:
            return None
    return " | ".join(said)


def _hatch(envs: dict[str, Any], text: str, found: ToolTables) -> None:
    for env, settings in envs.items():
        for key in ("dependencies", "extra-dependencies"):
            values = _dict(settings).get(key)
            if values is not None:
                _strings(
                    values,
                    f"hatch:{env}",
                    f"tool.hatch.envs.{env}.{key}",
                    text,
                    found,
                    RequirementKind.REQUIREMENT,
                )


# --- setuptools dynamic --------------------------------------------------------------------------


def _setuptools_dynamic(
    data: Mapping[str, Any], dynamic: dict[str, Any], text: str, found: ToolTables
) -> None:
    project = _dict(data.get("project"))
    dynamic_keys = project.get("dynamic")
    declared_dynamic: list[Any] = dynamic_keys if isinstance(dynamic_keys, list) else []
    table = "tool.setuptools.dynamic"
    if "dependencies" in declared_dynamic and "dependencies" in dynamic:
        _dynamic_files(dynamic["dependencies"], "dependencies", f"{table}.dependencies", text, found)
    if "optional-dependencies" in declared_dynamic:
        for extra, spec in _dict(dynamic.get("optional-dependencies")).items():
            _dynamic_files(spec, f"optional:{extra}", f"{table}.optional-dependencies.{extra}", text, found)


def _dynamic_files(spec: Any, group: str, table: str, text: str, found: ToolTables) -> None:
    files = _dict(spec).get("file")
    files = [files] if isinstance(files, str) else files
    line = _line(text, table.rsplit(".", 1)[0], key=table.rsplit(".", 1)[1])
    if not isinstance(files, list) or not files or not all(isinstance(f, str) for f in files):
        found.notes.append(Note(table, line, "must be {file = [...]} naming requirement files"))
        return
    found.files.extend(DynamicFile(f, group, table, line) for f in files)
