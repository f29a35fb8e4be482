"""Targets say how to reach an environment. ``parse_target`` is the one place the grammar lives."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from envaudit.errors import UsageError

GRAMMAR_TIP = (
    "targets are: local, python:PATH, a path to an interpreter or venv, FILE.json (a saved snapshot), "
    "docker:IMAGE, docker-archive:FILE.tar, oci:DIR, oci-archive:FILE.tar, ssh://[user@]host[:port][/python]"
)


class TargetKind(StrEnum):
    LOCAL = "local"
    PYTHON = "python"
    SNAPSHOT = "snapshot"
    DOCKER = "docker"
    DOCKER_ARCHIVE = "docker-archive"
    OCI = "oci"
    OCI_ARCHIVE = "oci-archive"
    SSH = "ssh"


@dataclass(frozen=True, slots=True)
class TargetSpec:
    spelling: str  # the target as the user wrote it, without a NAME= label
    kind: TargetKind
    location: str  # interpreter path, snapshot file, image reference, archive path or ssh address
    label: str = ""  # what reports call it: the NAME of NAME=TARGET, else the spelling

    @property
    def name(self) -> str:
        """What reports call it: NAME= if given; a saved snapshot's file name; else the spelling."""
        if self.label:
            return self.label
        return Path(self.location).name if self.kind is TargetKind.SNAPSHOT else self.spelling


# NAME=TARGET gives a target a short name for reports: dev=python:.venv prod=prod.json
_LABEL = re.compile(r"^(?P<label>[A-Za-z0-9][A-Za-z0-9_.\-]*)=(?P<target>.+)$")


_PREFIXES = (
    ("python:", TargetKind.PYTHON),
    ("docker-archive:", TargetKind.DOCKER_ARCHIVE),
    ("oci-archive:", TargetKind.OCI_ARCHIVE),
    ("oci:", TargetKind.OCI),
    ("docker:", TargetKind.DOCKER),
)


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
    if text == "local":
        return TargetSpec(spelling, TargetKind.LOCAL, "")
    if text.startswith("ssh://"):
        if len(text) == len("ssh://"):
            raise UsageError(f"target {spelling!r}: no host after ssh://", tip=GRAMMAR_TIP)
        return TargetSpec(spelling, TargetKind.SSH, text)
    for prefix, kind in _PREFIXES:
        if text.startswith(prefix):
            rest = text[len(prefix) :]
            if not rest:
                raise UsageError(f"target {spelling!r}: nothing after {prefix!r}", tip=GRAMMAR_TIP)
            return TargetSpec(spelling, kind, rest)
    if text.endswith(".json"):
        return TargetSpec(spelling, TargetKind.SNAPSHOT, text)
    if os.sep in text or text.startswith(".") or Path(text).exists():
        return TargetSpec(spelling, TargetKind.PYTHON, text)
    raise UsageError(f"unknown target {spelling!r}", tip=GRAMMAR_TIP)
