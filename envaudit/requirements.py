"""Declared requirements: read from requirements*.txt and pyproject.toml, classified, and checked.

Parsing uses ``packaging``; this module only handles the file formats around it (pip's requirements
file syntax: continuations, comments, options, includes; PEP 621 / PEP 735 tables). Every problem
in a file is collected and reported at once, each as FILE:LINE.
"""

from __future__ import annotations

import os
import re
import stat
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from packaging.markers import InvalidMarker, Marker
from packaging.requirements import InvalidRequirement
from packaging.requirements import Requirement as PkgRequirement
from packaging.specifiers import SpecifierSet
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from envaudit import pipsyntax
from envaudit.errors import InputError, os_problem
from envaudit.model import (
    Distribution,
    Issue,
    OriginKind,
    PinKind,
    Requirement,
    RequirementKind,
    RequirementStatus,
)
from envaudit.project import repository_root, requirement_files

if TYPE_CHECKING:
    from envaudit.declarations import DynamicFile
    from envaudit.locks import Lock

COMMENT = pipsyntax.COMMENT  # pin rebuilds lines with pip's own comment rule
LogicalLine = pipsyntax.LogicalLine
logical_lines = pipsyntax.logical_lines


@dataclass(frozen=True, slots=True)
class Problem:
    location: str  # FILE:LINE
    message: str


class RequirementsError(InputError):
    """Every problem found in the declared requirements, reported at once."""

    def __init__(self, problems: list[Problem]) -> None:
        first, *rest = problems
        extra = "".join(f"\n{p.location}: {p.message}" for p in rest)
        super().__init__(first.location, first.message + extra)
        self.problems = problems


# --- classification ---------------------------------------------------------------------------


def classify(specifier: SpecifierSet, url: str | None) -> PinKind:
    if url:
        return PinKind.URL
    specs = list(specifier)
    if any(s.operator == "===" or (s.operator == "==" and not s.version.endswith("*")) for s in specs):
        return PinKind.PINNED
    if any(
        s.operator in ("<", "<=", "~=") or (s.operator == "==" and s.version.endswith("*")) for s in specs
    ):
        return PinKind.BOUNDED
    if any(s.operator in (">", ">=") for s in specs):
        return PinKind.LOWER_BOUND_ONLY
    return PinKind.UNPINNED


# --- requirements files -----------------------------------------------------------------------


def split_options(line: str) -> tuple[str, list[str]]:
    """``REQ --opt ...`` split as pip splits it: the requirement, and its option tokens."""
    args, options = pipsyntax.break_args_options(line)
    return args, [t for t in options.split(" ") if t]


def _name_from_url(url: str, base: Path, roots: tuple[Path, ...] | None = None) -> str | None:
    """The distribution a bare URL or path requirement names, where that can be told without fetching."""
    egg = pipsyntax.egg_fragment(url)  # SyntaxProblem if pip would refuse it
    if egg:
        return egg
    filename = url.split("#", 1)[0].split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    try:
        return str(parse_wheel_filename(filename)[0])
    except InvalidWheelFilename:
        pass
    try:
        return str(parse_sdist_filename(filename)[0])
    except InvalidSdistFilename:
        pass
    local = url[len("file://") :] if url.startswith("file://") else url
    if not pipsyntax.is_url(local) and "://" not in local:
        project = (
            (base / local / "pyproject.toml")
            if not Path(local).is_absolute()
            else Path(local) / "pyproject.toml"
        )
        try:
            if not _within(project.resolve(), roots):
                return None  # outside the project: not read, so not named
            name = tomllib.loads(read_declared_file(project).decode()).get("project", {}).get("name")
        except (OSError, RuntimeError, UnsafeFile, tomllib.TOMLDecodeError, UnicodeDecodeError):
            return None
        return name if isinstance(name, str) else None
    return None


def _looks_like_url_or_path(text: str) -> bool:
    return pipsyntax.is_url(text) or text.startswith((".", "/", "~")) or pipsyntax.is_archive(text)


