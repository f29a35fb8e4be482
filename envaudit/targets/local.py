"""Local interpreters and venvs: run an in-target script with that interpreter, isolated."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from envaudit.errors import TargetError
from envaudit.inprocess.runtime import THREAD_VARIABLES
from envaudit.targets.base import ScriptTarget, Started
from envaudit.targets.runner import ScriptRun

# Passed through to the target because the interpreter may need them to start or to be found
# (pyenv shims read PYENV_*; a Python built with a shared libpython may need LD_LIBRARY_PATH), or
# because the probes must compute as the user's code would (BLAS thread counts, the time zone).
# Everything else, PYTHONPATH, PYTHONHOME, VIRTUAL_ENV and friends above all, stays out.
PASSTHROUGH = ("PATH", "HOME", "LD_LIBRARY_PATH", "SYSTEMROOT", "TMPDIR", "TZ", *THREAD_VARIABLES)
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


PROJECT_VENVS = (".venv", "venv")


def _envaudit_s_own(path: Path) -> bool:
    """Is ``path`` (a prefix or an interpreter) the environment envaudit itself runs in?"""
    try:
        return path.resolve().is_relative_to(Path(sys.prefix).resolve())  # the prefix itself included
    except OSError:
        return False


def active_interpreter(spelling: str, environ: Mapping[str, str], project: Path | None) -> tuple[str, str]:
    """``local``: the application's environment, never envaudit's own (a tool runner such as
    pre-commit or pipx sets $VIRTUAL_ENV to envaudit's venv). The interpreter, and why it was chosen:
    $VIRTUAL_ENV unless it is envaudit's own, else the project's .venv or venv, else python3 on PATH
    (envaudit's own skipped)."""
    venv = environ.get("VIRTUAL_ENV")
    skipped = ""
    if venv:
        if not _envaudit_s_own(Path(venv)):
            found = venv_interpreter(Path(venv))
            if found is None:
                raise TargetError(spelling, f"$VIRTUAL_ENV is {venv} but it holds no Python interpreter")
            return str(found), f"the active virtual environment ($VIRTUAL_ENV={venv})"
        skipped = " ($VIRTUAL_ENV is envaudit's own)"
    folder = project if project is not None else Path.cwd()
    for name in PROJECT_VENVS:
        found = venv_interpreter(folder / name)
        if found is not None and not _envaudit_s_own(found.parent.parent):
            return str(found), f"the project's {name}{skipped}"
    import shutil

    own_bin = str(Path(sys.prefix) / "bin")
    path = os.pathsep.join(p for p in environ.get("PATH", "").split(os.pathsep) if p and p != own_bin)
    python3 = shutil.which("python3", path=path)
    if python3 is None:
        raise TargetError(spelling, f"no python3 on PATH{skipped}", tip="name one with python:PATH")
    return python3, f"python3 on PATH{skipped}"


def named_interpreter(spelling: str, location: str) -> str:
    """``python:PATH`` or a bare path: the interpreter, or the venv folder's, as a path."""
    shown = Path(location).expanduser()  # what the user wrote, for messages
    # Absolute, so that a relative path names a file in the current folder: "python:./python3"
    # must never become a bare "python3" that the OS would look up on PATH instead. (Not
    # resolve(): a venv's bin/python is a symlink, and the venv is what it names.)
    path = Path(os.path.abspath(shown))  # noqa: PTH100
    if path.is_dir():
        found = venv_interpreter(path)
        if found is None:
            raise TargetError(spelling, f"{shown} is a folder with no bin/python3 or bin/python in it")
        return str(found)
    if not path.exists():
        raise TargetError(spelling, f"no such interpreter: {shown}")
    if not os.access(path, os.X_OK):
        raise TargetError(spelling, f"{shown} is not executable")
    return str(path)


def start_scanner(
    interpreter: str,
    script: str,
    args: Sequence[str],
    *,
    target: str,
    timeout: float,
    environ: Mapping[str, str],
) -> ScriptRun:
    """Run ``script`` in ``interpreter -I -`` with a minimal environment; collect it with ``result()``."""
    return ScriptRun(
        [interpreter, "-I", "-", *args],
        script,
        target=target,
        timeout=timeout,
        env=minimal_environment(environ),
        explain=lambda code, stderr: describe_failure(interpreter, code, stderr),
        requested=interpreter,
        cannot_start=f"cannot run {interpreter}",
    )


def describe_failure(interpreter: str, returncode: int, stderr: bytes) -> str:
    lines = [ln.strip() for ln in stderr.decode("utf-8", errors="replace").splitlines() if ln.strip()]
    if not lines:
        return f"{interpreter} exited with status {returncode} and no error output"
    # A Python traceback ends with the exception; anything else (a shim, a loader) says it first.
    said = lines[-1] if any(ln.startswith("Traceback") for ln in lines) else lines[0]
    if "SyntaxError" in said:
        return f"{interpreter} could not run the scanner ({said}); envaudit scans Python 3.8 and later"
    return f"{interpreter} exited with status {returncode}: {said}"


class PythonInterpreter(ScriptTarget):
    """``python:PATH``, a venv folder or an interpreter's path: scanned in a child process here."""

    def interpreter(self) -> str:
        return named_interpreter(self.spec.spelling, self.spec.location)

    def start(self, script: str, args: Sequence[str]) -> Started:
        return start_scanner(
            self.interpreter(),
            script,
            args,
            target=self.spec.spelling,
            timeout=self.options.timeout,
            environ=self.environ,
        )

    def recorded_environ(self, raw: Mapping[str, Any]) -> Mapping[str, str]:
        # A local interpreter runs in the user's own environment, so that is the one to record.
        return self.environ

    def runtime_environ(self) -> dict[str, str | None]:
        # The scanner runs in a minimal environment (PASSTHROUGH); the user's code runs in this one,
        # so its thread counts, locale, TZ and hash seed are put back before the facts are read.
        from envaudit.inprocess.runtime import RUNTIME_VARIABLES

        return {name: self.environ.get(name) for name in RUNTIME_VARIABLES}


class ActiveInterpreter(PythonInterpreter):
    """``local``: the application's environment here (the active venv, the project's .venv, or
    python3 on PATH; never envaudit's own)."""

    def interpreter(self) -> str:
        interpreter, why = active_interpreter(self.spec.spelling, self.environ, self.options.project)
        self.chosen = f"{interpreter}: {why}"
        return interpreter
