"""Declared requirements: read from requirements*.txt and pyproject.toml, classified, and checked.

Parsing uses ``packaging``; this module only handles the file formats around it (pip's requirements
file syntax: continuations, comments, options, includes; PEP 621 / PEP 735 tables). Every problem
in a file is collected and reported at once, each as FILE:LINE.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

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

from envaudit.errors import InputError
from envaudit.model import (
    Distribution,
    Issue,
    PinKind,
    Requirement,
    RequirementKind,
    RequirementStatus,
)
from envaudit.project import requirement_files

# pip options that may stand on a line of their own; they do not declare a requirement.
_GLOBAL_OPTIONS = frozenset(
    {
        "-i",
        "--index-url",
        "--extra-index-url",
        "--no-index",
        "-f",
        "--find-links",
        "--pre",
        "--trusted-host",
        "--prefer-binary",
        "--require-hashes",
        "--only-binary",
        "--no-binary",
        "--use-feature",
        "--config-settings",
        "--global-option",
        "--hash",
    }
)
_INCLUDE_OPTIONS = {
    "-r": RequirementKind.REQUIREMENT,
    "--requirement": RequirementKind.REQUIREMENT,
    "-c": RequirementKind.CONSTRAINT,
    "--constraint": RequirementKind.CONSTRAINT,
}
_EDITABLE_OPTIONS = ("-e", "--editable")
COMMENT = re.compile(r"(^|\s+)#.*$")
_URL_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")
_EGG_FRAGMENT = re.compile(r"[#&]egg=([A-Za-z0-9_.\-]+)")


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


@dataclass(frozen=True, slots=True)
class LogicalLine:
    lineno: int  # first physical line
    text: str  # comments stripped, continuations joined
    end: int = 0  # last physical line (the same as lineno unless continued)


def logical_lines(text: str) -> list[LogicalLine]:
    """pip's line rules: a trailing backslash continues a line; ``#`` after whitespace starts a comment."""
    out: list[LogicalLine] = []
    buffer: list[str] = []
    start = 0
    for lineno, raw in enumerate(text.splitlines(), 1):
        if not buffer:
            start = lineno
        line = COMMENT.sub("", raw)
        if line.endswith("\\"):
            buffer.append(line[:-1])
            continue
        buffer.append(line)
        joined = " ".join(part.strip() for part in buffer).strip()
        buffer = []
        if joined:
            out.append(LogicalLine(start, joined, lineno))
    if buffer:
        joined = " ".join(part.strip() for part in buffer).strip()
        if joined:
            out.append(LogicalLine(start, joined, start + len(buffer) - 1))
    return out


def split_options(line: str) -> tuple[str, list[str]]:
    """Split ``REQ --opt ...`` into the requirement and its per-line options, as pip does."""
    tokens = line.split(" ")
    for i, token in enumerate(tokens):
        if token.startswith("-") and i > 0:
            return " ".join(tokens[:i]).strip(), [t for t in tokens[i:] if t]
    return line, []


def _option_value(tokens: list[str], i: int) -> tuple[str | None, int]:
    token = tokens[i]
    if "=" in token and token.startswith("--"):
        return token.split("=", 1)[1], i + 1
    if len(token) > 2 and not token.startswith("--"):  # -rfile
        return token[2:], i + 1
    if i + 1 < len(tokens):
        return tokens[i + 1], i + 2
    return None, i + 1


def _hashes(options: list[str]) -> tuple[str, ...]:
    hashes: list[str] = []
    i = 0
    while i < len(options):
        if options[i].startswith("--hash"):
            value, i = _option_value(options, i)
            if value:
                hashes.append(value)
        else:
            i += 1
    return tuple(hashes)