# A requirements file (or pyproject.toml) larger than this is not one: pip-compile output with
# hashes for a thousand packages is well under 2 MiB.
MAX_FILE_BYTES = 8 << 20
# Never read, whatever a file names or a symlink points at: kernel and device files are not
# requirements, and reading them leaks secrets (/proc/self/environ) or blocks (a FIFO, /dev/zero).
_SPECIAL_ROOTS = (Path("/proc"), Path("/sys"), Path("/dev"))


class UnsafeFile(Exception):
    """A declared-requirements file that must not be read; the message says why."""


def read_declared_file(path: Path) -> bytes:
    """The bytes of a requirements file or pyproject.toml: a regular file, no larger than
    MAX_FILE_BYTES, never a device, FIFO, socket or a file of /proc, /sys or /dev.

    Raises OSError as ``open`` does, UnsafeFile for what is refused."""
    resolved = path.resolve()
    if any(resolved.is_relative_to(root) for root in _SPECIAL_ROOTS):
        raise UnsafeFile(f"{path} is a system file, not a requirements file (never read)")
    # O_NONBLOCK: opening a FIFO must not wait for a writer; the fstat below refuses it anyway.
    fd = os.open(resolved, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fh.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise UnsafeFile(f"{path} is not a regular file (a device, FIFO or socket is never read)")
        data = fh.read(MAX_FILE_BYTES + 1)  # one byte more tells a file that is too large
    if len(data) > MAX_FILE_BYTES:
        raise UnsafeFile(f"{path} is larger than {MAX_FILE_BYTES >> 20} MiB: not a requirements file")
    return data


def allowed_roots(project: Path) -> tuple[Path, ...]:
    """Where a project's files may include others from: the project folder, and the repository
    it lives in (monorepos share constraint files at the top)."""
    root = project.resolve()
    repository = repository_root(root)
    return (root,) if repository is None else (root, repository)


def _leading_name(text: str) -> str:
    """The requirement's name as far as it can be told: the only part of a bad line ever echoed,
    since the line may come from a file that is not a requirements file at all (a ``.env``)."""
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]{0,99})", text)
    return match.group(1) if match else ""


def _within(resolved: Path, roots: tuple[Path, ...] | None) -> bool:
    """Whether a resolved path may be read: inside one of ``roots`` (None: anywhere)."""
    return roots is None or any(resolved.is_relative_to(root) for root in roots)


