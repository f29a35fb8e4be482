"""What every kind of target does, so the verbs never ask which kind they hold.

A ``Target`` is one environment as the user spelt it. Its class (one per kind, listed in
``registry``) owns how the environment is reached: whether a process starts at once (``launch``),
how the snapshot is collected (``snapshot``), how the probes run in it (``start_probes``), and what
is left to stop after an error or Ctrl-C (``abandon_all``). The pattern is syft's source/resolver
split: the verbs hold the policy, the targets only fetch facts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from envaudit import defaults
from envaudit.errors import TargetError

if TYPE_CHECKING:
    from envaudit.model import Snapshot
    from envaudit.scan import ScanContext
    from envaudit.targets import TargetSpec
    from envaudit.targets.ssh import SSHOptions


class Started(Protocol):
    """A script running in a target: its output is collected once with ``result``."""

    requested: str  # the interpreter asked for, as the snapshot records it

    def result(self) -> str: ...

    def kill(self) -> None: ...


@dataclass(frozen=True, slots=True)
class ImageOptions:
    """How image targets are read (docker:, docker-archive:, oci:, oci-archive:)."""

    platform: str | None = None  # OS/ARCH[/VARIANT] to pick from a multi-platform index
    python: str | None = None  # the interpreter to scan (default: the image's own, see interpreters)
    static: bool = False  # docker:IMAGE: read the image's files through the engine instead of running it
    project: str | None = None  # a folder inside the image whose files declare the requirements


@dataclass(frozen=True, slots=True)
class TargetOptions:
    """The options of every kind, each class reading its own part."""

    timeout: float = defaults.TIMEOUT
    ssh: SSHOptions | None = None  # None: the defaults (batch mode, strict host keys)
    image: ImageOptions = field(default_factory=ImageOptions)
    # --project was given: saved snapshots are checked again against its declared requirements.
    recheck_requirements: bool = False
    project: Path | None = None  # the project folder here (``local`` looks for its .venv)
    modules: bool = False  # report which distribution provides each module (the project's imports)
    runtime: bool = False  # collect the numerical runtime facts


class Target:
    """One environment; subclasses say how it is reached. Instances live for one command."""

    # A child process does the work: started at once (``launch``) so it overlaps envaudit's start-up.
    runs_process: ClassVar[bool] = False
    # An image: ``--project`` names a folder inside it when every target is one.
    is_image: ClassVar[bool] = False
    # A saved snapshot: no redaction key, config or requirements needed unless asked to re-check.
    is_saved: ClassVar[bool] = False
    # A declaration (a lock file), not an environment: what it installs depends on the markers of an
    # environment scanned beside it, so it is resolved after them (``resolved``).
    is_declaration: ClassVar[bool] = False

    def __init__(self, spec: TargetSpec, options: TargetOptions, environ: Mapping[str, str]) -> None:
        self.spec = spec
        self.options = options
        self.environ = environ  # the environment envaudit runs in, read once for all targets
        self.chosen: str | None = None  # which environment the spelling turned out to be, and why

    def launch(self) -> Started | None:
        """Start collecting now, if a process does it; ``snapshot`` is given what this returned."""
        return None

    def scanner_options(self) -> dict[str, Any]:
        """What the in-target scanner is asked for beyond the defaults (its JSON argument)."""
        options: dict[str, Any] = {}
        if self.options.modules:
            options["modules"] = True
        if self.options.runtime:
            options["runtime"] = {"environ": self.runtime_environ()}
        return options

    def runtime_environ(self) -> dict[str, str | None] | None:
        """The runtime variables to put back in the target before its facts are read (None: the
        target's own environment is the one its code runs in)."""
        return None

    def snapshot(self, started: Started | None, context: ScanContext | None) -> Snapshot:
        """The environment's snapshot (``context`` is None only for saved snapshots not re-checked)."""
        raise NotImplementedError

    def resolved(self, peer: Snapshot | None, context: ScanContext | None) -> Snapshot:
        """A declaration's snapshot for the environment of ``peer`` (None: none was scanned)."""
        raise NotImplementedError

    def start_probes(self, script: str, args: Sequence[str]) -> Started:
        """Start the probe runner in the environment; the caller collects and kills it."""
        raise TargetError(self.spec.spelling, f"{self.spec.kind} targets cannot be probed")

    @classmethod
    def abandon_all(cls) -> None:
        """Stop whatever this kind still runs (an error or Ctrl-C): no child, no container left."""

    @classmethod
    def release_all(cls) -> None:
        """Release what this kind kept for the run (shared connections), once every target is done."""


class ScriptTarget(Target):
    """A target whose facts the in-target scanner collects, in a child process envaudit starts."""

    runs_process = True

    def start(self, script: str, args: Sequence[str]) -> Started:
        """Run an in-target script (on stdin) with ``args``."""
        raise NotImplementedError

    def scanner_args(self) -> list[str]:
        import json

        options = self.scanner_options()
        return [json.dumps(options)] if options else []

    def recorded_environ(self, raw: Mapping[str, Any]) -> Mapping[str, str]:
        """The environment variables the snapshot records."""
        raise NotImplementedError

    def launch(self) -> Started | None:
        """Start the scan now, to overlap envaudit's own start-up; None: it starts when collected."""
        return self.start_scan()

    def start_scan(self) -> Started:
        from envaudit.targets.scripts import scanner_script

        return self.start(scanner_script(), self.scanner_args())

    def snapshot(self, started: Started | None, context: ScanContext | None) -> Snapshot:
        from envaudit.scan import build_snapshot, parse_scanner_output

        assert context is not None  # prepared whenever a live target is scanned
        run = started if started is not None else self.start_scan()
        raw = parse_scanner_output(run.result(), self.spec.spelling)
        return build_snapshot(
            raw,
            target=self.spec.spelling,
            target_kind=self.spec.kind,
            requested=run.requested,
            environ=self.recorded_environ(raw),
            context=context,
            chosen=self.chosen,
        )

    def start_probes(self, script: str, args: Sequence[str]) -> Started:
        return self.start(script, args)

    @classmethod
    def abandon_all(cls) -> None:
        from envaudit.targets import runner

        runner.abandon_all()
