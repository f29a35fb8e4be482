"""One SSH connection per host: several targets on the same host (interpreters, venvs) share one
OpenSSH master connection, so a host pays one key exchange and one authentication, not one each.

The master is the user's own ``ssh`` (``-N -f -o ControlMaster=yes``), its socket in a private
folder made for this run (0700, under $TMPDIR, or /tmp when that is too long for a socket's path),
with ``ControlPersist`` as a safety net should envaudit be killed outright. It is made by the first
target of a host that needs it, while the others of that host wait; a host with one target is
reached directly, as before. At the end of the run (normally, on an error, on Ctrl-C or SIGTERM)
every master is told to exit and the folder is removed. A master that cannot connect fails every
target of its host with the one explanation, at once, instead of each target timing out in turn.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from envaudit.errors import TargetError
from envaudit.targets.base import Started

PERSIST_SECONDS = 60  # how long an orphaned master (envaudit killed with SIGKILL) outlives its use
# sshd allows 10 sessions per connection by default (MaxSessions); past that it refuses the session
# and ssh quietly opens a connection of its own. Scans and probes of one host wait for a slot, in
# pools of their own (a target holds its probe session while it waits for its scan session).
SESSIONS = {"scan": 5, "probe": 4}

# The identity of a connection: the same destination reached with other options is another one.
Key = tuple[str, int | None, tuple[str, ...], str | None, bool, int]


@dataclass
class _Master:
    path: str  # the control socket
    argv: list[str]  # how it was started, for `ssh -O exit`
    ready: bool = False
    error: str | None = None  # why it could not connect: every target of the host fails with it
    process: subprocess.Popen[bytes] | None = None


class Sharing:
    """The connections of one run: which hosts have several targets, and their masters."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[Key, int] = {}
        self._host_locks: dict[Key, threading.Lock] = {}
        self._masters: dict[Key, _Master] = {}
        self._slots: dict[tuple[Key, str], threading.BoundedSemaphore] = {}
        self._generation = 0  # counts close(): a slot waited for in an earlier run is never given
        self._folder: str | None = None

    def register(self, key: Key) -> None:
        with self._lock:
            self._counts[key] = self._counts.get(key, 0) + 1

    def shared(self, key: Key) -> bool:
        with self._lock:
            return self._counts.get(key, 0) > 1

    def slot(self, key: Key, kind: str, target: str) -> threading.BoundedSemaphore:
        """A slot of the host's pool of ``kind`` sessions (``SESSIONS``), acquired: release it when
        the session ends. TargetError if the run ends first (Ctrl-C): no worker waits forever."""
        with self._lock:
            pool = self._slots.setdefault((key, kind), threading.BoundedSemaphore(SESSIONS[kind]))
            generation = self._generation
        while not pool.acquire(timeout=0.2):
            if self._generation != generation:
                raise TargetError(target, "the run was stopped before its turn on the connection")
        return pool

    def control_options(
        self,
        key: Key,
        target: str,
        master_argv: list[str],
        *,
        timeout: float,
        environ: Mapping[str, str],
        explain: Callable[[int, bytes], str],
    ) -> list[str]:
        """``-o`` options that route a session through the host's master, made now if it is the
        first; ``[]`` (a connection of its own) when the master could not be made for another reason
        than the connection (the user's own ControlMaster/ControlPath options win, or the socket
        cannot be made). TargetError when it cannot connect."""
        with self._lock:
            host_lock = self._host_locks.setdefault(key, threading.Lock())
        with host_lock:
            master = self._masters.get(key)
            if master is None:
                master = self._start(key, master_argv, timeout=timeout, environ=environ, explain=explain)
        if master.error is not None:
            raise TargetError(target, master.error)
        if not master.ready:
            return []
        return ["-o", "ControlMaster=no", "-o", f"ControlPath={master.path}"]

    def _start(
        self,
        key: Key,
        argv: list[str],
        *,
        timeout: float,
        environ: Mapping[str, str],
        explain: Callable[[int, bytes], str],
    ) -> _Master:
        with self._lock:
            if self._folder is None:
                self._folder = tempfile.mkdtemp(prefix="envaudit-ssh-", dir=_socket_base())  # 0700
            path = str(Path(self._folder) / f"m{len(self._masters)}")
            master = _Master(path, [])
            self._masters[key] = master  # under the lock: the next host gets the next name
        # argv is "ssh OPTIONS -- DESTINATION"; the master's own options go before "--".
        split = argv.index("--")
        own = ["-N", "-f", "-o", "ControlMaster=yes", "-o", f"ControlPath={path}"]
        own += ["-o", f"ControlPersist={PERSIST_SECONDS}"]
        full = [*argv[:split], *own, *argv[split:]]
        master.argv = full
        # -f: ssh forks once authenticated and the parent exits; the child keeps no pipe of ours
        # (stderr goes to a file), so waiting for the parent never waits for the master.
        with tempfile.TemporaryFile() as errors:
            try:
                master.process = subprocess.Popen(  # noqa: S603 - the user's ssh; the host follows "--"
                    full,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=errors,
                    env=dict(environ),
                    start_new_session=True,  # Ctrl-C in the terminal is envaudit's to handle
                )
            except OSError as exc:
                master.error = f"cannot run ssh: {exc.strerror or exc}"
                return master
            try:
                code = master.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                master.process.kill()
                master.process.wait()
                master.error = "the SSH connection did not come up within the time limit (--timeout)"
                return master
            errors.seek(0)
            stderr = errors.read(64 * 1024)
        if code == 0 and Path(path).exists():
            master.ready = True
        elif code == 255 and b"unix_listener" not in stderr and b"ControlPath" not in stderr:
            master.error = explain(code, stderr)
        return master

    def close(self) -> None:
        """Tell every master to exit and remove the socket folder (idempotent)."""
        with self._lock:
            masters, self._masters = list(self._masters.values()), {}
            folder, self._folder = self._folder, None
            self._counts.clear()
            self._slots.clear()
            self._generation += 1
        for master in masters:
            if master.process is not None and master.process.poll() is None:
                master.process.kill()  # still connecting: the run is over
                master.process.wait()
            if master.ready:  # through its socket alone: no option that could make a connection
                destination = master.argv[master.argv.index("--") + 1]
                stop = ["ssh", "-o", f"ControlPath={master.path}", "-O", "exit", "--", destination]
                subprocess.run(stop, capture_output=True, timeout=10, check=False)  # noqa: S603
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)


# A Unix socket's path holds at most 104-108 bytes, and ssh adds 17 characters while it binds; a
# long $TMPDIR (CI runners' often are) gets /tmp instead.
MAX_SOCKET_FOLDER = 70


def _socket_base() -> str:
    base = tempfile.gettempdir()
    short = len(base) + len("/envaudit-ssh-12345678/m999") <= MAX_SOCKET_FOLDER
    return base if short else "/tmp"  # noqa: S108 - mkdtemp makes a private 0700 folder in it


SHARING = Sharing()  # one run per process: the CLI's, or an API caller's scan() (closed at its end)


class InSlot:
    """A session started in a slot of its host's pool: the slot is given back once the session's
    output is collected or it is killed, whichever comes first."""

    def __init__(self, started: Started, slot: threading.BoundedSemaphore) -> None:
        self._started = started
        self._slot: threading.BoundedSemaphore | None = slot
        self._lock = threading.Lock()
        self.requested = started.requested

    def _release(self) -> None:
        with self._lock:
            slot, self._slot = self._slot, None
        if slot is not None:
            slot.release()

    def result(self) -> str:
        try:
            return self._started.result()
        finally:
            self._release()

    def kill(self) -> None:
        try:
            self._started.kill()
        finally:
            self._release()