@dataclass
class _Reader:
    """Reads one requirements file and the files it includes, collecting problems as it goes."""

    display_root: Path
    problems: list[Problem] = field(default_factory=list)
    requirements: list[Requirement] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    # Every file in the order it was read, with what was read (None: refused or unreadable).
    visited: dict[Path, bytes | None] = field(default_factory=dict)
    # Folders that files may be read from (None: anywhere, --allow-outside-includes); a project
    # copied out of a target is confined to its own folder, whatever is asked.
    roots: tuple[Path, ...] | None = None
    confined: bool = False  # a project copied out of a target: no flag lets it reach further

    def display(self, path: Path) -> str:
        try:
            return str(path.resolve().relative_to(self.display_root))
        except ValueError:
            return str(path.resolve())

    def read(self, path: Path, kind: RequirementKind, included_from: str | None) -> None:
        where = included_from or str(path)
        raw = self.read_bytes(path, where)
        if raw is None:
            return
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            lineno = raw[: exc.start].count(b"\n") + 1
            self.problems.append(Problem(f"{self.display(path)}:{lineno}", "not UTF-8 text"))
            return
        for line in logical_lines(text):
            self._line(path, line, kind)

    def read_bytes(self, path: Path, where: str) -> bytes | None:
        """The file's bytes, or None with the problem recorded (outside the roots, unsafe,
        unreadable, already read)."""
        try:
            resolved = path.resolve()
        except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop, on Python < 3.13
            self.problems.append(Problem(where, f"cannot read {path}: {os_problem(exc)}"))
            return None
        if not _within(resolved, self.roots):
            problem = (
                f"{path} is outside the project folder: not read"
                if self.confined
                else f"{path} is outside the project folder and its repository: not read "
                "(pass --allow-outside-includes to read it)"
            )
            self.problems.append(Problem(where, problem))
            return None
        if resolved in self.visited:
            return None  # included twice, or an include cycle: each file is read once
        self.visited[resolved] = None
        try:
            data = read_declared_file(path)
        except FileNotFoundError:
            self.problems.append(Problem(where, f"requirements file not found: {path}"))
        except UnsafeFile as exc:
            self.problems.append(Problem(where, str(exc)))
        except OSError as exc:
            self.problems.append(Problem(where, f"cannot read {path}: {os_problem(exc)}"))
        else:
            self.visited[resolved] = data
            return data
        return None

    def _line(self, path: Path, line: LogicalLine, kind: RequirementKind) -> None:
        where = f"{self.display(path)}:{line.lineno}"
        try:
            args, options_text = pipsyntax.break_args_options(line.text)
            args = args.strip()  # pip strips the requirement too; joined lines leave spaces behind
            options = pipsyntax.parse_options(options_text)
            if args:
                self._requirement(path, line, args, tuple(options.get("--hash")), kind, editable=False)
            elif options.get("--editable"):
                self._requirement(path, line, options.get("--editable")[0], (), kind, editable=True)
            elif options.get("--requirement") or options.get("--constraint"):
                # As pip: one include per line, -r first; what -r includes is read as requirements
                # (even from a constraints file), what -c includes as constraints.
                value, include = (
                    (options.get("--requirement")[0], RequirementKind.REQUIREMENT)
                    if options.get("--requirement")
                    else (options.get("--constraint")[0], RequirementKind.CONSTRAINT)
                )
                self.read(path.parent / value, include, where)
        except pipsyntax.SyntaxProblem as exc:
            self.problems.append(Problem(where, str(exc)))

    def _requirement(
        self,
        path: Path,
        line: LogicalLine,
        text: str,
        hashes: tuple[str, ...],
        kind: RequirementKind,
        *,
        editable: bool,
    ) -> None:
        """One requirement (``text`` as expanded): a PEP 508 line, or a URL or path pip names by
        its wheel file name or ``#egg=``, or from the local project's pyproject.toml."""
        source = self.display(path)
        where = f"{source}:{line.lineno}"
        written = _written_requirement(line, text)
        requirement, marker = pipsyntax.split_marker(text)
        requirement = requirement.strip()
        location, extras = pipsyntax.strip_extras(requirement)
        is_link = (
            pipsyntax.is_url(requirement)
            or editable
            or (pipsyntax.is_archive(location) and not _pep440_url(requirement))
            or (pipsyntax.looks_like_path(requirement) and (path.parent / location).is_dir())
        )
        if not is_link:
            parsed = _parse(text, where, self.problems, written)
            if parsed is not None and written != text and not _names_itself(written, parsed.name):
                # pip would install whatever the variable holds: never stored or shown, it may be a secret.
                message = "its name comes from an environment variable (${...}): not read"
                self.issues.append(Issue(code="requirement-name-from-variable", message=message, path=where))
                return
            if parsed is not None:
                found = _from_packaging(
                    parsed,
                    text=written,
                    source=source,
                    line=line.lineno,
                    kind=kind,
                    group=None,
                    hashes=hashes,
                )
                if found.url and written != text:  # NAME @ URL: the URL as written, ${VAR} unexpanded
                    found = replace(found, url=written.split("@", 1)[1].split(";", 1)[0].strip())
                self.requirements.append(found)
            return
        if pipsyntax.is_url(requirement):
            location, extras = requirement, None
        folder = path.parent / location
        if not pipsyntax.is_url(location) and folder.is_dir() and not _installable(folder):
            raise pipsyntax.SyntaxProblem(
                "a directory with neither setup.py nor pyproject.toml: not installable"
            )
        if (
            editable
            and pipsyntax.is_url(location)
            and not location.lower().startswith((*pipsyntax.VCS_PREFIXES, "file:"))
        ):
            raise pipsyntax.SyntaxProblem(
                "an editable requirement must be a local project or a VCS URL (git+, hg+, svn+, bzr+)"
            )
        name = pipsyntax.egg_fragment(location) or _name_from_url(location, path.parent, self.roots)
        if name is None and editable and location.lower().startswith(pipsyntax.VCS_PREFIXES):
            raise pipsyntax.SyntaxProblem(
                "an editable VCS URL needs #egg=NAME (or NAME @ URL) to say what it installs"
            )
        if name is None:
            shown = _shown_location(_written_requirement(line, location))
            self.issues.append(
                Issue(
                    code="unnamed-requirement",
                    message=f"cannot tell which distribution {shown!r} installs; add #egg=NAME",
                    path=where,
                )
            )
            return
        wheel_version = _wheel_version(location)
        self.requirements.append(
            Requirement(
                name=name,
                canonical_name=canonicalize_name(name),
                text=written,
                source=source,
                line=line.lineno,
                kind=kind,
                group=None,
                pin=PinKind.URL,
                specifier=f"=={wheel_version}" if wheel_version else "",  # pip: a wheel is NAME==VERSION
                extras=tuple(sorted(e.strip() for e in extras.strip("[]").split(",") if e.strip()))
                if extras
                else (),
                marker=marker,
                url=_written_requirement(line, location),
                editable=editable,
                hashes=hashes,
            )
        )


