"""One session for several interpreters of a host: their scans run side by side in one SSH session.

Sharing a connection (``sshmux``) saves the key exchange, but every session still makes sshd start
the account's shell (which may read a ``~/.bashrc`` that runs ``pyenv init``: ~100 ms here). So the
scans of a host's targets (up to ``MAX_BATCH`` at a time) go in one session: a small POSIX ``sh``
driver saves the scanner sent on stdin to a private temporary folder, runs every interpreter with
it at once (each with its own stdout and stderr in a file, each killed by ``timeout`` if it outlives
the run's limit, where the host has ``timeout``), waits, and prints each one's exit status and
output, length-prefixed under a header holding a random nonce: nothing a target prints can forge a
part. Each target is then judged on its own part exactly as if it had had a session of its own (the
same explanations, the same DONE rule). A host that gives the driver no temporary folder gets one
session per target, as before.
"""

from __future__ import annotations

import math
import re
import secrets
import shlex
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from envaudit.errors import TargetError
from envaudit.targets.base import Started
from envaudit.targets.runner import DONE_MARKER, MAX_STDERR, MAX_STDOUT, ScriptRun

MAX_BATCH = 16  # interpreters per session: a host with more gets several sessions
KILLED = 137  # 128 + SIGKILL: what `timeout -s KILL` leaves


@dataclass(frozen=True)
class Part:
    code: int | None  # None: the interpreter left no status (it was killed with its session)
    stdout: bytes
    stderr: bytes


def driver(commands: Sequence[str], nonce: str, timeout: float) -> str:
    """The ``sh`` script that runs ``commands`` (each with the script on stdin) side by side."""
    limit = max(1, math.floor(timeout * 0.9))  # before the run's own deadline: the others get out
    lines = [
        "umask 077",
        f"d=$(mktemp -d 2>/dev/null) || {{ cat >/dev/null; printf '\\n@@{nonce} no-folder@@\\n'; exit 0; }}",
        "trap 'rm -rf \"$d\"' EXIT",
        'cat > "$d/s"',
        f"if command -v timeout >/dev/null 2>&1; then t='timeout -s KILL {limit}'; else t=; fi",
    ]
    for i, command in enumerate(commands):
        lines.append(f'($t {command} < "$d/s" > "$d/o{i}" 2> "$d/e{i}"; echo $? > "$d/c{i}") &')
    lines.append("wait")
    for i in range(len(commands)):
        err = f'tail -c {MAX_STDERR} "$d/e{i}"'
        lines.append(
            f'printf "\\n@@{nonce} {i} %s %s %s@@\\n" "$(cat "$d/c{i}" 2>/dev/null)" '
            f'"$(wc -c < "$d/o{i}")" "$({err} | wc -c)"; cat "$d/o{i}"; {err}'
        )
    lines.append(f"printf '\\n@@{nonce} end@@\\n'")
    return "\n".join(lines) + "\n"


def end_marker(nonce: str) -> bytes:
    return f"\n@@{nonce} end@@\n".encode()


def split(output: bytes, nonce: str, count: int) -> dict[int, Part] | None:
    """The parts of a driver's output by index (what cannot be read is left out: its target then
    fails with 'no result'); None if the host gave the driver no folder. Lengths end each part."""
    if f"\n@@{nonce} no-folder@@\n".encode() in output:
        return None
    header = re.compile(rb"\n@@" + nonce.encode() + rb" (\d+) (\d*) *(\d+) *(\d+)@@\n")
    parts: dict[int, Part] = {}
    pos = 0
    while (match := header.search(output, pos)) is not None:
        index, code, out_len, err_len = (
            match.group(1),
            match.group(2),
            int(match.group(3)),
            int(match.group(4)),
        )
        start = match.end()
        if int(index) < count:
            stdout = output[start : start + out_len]
            stderr = output[start + out_len : start + out_len + err_len]
            parts[int(index)] = Part(int(code) if code else None, stdout, stderr)
        pos = start + out_len + err_len
    return parts


class Member(Protocol):
    """What a batch needs of a target (``ssh.SSHHost``)."""

    def batch_command(self) -> str: ...

    def batch_explain(self, code: int, stderr: bytes) -> str: ...

    def own_session(self) -> Started: ...

    @property
    def batch_requested(self) -> str: ...

    @property
    def batch_target(self) -> str: ...


