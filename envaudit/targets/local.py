"""Local interpreters and venvs: run an in-target script with that interpreter, isolated."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from envaudit.errors import TargetError
from envaudit.targets import TargetKind, TargetSpec

# Passed through to the target because the interpreter may need them to start or to be found
# (pyenv shims read PYENV_*; a Python built with a shared libpython may need LD_LIBRARY_PATH).
# Everything else, PYTHONPATH, PYTHONHOME, VIRTUAL_ENV and friends above all, stays out.
PASSTHROUGH = ("PATH", "HOME", "LD_LIBRARY_PATH", "SYSTEMROOT", "TMPDIR")
PASSTHROUGH_PREFIXES = ("PYENV_", "ASDF_")


def minimal_environment(environ: Mapping[str, str]) -> dict[str, str]:
    env = {k: v for k, v in environ.items() if k in PASSTHROUGH or k.startswith(PASSTHROUGH_PREFIXES)}
    env.setdefault("PATH", os.defpath)
    env["LC_ALL"] = "C.UTF-8"
    env["PYTHONIOENCODING"] = "utf-8"  # ignored under -I by CPython, kept for other implementations
    return env


def venv_interpreter(folder: Path) -> Path | None:
    for candidate in ("bin/python3", "bin/python", "Scripts/python.exe"):
        path = folder / candidate
        if path.is_file():
            return path
    return None


def resolve_interpreter(spec: TargetSpec, environ: Mapping[str, str]) -> str:
    """The interpreter a local or python: target names, as a path; raises TargetError if there is none."""
    if spec.kind is TargetKind.LOCAL:
        venv = environ.get("VIRTUAL_ENV")
        if venv:
            found = venv_interpreter(Path(venv))
            if found is None:
                raise TargetError(spec.spelling, f"$VIRTUAL_ENV is {venv} but it holds no Python interpreter")
            return str(found)
        import shutil

        python3 = shutil.which("python3", path=environ.get("PATH"))
        if python3 is None:
            raise TargetError(spec.spelling, "no python3 on PATH", tip="name one with python:PATH")
        return python3
    path = Path(spec.location).expanduser()
    if path.is_dir():
        found = venv_interpreter(path)
        if found is None:
            raise TargetError(spec.spelling, f"{path} is a folder with no bin/python3 or bin/python in it")
        return str(found)
    if not path.exists():
        raise TargetError(spec.spelling, f"no such interpreter: {path}")
    if not os.access(path, os.X_OK):
        raise TargetError(spec.spelling, f"{path} is not executable")
    return str(path)


class ScriptRun:
    """A script running in ``interpreter -I -``, started now and collected later.

    Starting early lets the target's interpreter start up while envaudit does its own imports and
    reads the project; ``result`` enforces the timeout from the moment of the start, and the child
    is killed if it is abandoned (timeout, Ctrl-C, an error elsewhere).
    """

    def __init__(
        self,
        interpreter: str,
        script: str,
        args: Sequence[str],
        *,
        target: str,
        timeout: float,
        environ: Mapping[str, str],
    ) -> None:
        self.interpreter = interpreter
        self.target = target
        self.timeout = timeout
        self.started = time.monotonic()
        self._script = script.encode()
        try:
            self._proc = subprocess.Popen(
                [interpreter, "-I", "-", *args],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=minimal_environment(environ),
            )
        except OSError as exc:
            raise TargetError(
                target, f"cannot run {interpreter}: {exc.strerror} (is it a Python interpreter?)"
            ) from None

    def result(self) -> str:
        """The script's stdout; a failure, a non-zero exit or the timeout raise TargetError."""
        remaining = max(0.0, self.timeout - (time.monotonic() - self.started))
        try:
            stdout, stderr = self._proc.communicate(self._script, timeout=remaining)
        except subprocess.TimeoutExpired:
            self.kill()
            raise TargetError(
                self.target, f"timed out after {self.timeout:g}s", tip="raise it with --timeout"
            ) from None
        except BaseException:
            self.kill()
            raise
        if self._proc.returncode != 0:
            raise TargetError(self.target, describe_failure(self.interpreter, self._proc.returncode, stderr))
        return stdout.decode("utf-8", errors="replace")

    def kill(self) -> None:
        if self._proc.poll() is None:
            self._proc.kill()
        self._proc.communicate()


def describe_failure(interpreter: str, returncode: int, stderr: bytes) -> str:
    lines = [ln.strip() for ln in stderr.decode("utf-8", errors="replace").splitlines() if ln.strip()]
    if not lines:
        return f"{interpreter} exited with status {returncode} and no error output"
    # A Python traceback ends with the exception; anything else (a shim, a loader) says it first.
    said = lines[-1] if any(ln.startswith("Traceback") for ln in lines) else lines[0]
    if "SyntaxError" in said:
        return f"{interpreter} could not run the scanner ({said}); envaudit scans Python 3.8 and later"
    return f"{interpreter} exited with status {returncode}: {said}"