def _written_requirement(line: LogicalLine, text: str) -> str:
    """``text`` as written in the file, before ``${VAR}`` expansion: what is shown, stored and edited
    (an expanded variable may hold a secret, and the file says ``${VAR}``)."""
    if line.written == line.text:
        return text
    args, _ = pipsyntax.break_args_options(line.written)
    return args.strip() or text


def _names_itself(written: str, name: str) -> bool:
    """Whether the requirement as written starts with its own name (not a ``${VAR}`` standing for it)."""
    return written.lstrip().lower().startswith(name.lower())


def _installable(folder: Path) -> bool:
    return (folder / "pyproject.toml").is_file() or (folder / "setup.py").is_file()


def _wheel_version(location: str) -> str | None:
    filename = location.split("#", 1)[0].split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    try:
        return str(parse_wheel_filename(filename)[1])
    except InvalidWheelFilename:
        return None


def _pep440_url(text: str) -> bool:
    """``name @ https://…/x.whl``: a PEP 508 URL requirement, not a bare archive path (pip's rule:
    an ``@`` whose left side does not look like a path)."""
    head, at, _ = text.partition("@")
    return bool(at) and not pipsyntax.looks_like_path(head)


def _parse(
    text: str, where: str, problems: list[Problem], written: str | None = None
) -> PkgRequirement | None:
    try:
        return PkgRequirement(text)
    except InvalidRequirement as exc:
        # Only the name as written (never a ${VAR} expanded) and packaging's first line (which names
        # the expected token, not the text): the line may be a secret from a file that was never a
        # requirements file.
        detail = str(exc).splitlines()[0][:200] if written is None or written == text else "not PEP 508"
        name = _leading_name(text if written is None else written)
        shown = f"invalid requirement {name!r}" if name else "invalid requirement"
        problems.append(Problem(where, f"{shown}: {detail}"))
        return None


def _shown_location(text: str) -> str:
    """A URL or path requirement as it may be shown: credentials masked, bounded in length."""
    from envaudit.envvars import mask_url_credentials
    from envaudit.textsafe import clip

    return clip(mask_url_credentials(text), 200)


def _from_packaging(
    req: PkgRequirement,
    *,
    text: str,
    source: str,
    line: int | None,
    kind: RequirementKind,
    group: str | None,
    hashes: tuple[str, ...] = (),
) -> Requirement:
    return Requirement(
        name=req.name,
        canonical_name=canonicalize_name(req.name),
        text=text,
        source=source,
        line=line,
        kind=kind,
        group=group,
        pin=classify(req.specifier, req.url),
        specifier=str(req.specifier),
        extras=tuple(sorted(req.extras)),
        marker=str(req.marker) if req.marker else None,
        url=req.url,
        hashes=hashes,
    )