def _name_from_url(url: str, base: Path) -> str | None:
    """The distribution a bare URL or path requirement names, where that can be told without fetching."""
    egg = _EGG_FRAGMENT.search(url)
    if egg:
        return egg.group(1)
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
    if not _URL_SCHEME.match(local):
        project = (
            (base / local / "pyproject.toml")
            if not Path(local).is_absolute()
            else Path(local) / "pyproject.toml"
        )
        try:
            name = tomllib.loads(project.read_text(encoding="utf-8")).get("project", {}).get("name")
        except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
            return None
        return name if isinstance(name, str) else None
    return None


def _looks_like_url_or_path(text: str) -> bool:
    return (
        bool(_URL_SCHEME.match(text))
        or text.startswith((".", "/", "~"))
        or text.endswith((".whl", ".tar.gz", ".zip"))
    )


@dataclass
class _Reader:
    """Reads one requirements file and the files it includes, collecting problems as it goes."""

    display_root: Path
    problems: list[Problem]
    requirements: list[Requirement]
    issues: list[Issue]
    visited: dict[Path, None]  # an ordered set: files in the order they were read
    confined: bool = False  # a project copied out of a target: includes never reach outside it

    def display(self, path: Path) -> str:
        try:
            return str(path.resolve().relative_to(self.display_root))
        except ValueError:
            return str(path)

    def read(self, path: Path, kind: RequirementKind, included_from: str | None) -> None:
        resolved = path.resolve()
        if self.confined and not resolved.is_relative_to(self.display_root):
            self.problems.append(
                Problem(included_from or str(path), "includes a file outside the project folder (not read)")
            )
            return
        if resolved in self.visited:
            return  # included twice, or an include cycle: each file is read once
        self.visited[resolved] = None
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            self.problems.append(Problem(included_from or str(path), f"requirements file not found: {path}"))
            return
        except OSError as exc:
            self.problems.append(Problem(included_from or str(path), f"cannot read {path}: {exc.strerror}"))
            return
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            lineno = raw[: exc.start].count(b"\n") + 1
            self.problems.append(Problem(f"{self.display(path)}:{lineno}", "not UTF-8 text"))
            return
        for line in logical_lines(text):
            self._line(path, line, kind)

    def _line(self, path: Path, line: LogicalLine, kind: RequirementKind) -> None:
        source = self.display(path)
        where = f"{source}:{line.lineno}"
        text = line.text
        editable = False
        if text.startswith("-"):
            tokens = text.split()
            option = tokens[0].split("=", 1)[0]
            if option in _INCLUDE_OPTIONS or (option[:2] in ("-r", "-c") and len(option) > 2):
                value, _ = _option_value(tokens, 0)
                if not value:
                    self.problems.append(Problem(where, f"{option} needs a file name"))
                    return
                include_kind = _INCLUDE_OPTIONS.get(option, _INCLUDE_OPTIONS.get(option[:2]))
                assert include_kind is not None
                # A constraint file stays a constraint file whatever it includes.
                if kind is RequirementKind.CONSTRAINT:
                    include_kind = RequirementKind.CONSTRAINT
                self.read(path.parent / value, include_kind, where)
                return
            if option in _EDITABLE_OPTIONS:
                value, _ = _option_value(tokens, 0)
                if not value:
                    self.problems.append(Problem(where, f"{option} needs a path or URL"))
                    return
                text = value
                editable = True
            elif option in _GLOBAL_OPTIONS:
                return
            else:
                self.problems.append(Problem(where, f"unknown option {option!r}"))
                return
        requirement_text, options = split_options(text)
        hashes = _hashes(options)
        if editable or (
            _looks_like_url_or_path(requirement_text) and "@" not in requirement_text.split("://")[0]
        ):
            name = _name_from_url(requirement_text, path.parent)
            if name is None:
                self.issues.append(
                    Issue(
                        code="unnamed-requirement",
                        message=(
                            f"cannot tell which distribution {requirement_text!r} installs; add #egg=NAME"
                        ),
                        path=where,
                    )
                )
                return
            self.requirements.append(
                Requirement(
                    name=name,
                    canonical_name=canonicalize_name(name),
                    text=requirement_text,
                    source=source,
                    line=line.lineno,
                    kind=kind,
                    group=None,
                    pin=PinKind.URL,
                    url=requirement_text,
                    editable=editable,
                    hashes=hashes,
                )
            )
            return
        parsed = _parse(requirement_text, where, self.problems)
        if parsed is not None:
            self.requirements.append(
                _from_packaging(
                    parsed,
                    text=requirement_text,
                    source=source,
                    line=line.lineno,
                    kind=kind,
                    group=None,
                    hashes=hashes,
                )
            )


