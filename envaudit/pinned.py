"""The distributions a requirements file pins, as a snapshot: what ``audit -r FILE`` checks without
building an environment (as ``pip-audit -r`` does). Only exact pins (``==X``) say which version
will be installed; every other requirement is reported as not auditable from the file alone."""

from __future__ import annotations

import os
from pathlib import Path

from envaudit import __version__, names
from envaudit.model import (
    Distribution,
    Interpreter,
    MetadataFormat,
    Origin,
    OriginKind,
    Provenance,
    Requirement,
    RequirementKind,
    Snapshot,
)

TARGET_KIND = "requirements"
NOT_PINNED = "not pinned to one version (==X) in {where}: the file alone does not say what gets installed"


def exact_version(requirement: Requirement) -> str | None:
    """X of a lone ``==X`` or ``===X`` (no wildcard), else None."""
    clauses = [c.strip() for c in requirement.specifier.split(",") if c.strip()]
    if len(clauses) != 1 or requirement.url or requirement.editable:
        return None
    clause = clauses[0]
    for operator in ("===", "=="):
        if clause.startswith(operator):
            version = clause[len(operator) :].strip()
            return version if version and "*" not in version else None
    return None


def declared_distribution(
    name: str, version: str, *, source: str, line: int | None, origin: Origin | None = None
) -> Distribution:
    """A distribution a file declares (a requirements file's pin, a lock's entry) rather than one
    installed: it "lives" at its entry, ``FILE:LINE``, which is what reports show for it."""
    return Distribution(
        name=name,
        version=version,
        canonical_name=names.canonical(name),
        location=source,
        metadata_path=f"{source}:{line}" if line else source,
        metadata_format=MetadataFormat.DIST_INFO,
        installer=None,
        origin=origin or Origin(kind=OriginKind.UNKNOWN),
    )


def snapshot_of(path: Path, requirements: tuple[Requirement, ...]) -> tuple[Snapshot, list[Requirement]]:
    """The file's exact pins as the distributions of a snapshot, and the requirements that are not
    exact pins (constraints files' entries are not installed, so neither)."""
    distributions = []
    loose = []
    seen = set()
    for r in requirements:
        if r.kind is not RequirementKind.REQUIREMENT or r.canonical_name in seen:
            continue
        seen.add(r.canonical_name)
        version = exact_version(r)
        if version is None:
            loose.append(r)
            continue
        distributions.append(declared_distribution(r.name, version, source=r.source, line=r.line))
    blank = Interpreter(
        requested="",
        executable="",
        resolved_executable="",
        version="",
        implementation="",
        prefix="",
        base_prefix="",
        is_venv=False,
        os="",
        os_release="",
        machine="",
        libc="",
        libc_version="",
        markers=(),
        sys_path=(),
    )
    from envaudit.scan import now_utc

    provenance = Provenance(
        envaudit_version=__version__,
        target=str(path),
        target_kind=TARGET_KIND,
        scanned_at=now_utc(),
        scanned_on=os.uname().nodename,
        fingerprint_key_id="",
    )
    snapshot = Snapshot(
        schema_version=1,
        provenance=provenance,
        interpreter=blank,
        distributions=tuple(distributions),
        requirements=requirements,
    )
    return snapshot, loose
