"""Targets say how to reach an environment. ``parse_target`` is the one place the grammar lives."""

from __future__ import annotations

import fnmatch
import os
import re
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from envaudit.errors import UsageError
from envaudit.targets import registry

GRAMMAR_TIP = (
    "targets are: local, python:PATH, a path to an interpreter or venv, FILE.json (a saved snapshot), "
    "docker:IMAGE, docker-archive:FILE.tar, oci:DIR, oci-archive:FILE.tar, "
    "ssh://[user@]host[:port][/python], a lock file (uv.lock, poetry.lock, pylock.toml, Pipfile.lock)"
)


class TargetKind(StrEnum):
    """The kinds in ``registry.KINDS``, by name (for code and tests that mean one in particular)."""

    LOCAL = "local"
    PYTHON = "python"
    SNAPSHOT = "snapshot"
    DOCKER = "docker"
    DOCKER_ARCHIVE = "docker-archive"
    OCI = "oci"
    OCI_ARCHIVE = "oci-archive"
    SSH = "ssh"
    LOCK = "lock"


@dataclass(frozen=True, slots=True)
class TargetSpec:
    spelling: str  # the target as the user wrote it, without a NAME= label
    kind: str  # a name in registry.KINDS
    location: str  # interpreter path, snapshot file, image reference, archive path or ssh address
    label: str = ""  # what reports call it: the NAME of NAME=TARGET, else the spelling

    @property
    def name(self) -> str:
        """What reports call it: NAME= if given; a saved snapshot's file name; else the spelling."""
        if self.label:
            return self.label
        return Path(self.location).name if registry.BY_NAME[self.kind].named_by_file else self.spelling


# NAME=TARGET gives a target a short name for reports: dev=python:.venv prod=prod.json
_LABEL = re.compile(r"^(?P<label>[A-Za-z0-9][A-Za-z0-9_.\-]*)=(?P<target>.+)$")


def parse_target(spelling: str) -> TargetSpec:
    labelled = _LABEL.match(spelling.strip())
    if labelled and not Path(spelling).exists():
        spec = _parse(labelled.group("target"))
        return TargetSpec(spec.spelling, spec.kind, spec.location, label=labelled.group("label"))
    return _parse(spelling)


def _parse(spelling: str) -> TargetSpec:
    text = spelling.strip()
    if not text:
        raise UsageError("empty target", tip=GRAMMAR_TIP)
    for kind in registry.KINDS:
        if kind.exact and text == kind.exact:
            return TargetSpec(spelling, kind.name, "")
        if kind.prefix and text.startswith(kind.prefix):
            rest = text[len(kind.prefix) :]
            if not rest:
                raise UsageError(f"target {spelling!r}: nothing after {kind.prefix!r}", tip=GRAMMAR_TIP)
            return TargetSpec(spelling, kind.name, text if kind.keep_prefix else rest)
    for kind in registry.KINDS:
        if kind.suffix and text.endswith(kind.suffix):
            return TargetSpec(spelling, kind.name, text)
        if any(fnmatch.fnmatchcase(Path(text).name, pattern) for pattern in kind.file_names):
            return TargetSpec(spelling, kind.name, text)
    if os.sep in text or text.startswith(".") or Path(text).exists():
        return TargetSpec(spelling, registry.PATH_KIND.name, text)
    raise UsageError(f"unknown target {spelling!r}", tip=GRAMMAR_TIP)
