"""Distribution names as PEP 508 allows them, checked where names enter envaudit (a target's
scanner output, a saved snapshot), so that nothing else ever has to wonder what a name holds.

This is packaging's own rule (``packaging.utils.canonicalize_name(name, validate=True)``, tested to
agree in tests/unit/test_names.py), kept here because importing packaging costs a scan 25 ms.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

# PEP 508: letters, digits, and . _ - inside; a letter or digit at both ends.
_NAME = "(?:[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9._-]*[A-Za-z0-9])"
VALID_NAME = re.compile(_NAME)
_SEPARATORS = re.compile(r"[-_.]+")
# Names joined with newlines, checked in one pass (a snapshot has thousands of them).
_ALL_VALID = re.compile(rf"(?:{_NAME}\n)*{_NAME}")
MAX_NAME = 200


def is_valid(name: str) -> bool:
    return len(name) <= MAX_NAME and VALID_NAME.fullmatch(name) is not None


def canonical(name: str) -> str:
    """PEP 503's normalised form: runs of - _ . become one -, lower case."""
    return _SEPARATORS.sub("-", name).lower()


def first_invalid(names: Sequence[str], canonical_names: Sequence[str]) -> int | None:
    """The index of the first name that is not a valid distribution name or whose canonical form
    is not the one given beside it; None if all are good. Fast when all are good (one regex pass)."""
    if not names:
        return None
    joined = "\n".join(names)
    if (
        joined.count("\n") == len(names) - 1  # no name smuggles a line break of its own
        and _ALL_VALID.fullmatch(joined) is not None
        and max(map(len, names)) <= MAX_NAME
        and canonical(joined) == "\n".join(canonical_names)
    ):
        return None
    for index, (name, given) in enumerate(zip(names, canonical_names, strict=True)):
        if not is_valid(name) or canonical(name) != given:
            return index
    return None  # pragma: no cover - the joined check and the loop agree
