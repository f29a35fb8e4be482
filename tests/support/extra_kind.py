"""A target kind that is not in envaudit: the interpreter running the tests, spelt ``this``.

The whole of a new kind is this module plus one registry line (see test_target_registry.py).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from typing import Any

from envaudit.targets.base import ScriptTarget, Started
from envaudit.targets.local import start_scanner


class ThisInterpreter(ScriptTarget):
    def start(self, script: str, args: Sequence[str]) -> Started:
        return start_scanner(
            sys.executable,
            script,
            args,
            target=self.spec.spelling,
            timeout=self.options.timeout,
            environ=self.environ,
        )

    def recorded_environ(self, raw: Mapping[str, Any]) -> Mapping[str, str]:
        return {}
