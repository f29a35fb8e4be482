"""Turn what an in-target scanner reported into a Snapshot: origins, shadowing, redaction, checks."""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from envaudit import __version__, names
from envaudit.envvars import EnvPolicy, FingerprintKey, capture
from envaudit.errors import TargetError
from envaudit.inprocess.scanner import DONE, MARKER
from envaudit.model import (
    SCHEMA_VERSION,
    ChangelogFix,
    Distribution,
    Distro,
    Interpreter,
    Issue,
    MetadataFormat,
    Origin,
    OriginKind,
    OSPackage,
    Provenance,
    Requirement,
    Snapshot,
)

if TYPE_CHECKING:
    from envaudit.codeimports import ProjectImports
    from envaudit.locks import Lock


@dataclass(frozen=True, slots=True)
class ScanContext:
    """What every target's scan shares: declared requirements, redaction policy and key."""

    key: FingerprintKey
    env_policy: EnvPolicy
    requirements: tuple[Requirement, ...] = ()
    requirement_issues: tuple[Issue, ...] = ()
    locks: tuple[Lock, ...] = ()  # the project's lock files, resolved for each target's markers
    project: str | None = None
    imports: ProjectImports | None = None  # what the project's code imports (scan --project)


def now_utc() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def origin_of(
    direct_url: Any, installer: str | None, location: str, editable_locations: frozenset[str]
) -> Origin:
    """Classify where a distribution came from, from its PEP 610 record or the lack of one."""
    if isinstance(direct_url, dict):
        url = direct_url.get("url") if isinstance(direct_url.get("url"), str) else None
        vcs_info = direct_url.get("vcs_info")
        if isinstance(vcs_info, dict):
            return Origin(
                kind=OriginKind.VCS,
                url=url,
                vcs=_str_or_none(vcs_info.get("vcs")),
                commit=_str_or_none(vcs_info.get("commit_id")),
                requested_revision=_str_or_none(vcs_info.get("requested_revision")),
            )
        dir_info = direct_url.get("dir_info")
        if isinstance(dir_info, dict):
            kind = OriginKind.EDITABLE if dir_info.get("editable") is True else OriginKind.LOCAL
            return Origin(kind=kind, url=url)
        if "archive_info" in direct_url:
            return Origin(kind=OriginKind.ARCHIVE, url=url)
    if location in editable_locations:
        return Origin(kind=OriginKind.EDITABLE)
    return Origin(kind=OriginKind.INDEX if installer else OriginKind.UNKNOWN)


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def split_shadowed(
    dists: Sequence[Distribution],
) -> tuple[tuple[Distribution, ...], tuple[Distribution, ...]]:
    """Active distributions (first on sys.path wins, as for import and pip) and the copies they hide."""
    winners: dict[str, Distribution] = {}
    active: list[Distribution] = []
    shadowed: list[Distribution] = []
    for dist in dists:
        winner = winners.get(dist.canonical_name)
        if winner is None:
            winners[dist.canonical_name] = dist
            active.append(dist)
        else:
            shadowed.append(replace(dist, shadowed_by=winner.location))
    return tuple(active), tuple(shadowed)


def checked(
    context: ScanContext, active: tuple[Distribution, ...], markers: dict[str, str]
) -> tuple[Requirement, ...]:
    """The project's requirements and locks, with their status among ``active`` distributions."""
    if not context.requirements and not context.locks:
        return ()
    from envaudit.requirements import check_all  # packaging is only imported when there is work for it

    return check_all(context.requirements, active, markers, context.locks)


def _text(value: Any, limit: int = 200) -> str:
    """A string from the target, bounded: what a package database says is data, never trusted."""
    return str(value)[:limit] if value is not None else ""


def os_package_of(raw: Any) -> OSPackage | None:
    if not isinstance(raw, dict):
        return None
    fixes = tuple(
        ChangelogFix(_text(f.get("id"), 40), _text(f.get("version")), _text(f.get("text"), 300))
        for f in (raw.get("fixes") or ())[:400]
        if isinstance(f, dict)
    )
    return OSPackage(
        manager=_text(raw["manager"], 10),
        name=_text(raw["name"]),
        version=_text(raw["version"]),
        source=_text(raw.get("source")) or _text(raw["name"]),
        source_version=_text(raw.get("source_version")) or _text(raw["version"]),
        architecture=_text(raw.get("architecture"), 40),
        fixes=fixes,
    )


def distro_of(raw: Any) -> Distro | None:
    if not isinstance(raw, dict):
        return None
    return Distro(
        id=_text(raw.get("id"), 60) or "linux",  # os-release's own default
        version_id=_text(raw.get("version_id"), 60),
        codename=_text(raw.get("version_codename"), 60),
        name=_text(raw.get("pretty_name") or raw.get("name")),
        id_like=_text(raw.get("id_like")),
    )


def parse_scanner_output(stdout: str, target: str) -> dict[str, Any]:
    """The scanner's JSON, after its marker: a remote shell may print a banner before it."""
    return parse_marked(stdout, target, marker=MARKER, what="scanner", protocol_key="scanner_protocol")


