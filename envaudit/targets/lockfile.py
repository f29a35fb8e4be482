"""``uv.lock``, ``poetry.lock``, ``pylock.toml``, ``Pipfile.lock``: a lock file as a target, i.e. the
environment it would install. ``envaudit diff uv.lock prod`` compares prod with what the lock says
*for prod's markers*: a lock is universal, so it is resolved against the first environment scanned
beside it (or, with none, this machine's) and takes that environment's interpreter facts, so that
only the packages differ. Nothing runs: the lock is read as data.
"""

from __future__ import annotations

import platform
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from envaudit.errors import InputError, UsageError, os_problem
from envaudit.targets.base import Started, Target

if TYPE_CHECKING:
    from envaudit.model import Interpreter, Snapshot
    from envaudit.scan import ScanContext


class LockFile(Target):
    # Resolved against the markers of a live target beside it: see ``resolved``.
    is_declaration = True

    def snapshot(self, started: Started | None, context: ScanContext | None) -> Snapshot:
        return self.resolved(None, context)

    def resolved(self, peer: Snapshot | None, context: ScanContext | None) -> Snapshot:
        """What the lock installs where ``peer`` runs (None: on this machine)."""
        from envaudit import __version__
        from envaudit.locks import read as read_lock
        from envaudit.model import SCHEMA_VERSION, Provenance, Snapshot
        from envaudit.requirements import UnsafeFile, read_declared_file
        from envaudit.scan import now_utc

        path = Path(self.spec.location)
        try:
            raw = read_declared_file(path)
        except FileNotFoundError:
            raise UsageError(f"lock file not found: {path}") from None
        except UnsafeFile as exc:
            raise InputError(str(path), str(exc)) from None
        except OSError as exc:
            raise InputError(str(path), f"cannot read: {os_problem(exc)}") from None
        lock = read_lock(raw, str(path), path.name)
        interpreter = _interpreter(peer, str(path))
        markers = dict(interpreter.markers)
        chosen = (
            f"resolved for the markers of {peer.provenance.target}"
            if peer is not None
            else "resolved for this machine's markers (no environment beside it)"
        )
        from envaudit.model import Origin
        from envaudit.pinned import declared_distribution
        from envaudit.requirements import check_all

        # Optional entries (an extra's, a dependency group's) count where the environment has them.
        present = {d.canonical_name for d in peer.distributions} if peer is not None else set()
        distributions = tuple(
            declared_distribution(
                p.name, p.version, source=str(path), line=p.line, origin=Origin(kind=p.origin, url=p.url)
            )
            for p in lock.resolve(markers)
            if p.required or p.canonical_name in present
        )
        requirements = check_all(context.requirements, distributions, markers) if context is not None else ()
        return Snapshot(
            schema_version=SCHEMA_VERSION,
            provenance=Provenance(
                envaudit_version=__version__,
                target=self.spec.spelling,
                target_kind=self.spec.kind,
                scanned_at=now_utc(),
                scanned_on=platform.node(),
                # The peer's variables are recorded as the peer's, fingerprinted with its key.
                fingerprint_key_id=peer.provenance.fingerprint_key_id if peer is not None else "",
                project=None,
                chosen=chosen,
            ),
            interpreter=interpreter,
            distributions=distributions,
            # Where it would be installed, as the peer is: only the packages are the lock's to say.
            environment=peer.environment if peer is not None else (),
            requirements=requirements,
        )


def _interpreter(peer: Snapshot | None, where: str) -> Interpreter:
    """The peer's interpreter facts (only the packages are the lock's); else this machine's."""
    from envaudit.model import Interpreter

    if peer is not None:
        return replace(peer.interpreter, requested=where, executable="", resolved_executable="", sys_path=())
    from packaging.markers import default_environment

    markers = default_environment()
    return Interpreter(
        requested=where,
        executable="",
        resolved_executable="",
        version=platform.python_version(),
        implementation=markers["implementation_name"],
        prefix="",
        base_prefix="",
        is_venv=False,
        os=markers["platform_system"],
        os_release=markers["platform_release"],
        machine=markers["platform_machine"],
        libc="",
        libc_version="",
        markers=tuple(sorted((str(k), str(v)) for k, v in markers.items())),
        sys_path=(),
    )
