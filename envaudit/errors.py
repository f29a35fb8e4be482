"""One exception family. ``str(error)`` is the sentence the user reads; the CLI catches it once."""

from __future__ import annotations

import errno
from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    FINDINGS = 1
    USAGE = 2
    UNREACHABLE = 3


class EnvauditError(Exception):
    """Base of every error envaudit reports to a user instead of a traceback."""

    exit_code: ExitCode = ExitCode.USAGE

    def __init__(self, message: str, *, tip: str | None = None) -> None:
        super().__init__(message)
        self.tip = tip


class UsageError(EnvauditError):
    """The command line itself is wrong (unknown target spelling, incompatible flags)."""


class InputError(EnvauditError):
    """A file the user gave us is malformed: snapshot, requirements file, config, archive."""

    def __init__(self, path: str, problem: str, *, tip: str | None = None) -> None:
        super().__init__(f"{path}: {problem}", tip=tip)
        self.path = path
        self.problem = problem


class TargetError(EnvauditError):
    """A target could not be reached or scanned; other targets still report."""

    exit_code = ExitCode.UNREACHABLE

    def __init__(self, target: str, problem: str, *, tip: str | None = None) -> None:
        super().__init__(f"{target}: {problem}", tip=tip)
        self.target = target
        self.problem = problem


def os_problem(exc: BaseException) -> str:
    """What went wrong with a file, in words: ``strerror``, and a symbolic link loop said as such
    (an ELOOP OSError, or the RuntimeError ``Path.resolve`` raises for one before Python 3.13)."""
    if isinstance(exc, OSError):
        return "a symbolic link loop" if exc.errno == errno.ELOOP else exc.strerror or type(exc).__name__
    return "a symbolic link loop" if "loop" in str(exc).lower() else str(exc)