def parse_marked(stdout: str, target: str, *, marker: str, what: str, protocol_key: str) -> dict[str, Any]:
    """The JSON an in-target script printed after ``marker``, protocol version 1; TargetError if not."""
    _, found, payload = stdout.rpartition(marker)
    payload = payload.partition(DONE)[0]  # JSON holds no raw line break, so never the marker
    if not found:
        snippet = stdout.strip()[:120] or "nothing"
        raise TargetError(target, f"the {what} printed no result; the target said: {snippet!r}")
    try:
        raw = json.loads(payload)
    except json.JSONDecodeError:
        snippet = stdout.strip()[:120] or "nothing"
        raise TargetError(target, f"the {what} printed something other than JSON: {snippet!r}") from None
    if not isinstance(raw, dict) or raw.get(protocol_key) != 1:
        raise TargetError(target, f"the {what}'s output was not understood (protocol mismatch)")
    return raw


def build_snapshot(
    raw: Mapping[str, Any],
    *,
    target: str,
    target_kind: str,
    requested: str,
    environ: Mapping[str, str] | None,
    context: ScanContext,
    chosen: str | None = None,
) -> Snapshot:
    """A snapshot from raw scanner facts. ``environ`` is the environment to record, before redaction;
    ``chosen`` says which environment a target like ``local`` turned out to be, and why."""
    try:
        facts = raw["interpreter"]
        interpreter = Interpreter(
            requested=requested,
            executable=str(facts["executable"]),
            resolved_executable=str(facts["resolved_executable"]),
            version=str(facts["version"]),
            implementation=str(facts["implementation"]),
            prefix=str(facts["prefix"]),
            base_prefix=str(facts["base_prefix"]),
            is_venv=bool(facts["is_venv"]),
            os=str(facts["os"]),
            os_release=str(facts["os_release"]),
            machine=str(facts["machine"]),
            libc=str(facts["libc"]),
            libc_version=str(facts["libc_version"]),
            markers=tuple(sorted((str(k), str(v)) for k, v in facts["markers"].items())),
            sys_path=tuple(str(p) for p in facts["sys_path"]),
        )
        editable = frozenset(str(p) for p in raw.get("editable_locations") or ())
        # A name is the one thing of a distribution that ends up in files we write (constraints,
        # pins): one that is not a PEP 508 name is dropped here, and said so; the canonical name
        # is computed again rather than taken from the target.
        reported: list[Any] = []
        bad_names: list[Any] = []
        for d in raw["distributions"]:
            (reported if names.is_valid(str(d["name"])) else bad_names).append(d)
        dists = [
            Distribution(
                name=str(d["name"]),
                version=str(d["version"]),
                canonical_name=names.canonical(str(d["name"])),
                location=str(d["location"]),
                metadata_path=str(d["metadata_path"]),
                metadata_format=MetadataFormat(d["metadata_format"]),
                installer=d.get("installer"),
                origin=origin_of(d.get("direct_url"), d.get("installer"), str(d["location"]), editable),
                requires_dist=tuple(str(r) for r in d.get("requires_dist") or ()),
                requires_python=d.get("requires_python"),
                layer=d.get("layer"),
                os_package=os_package_of(d.get("os_package")),
            )
            for d in reported
        ]
        distro = distro_of(raw.get("distro"))
        issues = [
            Issue(code=str(i["code"]), message=str(i["message"]), path=i.get("path")) for i in raw["issues"]
        ]
        issues.extend(
            Issue(
                code="invalid-metadata",
                message=f"a distribution named {str(d['name'])[:100]!r} (not a valid name): ignored",
                path=str(d.get("metadata_path") or "") or None,
            )
            for d in bad_names
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise TargetError(target, f"the scanner's output was not understood ({exc!r})") from None

    active, shadowed = split_shadowed(dists)
    issues.extend(context.requirement_issues)
    requirements = checked(context, active, dict(interpreter.markers))
    imports = None
    if context.imports is not None:
        from envaudit.importcheck import classify

        imports = classify(context.imports, raw.get("modules"), active, requirements)
        issues.extend(context.imports.issues)
    runtime = None
    if raw.get("runtime") is not None:
        from envaudit.runtime_facts import runtime_of

        runtime = runtime_of(raw["runtime"], {d.canonical_name: d.version for d in active})
    return Snapshot(
        schema_version=SCHEMA_VERSION,
        provenance=Provenance(
            envaudit_version=__version__,
            target=target,
            target_kind=target_kind,
            scanned_at=now_utc(),
            scanned_on=os.uname().nodename,
            fingerprint_key_id=context.key.key_id,
            project=context.project,
            chosen=chosen,
        ),
        interpreter=interpreter,
        distributions=active,
        shadowed=shadowed,
        environment=capture(environ, context.key, context.env_policy) if environ is not None else (),
        requirements=requirements,
        issues=tuple(issues),
        distro=distro,
        imports=imports,
        runtime=runtime,
    )
