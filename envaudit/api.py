"""The library interface: every verb, with the options and results it takes and returns.

The verbs live one per module under ``verbs/`` (the scan fan-out in ``verbs/fanout``); this module
names them in one place for the CLI and for programs that use envaudit as a library. Everything
here takes parsed arguments and returns data; only the CLI prints.
"""

from __future__ import annotations

from envaudit.defaults import JOBS as DEFAULT_JOBS
from envaudit.defaults import MAX_TIMEOUT
from envaudit.defaults import TIMEOUT as DEFAULT_TIMEOUT
from envaudit.targets.base import ImageOptions
from envaudit.verbs.audit import AuditOptions, audit, audit_options, audit_snapshot
from envaudit.verbs.common import (
    Judged,
    Progress,
    ScanOptions,
    TargetResult,
    output_paths,
    read_targets_file,
    snapshot_file_stem,
    with_reference,
)
from envaudit.verbs.diff import diff
from envaudit.verbs.fanout import env_policy, prepare, scan
from envaudit.verbs.gate import gate
from envaudit.verbs.pin import Pinned, pin
from envaudit.verbs.probe import probe, probe_options

__all__ = [
    "DEFAULT_JOBS",
    "DEFAULT_TIMEOUT",
    "MAX_TIMEOUT",
    "AuditOptions",
    "ImageOptions",
    "Judged",
    "Pinned",
    "Progress",
    "ScanOptions",
    "TargetResult",
    "audit",
    "audit_options",
    "audit_snapshot",
    "diff",
    "env_policy",
    "gate",
    "output_paths",
    "pin",
    "prepare",
    "probe",
    "probe_options",
    "read_targets_file",
    "scan",
    "snapshot_file_stem",
    "with_reference",
]
