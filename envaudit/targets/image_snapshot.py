"""From an image's raw facts to its snapshot: what the engine and the static reader share."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from envaudit.errors import TargetError

if TYPE_CHECKING:
    from envaudit.model import Image, Snapshot
    from envaudit.scan import ScanContext
    from envaudit.targets import TargetSpec


@contextlib.contextmanager
def static_read(spec: TargetSpec, timeout: float) -> Iterator[None]:
    """An image read as files, held to the per-target time limit like any target that runs code."""
    from envaudit.targets import tarwalk

    try:
        with tarwalk.deadline(timeout):
            yield
    except tarwalk.ReadTimeout:
        raise TargetError(
            spec.spelling, f"timed out after {timeout:g}s reading the image", tip="raise it with --timeout"
        ) from None


def image_snapshot(
    spec: TargetSpec,
    raw: dict[str, Any],
    *,
    record: Image,
    requested: str,
    environ: Mapping[str, str],
    context: ScanContext,
    project: str | None,
) -> Snapshot:
    """The snapshot, with the requirements of ``project`` (a folder in the image) when one is named.

    The image's own Env is what its containers start with: recorded, redacted like any other.
    """
    from envaudit.scan import build_snapshot

    if project is not None:
        files = raw.get("project_files")
        if not isinstance(files, dict):
            raise TargetError(spec.spelling, f"--project {project}: no such folder in the image")
        from envaudit.requirements import read_project_files

        declared = read_project_files(files, f"{spec.spelling}:{project.rstrip('/')}")
        context = replace(
            context,
            requirements=declared.requirements,
            requirement_issues=declared.issues,
            locks=declared.locks,
            project=project,
        )
    snapshot = build_snapshot(
        raw,
        target=spec.spelling,
        target_kind=spec.kind,
        requested=requested,
        environ=environ,
        context=context,
    )
    return replace(snapshot, image=record)