class Batch:
    """One session running several targets' scans; collected once, by whichever part asks first."""

    def __init__(self, run: ScriptRun, nonce: str, count: int, on_end: Callable[[], None]) -> None:
        self._run = run
        self._nonce = nonce
        self._count = count
        self._on_end = on_end
        self._lock = threading.Lock()
        self._collected = False
        self._parts: dict[int, Part] | None = None
        self._error: TargetError | None = None
        self._waiting = count  # parts not yet collected or abandoned

    def part(self, index: int) -> Part | TargetError | None:
        """This index's part; the session's own failure; or None: no folder, run it alone."""
        with self._lock:
            if not self._collected:
                self._collected = True
                try:
                    self._parts = split(self._run.raw_result(), self._nonce, self._count)
                except TargetError as exc:
                    self._error = exc
                finally:
                    self._on_end()
            if self._error is not None:
                return self._error
            if self._parts is None:
                return None
            return self._parts.get(index, Part(None, b"", b""))

    def leave(self) -> None:
        """A part will not be collected: when none will be, the session is stopped."""
        with self._lock:
            self._waiting -= 1
            stop = self._waiting <= 0 and not self._collected
            self._collected = self._collected or stop
        if stop:
            self._run.kill()
            self._on_end()


class BatchPart:
    """One target's scan within a batch: a ``Started`` like any other."""

    def __init__(self, batch: Batch, index: int, member: Member) -> None:
        self._batch = batch
        self._index = index
        self._member = member
        self._done = False
        self.requested = member.batch_requested

    def result(self) -> str:
        self._done = True
        got = self._batch.part(self._index)
        target = self._member.batch_target
        if got is None:  # no temporary folder on the host: a session of its own, as before
            return self._member.own_session().result()
        if isinstance(got, TargetError):
            raise TargetError(target, got.problem, tip=got.tip)
        if len(got.stdout) > MAX_STDOUT:
            raise TargetError(
                target, f"printed more than {MAX_STDOUT >> 20} MiB; stopped reading it (hostile or broken?)"
            )
        finished = DONE_MARKER in got.stdout
        if got.code is None and not finished:
            raise TargetError(target, "no result from its interpreter (killed with its session)")
        if got.code == KILLED and not finished:
            raise TargetError(target, "timed out (killed on the host)", tip="raise it with --timeout")
        if got.code != 0 and not finished:
            raise TargetError(target, self._member.batch_explain(got.code or 1, got.stderr))
        return got.stdout.decode("utf-8", errors="replace")

    def kill(self) -> None:
        if not self._done:
            self._done = True
            self._batch.leave()


class Failed:
    """A batch member whose session could not start: it fails with the leader's reason."""

    def __init__(self, error: TargetError, member: Member) -> None:
        self._error = error
        self._member = member
        self.requested = member.batch_requested

    def result(self) -> str:
        raise TargetError(self._member.batch_target, self._error.problem, tip=self._error.tip)

    def kill(self) -> None:
        pass


# How a batch's session is started: (the run, its nonce, what to call when it ends).
Starter = Callable[[Sequence[Member]], tuple[ScriptRun, str, Callable[[], None]]]


class Batches:
    """The hosts' batches of one run: which targets are whose, and each target's claimed part."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ready = threading.Condition(self._lock)  # a batch's parts handed out
        self._members: dict[object, list[Member]] = {}
        self._parts: dict[int, Started] = {}  # id(member) -> its part, until it is taken
        self._taken: set[int] = set()

    def register(self, key: object, member: Member) -> None:
        with self._lock:
            self._members.setdefault(key, []).append(member)

    def part(self, key: object, member: Member, start: Starter) -> Started:
        """``member``'s scan: from the batch it is already in, or a new batch it leads with the
        host's other targets whose scans have not started."""
        with self._ready:
            # In a batch another target is starting: wait for it to hand this one its part.
            while id(member) in self._taken and id(member) not in self._parts:
                self._ready.wait()
            ready = self._parts.pop(id(member), None)
            if ready is not None:
                return ready
            others = [m for m in self._members.get(key, []) if m is not member and id(m) not in self._taken]
            members = [member, *others][:MAX_BATCH]
            self._taken.update(id(m) for m in members)
        try:
            run, nonce, on_end = start(members)
        except BaseException as exc:
            error = exc if isinstance(exc, TargetError) else TargetError(member.batch_target, "stopped")
            with self._ready:
                self._parts.update({id(m): Failed(error, m) for m in members[1:]})
                self._ready.notify_all()
            raise
        batch = Batch(run, nonce, len(members), on_end)
        parts = [BatchPart(batch, i, m) for i, m in enumerate(members)]
        with self._ready:
            self._parts.update({id(m): p for m, p in zip(members[1:], parts[1:], strict=True)})
            self._ready.notify_all()
        return parts[0]

    def clear(self) -> None:
        with self._ready:
            leftover = list(self._parts.values())
            self._members.clear()
            self._parts.clear()
            self._taken.clear()
            self._ready.notify_all()  # a waiter whose batch never started asks again, and leads one
        for part in leftover:  # claimed but never collected (an error, Ctrl-C): the session ends
            part.kill()


def commands_of(pythons: Sequence[str], args: Sequence[str]) -> list[str]:
    return [shlex.join([python, "-I", "-", *args]) for python in pythons]


def new_nonce() -> str:
    return "envaudit-part-" + secrets.token_hex(8)


BATCHES = Batches()