# --- pyproject.toml ---------------------------------------------------------------------------


def _locate(text: str, start: int, value: str) -> tuple[int | None, int]:
    """Line of the first string literal equal to ``value`` at or after ``start``; and the new cursor."""
    for quoted in (f'"{value}"', f"'{value}'"):
        pos = text.find(quoted, start)
        if pos >= 0:
            return text.count("\n", 0, pos) + 1, pos + len(quoted)
    return None, start


def _table_offset(text: str, header: str) -> int:
    match = re.search(rf"^\s*\[\s*{re.escape(header)}\s*\]", text, re.MULTILINE)
    return match.end() if match else 0


def _key_offset(text: str, start: int, key: str) -> int:
    match = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=", re.MULTILINE).search(text, start)
    return match.end() if match else start


@dataclass
class Pyproject:
    """What one pyproject.toml declares, and what reading it met."""

    requirements: list[Requirement] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    files: list[DynamicFile] = field(default_factory=list)  # setuptools' dynamic dependency files
    data: dict[str, Any] | None = None  # the parsed file, for what else needs it (lock staleness)


def read_pyproject(raw: bytes, display: str) -> Pyproject:
    """PEP 621 and PEP 735 tables (a bad entry is a problem: every tool refuses it), then every
    project manager's own tables (``declarations``; what cannot be interpreted there is an issue)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return Pyproject(problems=[Problem(display, "not UTF-8 text")])
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return Pyproject(problems=[Problem(display, f"TOML syntax error: {exc}")])
    found = Pyproject(data=data)
    problems = found.problems
    requirements = found.requirements

    def add(values: Any, group: str, where: str, offset: int) -> None:
        if not isinstance(values, list):
            problems.append(Problem(display, f"{where} must be an array of strings"))
            return
        cursor = offset
        for value in values:
            if isinstance(value, dict) and "include-group" in value:
                continue  # PEP 735: added below, under the including group too
            if not isinstance(value, str):
                problems.append(Problem(display, f"{where} must be an array of strings, found {value!r}"))
                continue
            line, cursor = _locate(text, cursor, value)
            loc = f"{display}:{line}" if line else display
            parsed = _parse(value, loc, problems)
            if parsed is not None:
                requirements.append(
                    _from_packaging(
                        parsed,
                        text=value,
                        source=display,
                        line=line,
                        kind=RequirementKind.REQUIREMENT,
                        group=group,
                    )
                )

    project = data.get("project", {})
    if isinstance(project, dict):
        if "dependencies" in project:
            start = _key_offset(text, _table_offset(text, "project"), "dependencies")
            add(project["dependencies"], "dependencies", "project.dependencies", start)
        optional = project.get("optional-dependencies", {})
        if isinstance(optional, dict):
            table = _table_offset(text, "project.optional-dependencies")
            for extra, values in optional.items():
                start = _key_offset(text, table, extra)
                add(values, f"optional:{extra}", f"project.optional-dependencies.{extra}", start)
    groups = data.get("dependency-groups", {})
    if isinstance(groups, dict):
        table = _table_offset(text, "dependency-groups")
        for name, values in groups.items():
            start = _key_offset(text, table, name)
            add(values, f"group:{name}", f"dependency-groups.{name}", start)
        _included_groups(groups, found, display)
    _tool_tables(data, text, display, found)
    return found


def _included_groups(groups: dict[str, Any], found: Pyproject, display: str) -> None:
    """PEP 735's ``{include-group = "x"}``: x's entries count under the including group too."""
    own = {name: [r for r in found.requirements if r.group == f"group:{name}"] for name in groups}

    def expanded(name: str, seen: tuple[str, ...]) -> list[Requirement]:
        if name in seen:
            cycle = " → ".join((*seen, name))
            found.problems.append(Problem(display, f"dependency-groups include each other: {cycle}"))
            return []
        out = list(own.get(name, []))
        for value in groups.get(name) or ():
            if isinstance(value, dict) and "include-group" in value:
                included = value["include-group"]
                if not isinstance(included, str) or included not in groups:
                    found.problems.append(
                        Problem(
                            display, f"dependency-groups.{name} includes {included!r}, which is not a group"
                        )
                    )
                    continue
                out.extend(expanded(included, (*seen, name)))
        return out

    for name in groups:
        for r in expanded(name, ())[len(own.get(name, [])) :]:
            found.requirements.append(replace(r, group=f"group:{name}"))


def _tool_tables(data: dict[str, Any], text: str, display: str, found: Pyproject) -> None:
    """Poetry, PDM, uv, hatch and setuptools-dynamic tables (see ``declarations``)."""
    from envaudit.declarations import read_tool_tables

    tables = read_tool_tables(data, text)
    for note in tables.notes:
        where = f"{display}:{note.line}" if note.line else display
        found.issues.append(
            Issue(code="uninterpreted-dependency", message=f"[{note.table}] {note.message}", path=where)
        )
    for entry in tables.entries:
        where = f"{display}:{entry.line}" if entry.line else display
        if entry.editable or _looks_like_url_or_path(entry.pep508):
            try:
                name = _name_from_url(entry.pep508, Path(), ())
            except pipsyntax.SyntaxProblem:
                name = None
            if name is None:
                shown = _shown_location(entry.pep508)
                message = f"[{entry.table}] cannot tell which distribution {shown!r} installs"
                found.issues.append(Issue(code="unnamed-requirement", message=message, path=where))
                continue
            found.requirements.append(
                Requirement(
                    name=name,
                    canonical_name=canonicalize_name(name),
                    text=entry.shown,
                    source=display,
                    line=entry.line,
                    kind=entry.kind,
                    group=entry.group,
                    pin=PinKind.URL,
                    url=entry.pep508,
                    editable=entry.editable,
                )
            )
            continue
        try:
            parsed = PkgRequirement(entry.pep508)
        except InvalidRequirement as exc:
            detail = str(exc).splitlines()[0][:200]
            found.issues.append(
                Issue(
                    code="uninterpreted-dependency",
                    message=f"[{entry.table}] invalid requirement {_leading_name(entry.pep508)!r}: {detail}",
                    path=where,
                )
            )
            continue
        found.requirements.append(
            _from_packaging(
                parsed, text=entry.shown, source=display, line=entry.line, kind=entry.kind, group=entry.group
            )
        )
    if tables.sources:  # uv's sources say where a declared package comes from: a URL requirement
        found.requirements[:] = [
            replace(r, url=tables.sources[r.canonical_name], pin=PinKind.URL)
            if r.canonical_name in tables.sources and r.url is None
            else r
            for r in found.requirements
        ]
    found.files.extend(tables.files)


# --- the project ------------------------------------------------------------------------------


def read_file(
    path: Path, *, allow_outside: bool = False
) -> tuple[tuple[Requirement, ...], dict[Path, bytes]]:
    """The requirements declared in one file (a requirements file and its includes, or a
    pyproject.toml), and every file they came from with the bytes they were read from (an edit
    applies to those, and only while the file still holds them); sources are relative to
    ``path``'s folder. Includes stay inside that folder and its repository unless ``allow_outside``."""
    root = path.resolve().parent
    reader = _Reader(display_root=root, roots=None if allow_outside else allowed_roots(root))
    if not path.is_file():
        raise InputError(str(path), "no such file")
    if path.name == "pyproject.toml" or path.suffix == ".toml":
        _read_pyproject_into(reader, path)
    else:
        reader.read(path, RequirementKind.REQUIREMENT, None)
    if reader.problems:
        raise RequirementsError(reader.problems)
    return tuple(reader.requirements), {p: data for p, data in reader.visited.items() if data is not None}


