"""A script sent to a child process on stdin (a local interpreter, or ssh to a remote one), started
now and collected later, with a timeout counted from the start.

A target is untrusted: a ``.pth`` file or a user probe may start a background process that keeps
our pipes open, print without end, or ignore signals. So every child runs in a session (and
process group) of its own, the whole group is killed on timeout, interrupt or once the script has
exited, every wait has a deadline, and what is read from the child is capped.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence

from envaudit.errors import TargetError

# What the in-target scripts print last (their DONE): the result is complete, whether or not the
# process that carries it (ssh, waiting on a child the target left behind) has exited.
DONE_MARKER = b"\n@@envaudit-done@@\n"
MAX_STDOUT = 64 << 20  # a scanner's or probe runner's result: the largest real ones are a few MiB
MAX_STDERR = 1 << 20  # only its first and last lines are ever shown
# After the script exits, how long a descendant that still holds our pipes is given to let go
# before its group is killed (it is killed either way; this only lets buffered output drain).
DRAIN_SECONDS = 0.5
KILL_WAIT_SECONDS = 5.0  # a SIGKILLed child is reaped within this, or left to the OS

_live: set[ScriptRun] = set()  # children running now, killed by abandon_all on Ctrl-C
_live_lock = threading.Lock()


class OutputTooLarge(Exception):
    pass


def output_too_large(target: str, cap: int) -> TargetError:
    return TargetError(target, f"printed more than {cap >> 20} MiB; stopped reading it (hostile or broken?)")


def keep_head_and_tail(buffer: bytearray, cap: int) -> None:
    """Trim ``buffer`` (a target's stderr) to ``cap`` bytes, keeping its head and its tail: where
    an error is said first, and where a traceback says it last."""
    if len(buffer) > cap:
        del buffer[cap // 2 : len(buffer) - cap // 2]


class ScriptRun:
    """Starting early lets the target start up while envaudit does its own imports and reads the
    project; ``result`` enforces the timeout from the moment of the start, and the child's whole
    process group is killed if it is abandoned (timeout, Ctrl-C, an error elsewhere).
    """

    def __init__(
        self,
        argv: Sequence[str],
        script: str,
        *,
        target: str,
        timeout: float,
        env: Mapping[str, str],
        explain: Callable[[int, bytes], str],
        requested: str,
        cannot_start: str,
        max_stdout: int = MAX_STDOUT,
        done_marker: bytes = DONE_MARKER,
    ) -> None:
        self.target = target
        self.timeout = timeout
        self.requested = requested  # what the target asked to run, for the snapshot
        self._explain = explain
        self._max_stdout = max_stdout
        self._done_marker = done_marker  # a batch of scripts ends with its own (sshbatch)
        self.started = time.monotonic()
        self._script = script.encode()
        self._done = False  # the script said its result is complete
        try:
            # An argv list, never a shell: the interpreter or ssh, with arguments envaudit built.
            self._proc = subprocess.Popen(  # noqa: S603
                list(argv),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=dict(env),
                start_new_session=True,  # its own process group: killed whole, deaf to our Ctrl-C
            )
        except OSError as exc:
            raise TargetError(
                target, f"{cannot_start}: {exc.strerror} (is it a Python interpreter?)"
            ) from None
        with _live_lock:
            _live.add(self)
        # The script is fed now, from a thread, so the target compiles and runs it while envaudit
        # goes on with other work (another target, the scanner beside the probes).
        self._feeder = threading.Thread(target=self._feed, daemon=True)
        self._feeder.start()

    def _feed(self) -> None:
        stdin = self._proc.stdin
        assert stdin is not None
        try:
            stdin.write(self._script)
        except OSError:
            pass  # it exited without reading it all: its exit status and stderr say why
        finally:
            with contextlib.suppress(OSError):
                stdin.close()

    def result(self) -> str:
        """The script's stdout; a failure, a non-zero exit, too much output or the timeout raise
        TargetError. The child's process group is gone when this returns, whatever happened."""
        return self.raw_result().decode("utf-8", errors="replace")

    def raw_result(self) -> bytes:
        """``result`` as the bytes the script printed."""
        deadline = self.started + self.timeout
        try:
            stdout, stderr = self._collect(deadline)
        except TimeoutError:
            raise TargetError(
                self.target, f"timed out after {self.timeout:g}s", tip="raise it with --timeout"
            ) from None
        except OutputTooLarge:
            raise output_too_large(self.target, self._max_stdout) from None
        finally:
            self.kill()
        returncode = self._proc.returncode
        if returncode != 0 and not self._done:  # killed after it said it was done: not a failure
            raise TargetError(self.target, self._explain(returncode, stderr))
        return stdout

    def _collect(self, deadline: float) -> tuple[bytes, bytes]:
        """Read stdout and stderr until both close, or until the script has exited and a moment
        has passed (a descendant holding the pipes is not waited for), within ``deadline``."""
        proc = self._proc
        assert proc.stdout is not None and proc.stderr is not None
        buffers = {proc.stdout.fileno(): bytearray(), proc.stderr.fileno(): bytearray()}
        stdout_fd, stderr_fd = proc.stdout.fileno(), proc.stderr.fileno()
        exited_at: float | None = None
        with selectors.DefaultSelector() as selector:
            for fd in buffers:
                selector.register(fd, selectors.EVENT_READ)
            while selector.get_map():
                now = time.monotonic()
                if now >= deadline:
                    raise TimeoutError
                if exited_at is None and proc.poll() is not None:
                    exited_at = now
                if exited_at is not None and now - exited_at >= DRAIN_SECONDS:
                    break  # the script is done; whatever still holds the pipes is killed below
                wait = min(deadline - now, 0.1 if exited_at is None else DRAIN_SECONDS)
                for key, _ in selector.select(wait):
                    fd = int(key.fd)
                    chunk = os.read(fd, 1 << 16)
                    if not chunk:
                        selector.unregister(fd)
                        continue
                    buffer = buffers[fd]
                    buffer += chunk
                    if fd != stdout_fd:
                        keep_head_and_tail(buffer, MAX_STDERR)
                        continue
                    if len(buffer) > self._max_stdout:
                        raise OutputTooLarge
                    marker = self._done_marker
                    if not self._done and marker in buffer[-len(chunk) - len(marker) :]:
                        self._done = True
                        exited_at = exited_at or now  # as good as exited: drain, then stop
        if self._done and proc.poll() is None:
            _kill_group(proc)  # ssh still waits on the remote child; the result is all here
        self._wait_exit(deadline)
        return bytes(buffers[stdout_fd]), bytes(buffers[stderr_fd])

    def _wait_exit(self, deadline: float) -> None:
        try:
            self._proc.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            raise TimeoutError from None

    def kill(self) -> None:
        """Kill the child's whole process group and reap it; safe to call more than once, and
        bounded: nothing here waits without a limit."""
        _kill_group(self._proc)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._proc.wait(timeout=KILL_WAIT_SECONDS)
        self._feeder.join(KILL_WAIT_SECONDS)
        for pipe in (self._proc.stdout, self._proc.stderr):
            if pipe is not None:
                with contextlib.suppress(OSError):
                    pipe.close()
        with _live_lock:
            _live.discard(self)


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the process group the child leads (the child and everything it started that did not
    leave the group); the child itself too, should the group be gone already."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()


def abandon_all() -> None:
    """Kill every child still running (Ctrl-C, SIGTERM): the threads waiting on them return at once."""
    with _live_lock:
        runs = list(_live)
    for run in runs:
        _kill_group(run._proc)
