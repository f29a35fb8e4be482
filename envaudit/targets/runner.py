"""A script sent to a child process on stdin (a local interpreter, or ssh to a remote one), started
now and collected later, with a timeout counted from the start."""

from __future__ import annotations

import contextlib
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence

from envaudit.errors import TargetError

_live: set[ScriptRun] = set()  # children running now, killed by abandon_all on Ctrl-C
_live_lock = threading.Lock()


class ScriptRun:
    """Starting early lets the target start up while envaudit does its own imports and reads the
    project; ``result`` enforces the timeout from the moment of the start, and the child is killed
    if it is abandoned (timeout, Ctrl-C, an error elsewhere).
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
    ) -> None:
        self.target = target
        self.timeout = timeout
        self.requested = requested  # what the target asked to run, for the snapshot
        self._explain = explain
        self.started = time.monotonic()
        self._script = script.encode()
        try:
            self._proc = subprocess.Popen(
                list(argv),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=dict(env),
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
            self._proc.stdin = None  # fed: communicate() must leave it alone

    def result(self) -> str:
        """The script's stdout; a failure, a non-zero exit or the timeout raise TargetError."""
        remaining = max(0.0, self.timeout - (time.monotonic() - self.started))
        try:
            self._feeder.join(remaining)
            stdout, stderr = self._proc.communicate(
                timeout=max(0.0, self.timeout - (time.monotonic() - self.started))
            )
        except subprocess.TimeoutExpired:
            self.kill()
            raise TargetError(
                self.target, f"timed out after {self.timeout:g}s", tip="raise it with --timeout"
            ) from None
        except BaseException:
            self.kill()
            raise
        finally:
            with _live_lock:
                _live.discard(self)
        if self._proc.returncode != 0:
            raise TargetError(self.target, self._explain(self._proc.returncode, stderr))
        return stdout.decode("utf-8", errors="replace")

    def kill(self) -> None:
        if self._proc.poll() is None:
            self._proc.kill()
        self._feeder.join()
        self._proc.communicate()
        with _live_lock:
            _live.discard(self)


def abandon_all() -> None:
    """Kill every child still running (Ctrl-C, SIGTERM): the threads waiting on them return at once."""
    with _live_lock:
        runs = list(_live)
    for run in runs:
        if run._proc.poll() is None:
            run._proc.kill()