def _parse(text: str, where: str, problems: list[Problem]) -> PkgRequirement | None:
    try:
        return PkgRequirement(text)
    except InvalidRequirement as exc:
        detail = str(exc).splitlines()[0]
        problems.append(Problem(where, f"invalid requirement {text!r}: {detail}"))
        return None


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


def read_pyproject(path: Path, display: str) -> tuple[list[Requirement], list[Problem]]:
    problems: list[Problem] = []
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return [], [Problem(display, "not UTF-8 text")]
    except OSError as exc:
        return [], [Problem(display, f"cannot read: {exc.strerror}")]
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return [], [Problem(display, f"TOML syntax error: {exc}")]
    requirements: list[Requirement] = []

    def add(values: Any, group: str, where: str, offset: int) -> None:
        if not isinstance(values, list):
            problems.append(Problem(display, f"{where} must be an array of strings"))
            return
        cursor = offset
        for value in values:
            if isinstance(value, dict) and "include-group" in value:
                continue  # PEP 735: the included group's entries are listed under that group
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
    return requirements, problems


# --- the project ------------------------------------------------------------------------------


def read_file(path: Path) -> tuple[tuple[Requirement, ...], tuple[Path, ...]]:
    """The requirements declared in one file (a requirements file and its includes, or a
    pyproject.toml), and every file they came from; sources are relative to ``path``'s folder."""
    root = path.resolve().parent
    reader = _Reader(display_root=root, problems=[], requirements=[], issues=[], visited={})
    if path.name == "pyproject.toml" or path.suffix == ".toml":
        if not path.is_file():
            raise InputError(str(path), "no such file")
        reqs, problems = read_pyproject(path, reader.display(path))
        reader.requirements.extend(reqs)
        reader.problems.extend(problems)
        reader.visited[path.resolve()] = None
    else:
        if not path.is_file():
            raise InputError(str(path), "no such file")
        reader.read(path, RequirementKind.REQUIREMENT, None)
    if reader.problems:
        raise RequirementsError(reader.problems)
    return tuple(reader.requirements), tuple(reader.visited)


def read_project(
    project: Path, *, confined: bool = False
) -> tuple[tuple[Requirement, ...], tuple[Issue, ...]]:
    """Every requirement declared in ``project``; raises RequirementsError listing all problems."""
    root = project.resolve()
    reader = _Reader(
        display_root=root, problems=[], requirements=[], issues=[], visited={}, confined=confined
    )
    for path in requirement_files(project):
        reader.read(path, RequirementKind.REQUIREMENT, None)
    pyproject = project / "pyproject.toml"
    if pyproject.is_file():
        reqs, problems = read_pyproject(pyproject, reader.display(pyproject))
        reader.requirements.extend(reqs)
        reader.problems.extend(problems)
    if reader.problems:
        raise RequirementsError(reader.problems)
    return tuple(reader.requirements), tuple(reader.issues)


def read_project_files(
    files: Mapping[str, str], where: str
) -> tuple[tuple[Requirement, ...], tuple[Issue, ...]]:
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
        status = (
            RequirementStatus.NOT_APPLICABLE
            if requirement.kind is RequirementKind.CONSTRAINT
            else RequirementStatus.MISSING
        )
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
) -> tuple[Requirement, ...]:
    installed = {d.canonical_name: d for d in distributions}
    return tuple(check(r, installed, markers) for r in requirements)
