"""A target kind that is not in envaudit: the interpreter running the tests, spelt ``this``.

The whole of a new kind is this module plus one registry line (see test_target_registry.py). It
reuses how a local interpreter is run, and says only which interpreter.
"""

from __future__ import annotations

import sys

from envaudit.targets.local import PythonInterpreter


class ThisInterpreter(PythonInterpreter):
    def interpreter(self) -> str:
        return sys.executable