def _read_pyproject_into(reader: _Reader, path: Path) -> dict[str, Any] | None:
    """The pyproject.toml's requirements and problems into ``reader``; its parsed data, if it parsed."""
    raw = reader.read_bytes(path, str(path))
    if raw is None:
        return None
    found = read_pyproject(raw, reader.display(path))
    reader.requirements.extend(found.requirements)
    reader.problems.extend(found.problems)
    reader.issues.extend(found.issues)
    for dynamic in found.files:  # setuptools reads them as lists of requirements: so do we
        where = f"{reader.display(path)}:{dynamic.line}" if dynamic.line else reader.display(path)
        before = len(reader.requirements)
        reader.read(path.parent / dynamic.path, RequirementKind.REQUIREMENT, where)
        reader.requirements[before:] = [replace(r, group=dynamic.group) for r in reader.requirements[before:]]
    return found.data


@dataclass(frozen=True, slots=True)
class Declared:
    """What a project declares: its requirements, the issues met reading them, and its locks."""

    requirements: tuple[Requirement, ...] = ()
    issues: tuple[Issue, ...] = ()
    locks: tuple[Lock, ...] = ()


def read_project(project: Path, *, confined: bool = False, allow_outside: bool = False) -> Declared:
    """Every requirement and lock declared in ``project``; raises RequirementsError listing all problems.

    Files (and the files they include) are read only from the project folder and the repository
    it is in, unless ``allow_outside``; ``confined`` (a project copied out of a target) keeps them
    to the project folder whatever is asked."""
    from envaudit import locks as lockfiles
    from envaudit.locks.hashed import HashedRequirements, is_hashed_lock

    root = project.resolve()
    roots: tuple[Path, ...] | None = (root,) if confined else None if allow_outside else allowed_roots(root)
    reader = _Reader(display_root=root, roots=roots, confined=confined)
    found: list[Lock] = []
    for path in requirement_files(project):
        before = len(reader.requirements)
        reader.read(path, RequirementKind.REQUIREMENT, None)
        if is_hashed_lock(reader.requirements[before:]):  # pip-compile --generate-hashes output
            found.append(HashedRequirements(reader.display(path), reader.requirements[before:]))
    pyproject = project / "pyproject.toml"
    pyproject_data = _read_pyproject_into(reader, pyproject) if pyproject.is_file() else None
    for path in lockfiles.discover(project):
        display = reader.display(path)
        raw = reader.read_bytes(path, display)
        if raw is None:
            continue
        try:
            found.append(lockfiles.read(raw, display, path.name))
        except InputError as exc:
            reader.problems.append(Problem(display, exc.problem))
    if reader.problems:
        raise RequirementsError(reader.problems)
    issues = [*reader.issues, *(_staleness_issue(lock, pyproject_data, root) for lock in found)]
    return Declared(tuple(reader.requirements), tuple(i for i in issues if i is not None), tuple(found))


