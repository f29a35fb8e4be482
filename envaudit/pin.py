"""Pinning suggestions: from an environment that works to a requirements file that reproduces it.

Every requirement that is not already exact gets ``==VERSION`` from the reference environment.
Only the version specifier of an edited requirement changes: its name and extras as written, its
marker, comments, options, line endings and every other line stay byte for byte. pyproject.toml is
edited through tomlkit, which keeps its formatting. Conflicts are listed, never guessed.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement as PkgRequirement
from packaging.version import InvalidVersion, Version
from tomlkit.items import StringType

from envaudit import __version__, names
from envaudit.errors import InputError
from envaudit.model import Distribution, OriginKind, PinKind, Requirement, RequirementKind, Snapshot
from envaudit.requirements import COMMENT, applies, logical_lines, satisfies, split_options
from envaudit.textsafe import clip, one_line


class Action(StrEnum):
    PIN = "pin"
    CONFLICT = "conflict"  # nothing can be proposed without guessing
    KEEP = "keep"  # already exact, a URL, or not in question


@dataclass(frozen=True, slots=True)
class Proposal:
    requirement: Requirement
    action: Action
    reason: str  # one line, for the user
    new_text: str | None = None
    hashes_removed: bool = False

    @property
    def where(self) -> str:
        r = self.requirement
        return f"{r.source}:{r.line}" if r.line else r.source


@dataclass(frozen=True, slots=True)
class FileEdit:
    path: Path
    display: str
    before: str
    after: str


@dataclass(frozen=True, slots=True)
class Plan:
    proposals: tuple[Proposal, ...]
    edits: tuple[FileEdit, ...]  # only files whose text changes

    @property
    def pinned(self) -> tuple[Proposal, ...]:
        return tuple(p for p in self.proposals if p.action is Action.PIN)

    @property
    def conflicts(self) -> tuple[Proposal, ...]:
        return tuple(p for p in self.proposals if p.action is Action.CONFLICT)

    def unified_diff(self) -> str:
        chunks: list[str] = []
        for edit in self.edits:
            chunks.extend(
                difflib.unified_diff(
                    edit.before.splitlines(keepends=True),
                    edit.after.splitlines(keepends=True),
                    fromfile=f"a/{edit.display}",
                    tofile=f"b/{edit.display}",
                )
            )
        return "".join(chunks)


# --- deciding ------------------------------------------------------------------------------------


def decide(
    requirement: Requirement,
    installed: Mapping[str, Distribution],
    *,
    markers: Mapping[str, str],
    reference: str,
    against: Mapping[str, Distribution] | None = None,
    against_label: str | None = None,
) -> Proposal:
    """What to do with one requirement, given the reference environment (and the one it drifts from)."""
    r = requirement
    poetry = (r.group or "").startswith("poetry:")
    if poetry and r.text.partition("=")[2].strip().startswith("["):
        why = "several Poetry constraints (one per Python or platform): pin it by hand"
        return Proposal(r, Action.CONFLICT, why)
    if r.pin is PinKind.URL or r.editable:
        return Proposal(r, Action.KEEP, "a URL or path requirement: kept as it is")
    if not applies(r, markers):
        return Proposal(r, Action.KEEP, f"its marker is false in {reference}: nothing to learn there")
    dist = installed.get(r.canonical_name)
    if dist is None:
        return Proposal(r, Action.CONFLICT, f"{r.name} is not installed in {reference}")
    version = dist.version
    if pep440(version) is None:
        # Only a PEP 440 version is ever written into a file: anything else could be made to hold
        # pip options (--extra-index-url) on a line of its own.
        return Proposal(
            r,
            Action.CONFLICT,
            f"{reference} has {r.name} at {quoted(version)}, which is not a PEP 440 version; pin it by hand",
        )
    if satisfies(r.specifier, version) is not True:
        return Proposal(r, Action.CONFLICT, f"{reference} has {r.name} {version}, which violates `{r.text}`")
    if r.pin is PinKind.PINNED:
        return Proposal(r, Action.KEEP, "already exact")
    if dist.origin.kind in (OriginKind.EDITABLE, OriginKind.VCS):
        return Proposal(
            r,
            Action.CONFLICT,
            f"{reference} has {r.name} as an editable or VCS install ({dist.origin.kind.value}); "
            "pin it by hand",
        )
    if against is not None:
        other = against.get(r.canonical_name)
        if other is not None and other.version == version:
            return Proposal(
                r, Action.KEEP, f"the same version ({version}) in {reference} and {against_label}"
            )
    # Poetry's own syntax: its table gets the exact version (edit_pyproject_text), not a PEP 508 line.
    new_text = exact(version) if poetry else repin(r.text, version)
    if r.hashes:
        return Proposal(
            r,
            Action.PIN,
            f"pinned to {version}; its --hash options were removed: regenerate them for {version} "
            "(pip-compile --generate-hashes, or pip hash)",
            new_text,
            hashes_removed=True,
        )
    return Proposal(r, Action.PIN, f"pinned to {version}", new_text)


def pep440(version: str) -> Version | None:
    """The version if it is PEP 440 (and so safe to write into a requirements file), else None."""
    try:
        return Version(version)
    except InvalidVersion:
        return None


def quoted(value: str) -> str:
    """A value from a target, quoted for a message: one line, controls escaped, bounded."""
    return f"'{one_line(clip(value, 100))}'"


def exact(version: str) -> str:
    """``==version``, for a PEP 440 version only (ValueError otherwise: see ``pep440``)."""
    if pep440(version) is None:
        raise ValueError(f"not a PEP 440 version: {quoted(version)}")
    return f"=={version}"


_HEAD = re.compile(
    r"^(?P<head>\s*[A-Za-z0-9][A-Za-z0-9._-]*(?:\s*\[[^\]]*\])?)(?P<spec>[^;]*)(?P<tail>;.*)?$"
)


def repin(text: str, version: str) -> str:
    """``text`` with its version specifier replaced by ``==version``, written right after the name
    (or extras); every other byte as written: name, extras, the space before ``;``, the marker."""
    match = _HEAD.match(text)
    if match is None:  # parsed by packaging before, so this is a programming error
        raise ValueError(f"cannot find the specifier in {text!r}")
    spec = match.group("spec")
    before_marker = spec[len(spec.rstrip()) :]  # "rich ; m": the space before ';' stays
    new = f"{match.group('head')}{exact(version)}{before_marker}{match.group('tail') or ''}"
    before, after = PkgRequirement(text), PkgRequirement(new)
    if (before.name, before.extras, str(before.marker)) != (after.name, after.extras, str(after.marker)):
        # Never write a rewrite that changed what the line asks for (holds under python -O too).
        raise AssertionError(f"pinning {text!r} changed its name, extras or marker")
    return new


# --- editing files ---------------------------------------------------------------------------------


def edit_requirements_text(text: str, pins: Mapping[int, Proposal]) -> str:
    """``text`` with each pinned requirement (by first line number) rewritten in place."""
    lines = text.splitlines(keepends=True)
    by_start = {ll.lineno: ll for ll in logical_lines(text)}
    for lineno in sorted(pins, reverse=True):  # bottom up, so earlier line numbers stay valid
        proposal = pins[lineno]
        assert proposal.new_text is not None
        logical = by_start[lineno]
        first = lines[lineno - 1]
        at = first.find(proposal.requirement.text)
        if at >= 0 and not proposal.hashes_removed:  # the common case: one edit inside one line
            lines[lineno - 1] = first[:at] + proposal.new_text + first[at + len(proposal.requirement.text) :]
            continue
        # Hashes to drop, or a requirement split over continuation lines: its logical line becomes one
        # physical line (the requirement, its other options, the comment that ended it). Only the
        # lines of this requirement change.
        last = lines[logical.end - 1]
        ending = last[len(last.rstrip("\r\n")) :]
        comment = COMMENT.search(last.rstrip("\r\n"))
        _, options = split_options(logical.text)
        kept = _without_hashes(options) if proposal.hashes_removed else options
        indent = first[: len(first) - len(first.lstrip())]
        rebuilt = (
            indent + " ".join([proposal.new_text, *kept]) + (comment.group(0) if comment else "") + ending
        )
        lines[lineno - 1 : logical.end] = [rebuilt]
    return "".join(lines)


def _without_hashes(options: list[str]) -> list[str]:
    kept: list[str] = []
    skip = False
    for option in options:
        if skip:
            skip = False
            continue
        if option.startswith("--hash"):
            skip = "=" not in option  # "--hash VALUE" takes the next token too
            continue
        kept.append(option)
    return kept


def edit_pyproject_text(text: str, pins: list[Proposal], display: str) -> str:
    import tomlkit
    from tomlkit.exceptions import TOMLKitError
    from tomlkit.items import String

    try:
        doc = tomlkit.parse(text)
    except TOMLKitError as exc:
        raise InputError(display, f"TOML syntax error: {exc}") from None
    used: set[tuple[int, int]] = set()
    for proposal in pins:
        r = proposal.requirement
        if (r.group or "").startswith("poetry:"):
            _edit_poetry(doc, proposal)
            continue
        for array in _arrays_for(doc, r.group or ""):
            found = next(
                (
                    i
                    for i, item in enumerate(array)
                    if isinstance(item, str) and str(item) == r.text and (id(array), i) not in used
                ),
                None,
            )
            if found is not None:
                used.add((id(array), found))
                item = array[found]
                # The string as it was quoted: 'literal', "basic", or either multi-line form.
                kind = item.type if isinstance(item, String) else StringType.SLB
                array[found] = tomlkit.string(
                    proposal.new_text or "",
                    literal=kind in (StringType.SLL, StringType.MLL),
                    multiline=kind in (StringType.MLB, StringType.MLL),
                )
                break
        else:
            raise InputError(proposal.where, f"cannot find `{r.text}` to edit")
    return tomlkit.dumps(doc)


def _arrays_for(doc: Any, group: str) -> list[list[Any]]:
    """The TOML arrays a requirement of ``group`` may be written in (see requirements/declarations)."""
    kind, _, name = group.partition(":")
    paths: list[list[str]]
    if group == "dependencies":
        paths = [["project", "dependencies"]]
    elif kind == "optional":
        paths = [["project", "optional-dependencies", name]]
    elif kind == "group":
        paths = [["dependency-groups", name]]
    elif kind == "pdm":
        paths = [["tool", "pdm", "dev-dependencies", name.partition(":")[2]]]
    elif kind == "uv":
        key = {"dev": "dev-dependencies", "constraint": "constraint-dependencies"}.get(
            name, "override-dependencies"
        )
        paths = [["tool", "uv", key]]
    elif kind == "hatch":
        paths = [["tool", "hatch", "envs", name, k] for k in ("dependencies", "extra-dependencies")]
    else:
        paths = []
    arrays = []
    for path in paths:
        table: Any = doc
        for key in path:
            table = table.get(key) if hasattr(table, "get") else None
        if isinstance(table, list):
            arrays.append(table)
    return arrays


def _edit_poetry(doc: Any, proposal: Proposal) -> None:
    """A Poetry dependency's version constraint set to the exact version (a string, or the ``version``
    of its table); what Poetry cannot say as one exact version (a list of constraints) is refused."""
    import tomlkit

    r = proposal.requirement
    group = (r.group or "").split(":", 1)[1]
    poetry = doc.get("tool", {}).get("poetry", {})
    tables = [poetry.get("dependencies", {})]  # "dependencies", and "optional:EXTRA"
    if group.startswith("group:"):
        name = group.split(":", 1)[1]
        tables = [poetry.get("group", {}).get(name, {}).get("dependencies", {})]
        if name == "dev":
            tables.append(poetry.get("dev-dependencies", {}))  # Poetry 1's spelling of the dev group
    found: tuple[Any, Any] = next(
        ((t, k) for t in tables for k in t if names.canonical(k) == r.canonical_name), ({}, None)
    )
    table, key = found
    if key is None:
        raise InputError(proposal.where, f"cannot find {r.name} to edit")
    version = (proposal.new_text or "").removeprefix("==")
    value = table[key]
    if isinstance(value, str):
        table[key] = tomlkit.string(version, literal=getattr(value, "type", None) in (StringType.SLL,))
    elif hasattr(value, "get") and isinstance(value.get("version"), str):
        value["version"] = version
    else:
        raise InputError(proposal.where, f"{r.name} has several constraints: pin it by hand")


# --- planning --------------------------------------------------------------------------------------


def plan(
    file: Path,
    requirements: tuple[Requirement, ...],
    files: Mapping[Path, bytes],
    reference: Snapshot,
    *,
    reference_label: str,
    against: Snapshot | None = None,
    against_label: str | None = None,
) -> Plan:
    """Proposals for ``requirements`` (read from ``file`` and ``files``, see requirements.read_file)."""
    installed = {d.canonical_name: d for d in reference.distributions}
    other = {d.canonical_name: d for d in against.distributions} if against is not None else None
    markers = dict(reference.interpreter.markers)
    # One proposal per written requirement: a PEP 735 group included in another is listed under both.
    unique = {(r.source, r.line, r.text): r for r in reversed(requirements)}
    requirements = tuple(r for r in requirements if unique[(r.source, r.line, r.text)] is r)
    proposals = tuple(
        decide(
            r,
            installed,
            markers=markers,
            reference=reference_label,
            against=other,
            against_label=against_label,
        )
        for r in requirements
    )
    return applied(file, files, proposals)


def applied(file: Path, files: Mapping[Path, bytes], proposals: tuple[Proposal, ...]) -> Plan:
    """The plan that makes ``proposals`` in the files they were read from, byte for byte elsewhere."""
    root = file.resolve().parent
    edits: list[FileEdit] = []
    for path in files:
        display = _display(path, root)
        pins = [p for p in proposals if p.action is Action.PIN and p.requirement.source == display]
        if not pins:
            continue
        before = files[path].decode("utf-8")  # what the requirements were read from
        if path.suffix == ".toml":
            after = edit_pyproject_text(before, pins, display)
        else:
            after = edit_requirements_text(before, {p.requirement.line or 0: p for p in pins})
        if after != before:
            edits.append(FileEdit(path, display, before, after))
    # Say only what will be written: a pin whose file has no edit is not one.
    edited = {edit.display for edit in edits}
    proposals = tuple(
        replace(p, action=Action.CONFLICT, reason=f"its file {p.requirement.source} could not be edited")
        if p.action is Action.PIN and p.requirement.source not in edited
        else p
        for p in proposals
    )
    return Plan(proposals, tuple(edits))


def fix_plan(
    file: Path,
    requirements: tuple[Requirement, ...],
    files: Mapping[Path, bytes],
    fixes: Mapping[str, str],
    why: Mapping[str, str],
) -> Plan:
    """The smallest change that removes known vulnerabilities: each exact pin of a vulnerable
    distribution moved to the version that fixes them (``fixes``: canonical name -> version;
    ``why``: canonical name -> the advisories). Other requirements are left as they are."""
    proposals = []
    for r in requirements:
        fixed = fixes.get(r.canonical_name)
        if fixed is None or r.kind is not RequirementKind.REQUIREMENT:
            continue
        reason = f"{why.get(r.canonical_name, 'known vulnerabilities')}: fixed in {fixed}"
        if r.pin is not PinKind.PINNED:
            proposals.append(
                Proposal(r, Action.CONFLICT, f"{reason}; not an exact pin, raise its bound by hand")
            )
        elif pep440(fixed) is None:
            proposals.append(Proposal(r, Action.CONFLICT, f"{reason}, which is not a PEP 440 version"))
        elif r.hashes:  # the line is rewritten without them: they were for the old version
            reason += f"; its --hash options were removed: regenerate them for {fixed}"
            proposals.append(Proposal(r, Action.PIN, reason, repin(r.text, fixed), hashes_removed=True))
        else:
            proposals.append(Proposal(r, Action.PIN, reason, repin(r.text, fixed)))
    return applied(file, files, tuple(proposals))


def check_unchanged(plan_: Plan) -> None:
    """Refuse to write if a file changed since the plan was made from it: its line numbers would
    be applied to another text. Raises InputError naming the file; nothing is written then."""
    for edit in plan_.edits:
        try:
            now = edit.path.read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError):
            now = None
        if now != edit.before:
            raise InputError(
                edit.display,
                "changed while envaudit was running; nothing was written",
                tip="run envaudit pin again",
            )


def _display(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def apply(plan_: Plan) -> None:
    from envaudit.files import write_all_atomic

    write_all_atomic({edit.path: edit.after for edit in plan_.edits})


# --- constraints -------------------------------------------------------------------------------------


def constraints(reference: Snapshot, label: str, now: dt.datetime | None = None) -> str:
    """A constraints file for ``pip install -c``: every distribution of ``reference``, exact."""
    when = (now or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    interp = reference.interpreter
    lines = [
        f"# Constraints for pip install -c, generated by envaudit {__version__}",
        one_line(
            f"# from {label} ({interp.implementation} {interp.version} on {interp.os} {interp.machine}, "
            f"{len(reference.distributions)} distributions, scanned {reference.provenance.scanned_at})"
        ),
        f"# on {when}. Every distribution installed there, at its exact version.",
    ]
    for dist in sorted(reference.distributions, key=lambda d: d.canonical_name):
        if not names.is_valid(dist.canonical_name) or pep440(dist.version) is None:
            # Never written: not a name or not a PEP 440 version (nothing pip would take as one).
            lines.append(f"# {one_line(dist.canonical_name[:100])}: not a PEP 440 version: not constrained")
            continue
        if dist.origin.kind in (OriginKind.EDITABLE, OriginKind.VCS, OriginKind.LOCAL):
            lines.append(
                f"# {dist.canonical_name}=={dist.version}  "
                f"({dist.origin.kind.value} install: not constrained)"
            )
            continue
        lines.append(f"{dist.canonical_name}{exact(dist.version)}")
    return "\n".join(lines) + "\n"