def _staleness_issue(lock: Lock, pyproject: Mapping[str, Any] | None, root: Path) -> Issue | None:
    verdict = lock.staleness(pyproject, root)
    if verdict.stale is False:
        return None
    if verdict.stale:
        return Issue(
            code="lock-stale", message=f"{lock.display} is stale: {verdict.reason}", path=lock.display
        )
    return Issue(
        code="lock-freshness-unknown",
        message=f"whether {lock.display} is stale cannot be told: {verdict.reason}",
        path=lock.display,
    )


def read_project_files(files: Mapping[str, str], where: str) -> Declared:
    """The requirements a project folder *inside a target* declares (``--project /app`` of an
    image): the folder's files, given by relative path, are laid out in a private temporary folder
    and read like any project. Problems name ``where`` (e.g. ``docker:app:/app``) and the file."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="envaudit-project-") as tmp:
        root = Path(tmp)
        for relative, text in files.items():
            parts = [p for p in relative.replace("\\", "/").split("/") if p not in ("", ".")]
            if not parts or ".." in parts:
                continue  # never outside the private folder, whatever a hostile target reports
            path = root.joinpath(*parts)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8", errors="surrogateescape")
        try:
            return read_project(root, confined=True)
        except RequirementsError as exc:
            problems = [Problem(f"{where}/{p.location}", p.message) for p in exc.problems]
            raise RequirementsError(problems) from None


# --- checking against an environment ----------------------------------------------------------


def check(
    requirement: Requirement,
    installed: Mapping[str, Distribution],
    markers: Mapping[str, str],
) -> Requirement:
    """``requirement`` with its status in the environment whose distributions and markers are given."""
    if not applies(requirement, markers):
        return replace(requirement, status=RequirementStatus.NOT_APPLICABLE, installed_version=None)
    dist = installed.get(requirement.canonical_name)
    if dist is None:
        # A constraint installs nothing; a lock entry of an extra or group is installed only on request.
        optional = requirement.kind is RequirementKind.CONSTRAINT or (
            requirement.kind is RequirementKind.LOCKED and requirement.group is not None
        )
        status = RequirementStatus.NOT_APPLICABLE if optional else RequirementStatus.MISSING
        return replace(requirement, status=status, installed_version=None)
    if requirement.pin is PinKind.URL or not requirement.specifier:
        return replace(requirement, status=RequirementStatus.SATISFIED, installed_version=dist.version)
    ok = satisfies(requirement.specifier, dist.version)
    if ok is None:
        status = RequirementStatus.UNKNOWN
    else:
        status = RequirementStatus.SATISFIED if ok else RequirementStatus.WRONG_VERSION
    return replace(requirement, status=status, installed_version=dist.version)


def applies(requirement: Requirement, markers: Mapping[str, str]) -> bool:
    """Whether the requirement's marker holds where ``markers`` were read (no marker: it does).

    Only optional dependencies name an extra; a marker that cannot be evaluated counts as holding.
    """
    if not requirement.marker:
        return True
    environment = dict(markers)
    group = requirement.group or ""
    environment["extra"] = group.split(":", 1)[1] if group.startswith("optional:") else ""
    try:
        return bool(Marker(requirement.marker).evaluate(environment))
    except (InvalidMarker, KeyError, ValueError):
        return True


def satisfies(specifier: str, version: str) -> bool | None:
    """Whether ``version`` is allowed by ``specifier`` (pre-releases included); None if it is not PEP 440."""
    if not specifier:
        return True
    try:
        parsed = Version(version)
    except InvalidVersion:
        return None
    return SpecifierSet(specifier).contains(parsed, prereleases=True)


def check_all(
    requirements: Iterable[Requirement],
    distributions: Iterable[Distribution],
    markers: Mapping[str, str],
    locks: Sequence[Lock] = (),
) -> tuple[Requirement, ...]:
    """The declared requirements, and what each lock installs where ``markers`` hold, with their
    status in the environment of ``distributions``."""
    installed = {d.canonical_name: d for d in distributions}
    declared = [*requirements, *(r for lock in locks for r in locked_requirements(lock, markers))]
    return tuple(check(r, installed, markers) for r in declared)


def locked_requirements(lock: Lock, markers: Mapping[str, str]) -> list[Requirement]:
    """What ``lock`` installs where ``markers`` hold, as requirements of kind LOCKED (``==X``)."""
    out = []
    for package in lock.resolve(markers):
        version = package.version
        if not version:
            specifier = ""
        else:
            try:
                specifier = f"=={Version(version)}"
            except InvalidVersion:
                specifier = f"==={version}"
        out.append(
            Requirement(
                name=package.name,
                canonical_name=package.canonical_name,
                text=f"{package.name}=={version}" if version else package.name,
                source=lock.display,
                line=package.line,
                kind=RequirementKind.LOCKED,
                group=package.group,
                pin=PinKind.PINNED if specifier and package.origin is OriginKind.INDEX else PinKind.URL,
                specifier=specifier,
                url=package.url,
                editable=package.origin is OriginKind.EDITABLE,
            )
        )
    return out
