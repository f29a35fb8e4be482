"""OS package versions: ordered by each package manager's own rules, and the OSV ecosystem names
under which distributions publish their advisories.

dpkg's ordering (epochs, ``~`` before everything, revisions) is python-debian's, Debian's own
implementation. apk's has no library: it is written here after apk-tools' ``version.c`` (Gentoo-style
``1.2.3b_rc1_p2-r4``) and tested against apk-tools' own test data (fixtures/osversions/).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from envaudit.model import Distro

Event = tuple[str, str]

# --- apk --------------------------------------------------------------------------------------------

# Token kinds in apk's order: when two versions agree up to where one goes on, the kind of what
# comes next decides (a revision ranks above the end, a pre-release suffix below it).
_INITIAL_DIGIT, _DIGIT, _LETTER, _SUFFIX, _SUFFIX_NO, _COMMIT_HASH, _REVISION_NO, _END, _INVALID = range(9)
# Suffixes in order; "" stands where a version without a suffix ranks.
_SUFFIXES = ("alpha", "beta", "pre", "rc", "", "cvs", "svn", "git", "hg", "p")
_NO_SUFFIX = _SUFFIXES.index("")
_HEX = frozenset("0123456789abcdef")


@dataclass
class _ApkToken:
    kind: int = _INITIAL_DIGIT
    value: str = ""  # the token's text
    number: int = 0
    suffix: int = _NO_SUFFIX


def _apk_digits(token: _ApkToken, text: str, at: int) -> int:
    end = at
    while end < len(text) and text[end].isdigit():
        end += 1
    token.value = text[at:end]
    token.number = int(token.value) if token.value else 0
    if not token.value:
        token.kind = _INVALID
    return end


def _apk_next(token: _ApkToken, text: str, at: int) -> int:
    """Read the token at ``at`` into ``token`` (its kind checked against the one before); the
    position after it."""
    if at >= len(text):
        token.kind = _END
        return at
    char = text[at]
    if "a" <= char <= "z" and token.kind <= _DIGIT:
        token.kind, token.value = _LETTER, char
        return at + 1
    if (char == "." and token.kind <= _DIGIT) or char.isdigit():
        if char == ".":
            at += 1
        if token.kind in (_INITIAL_DIGIT, _DIGIT):
            token.kind = _DIGIT
        elif token.kind == _SUFFIX:  # never after a ".": that was refused above
            token.kind = _SUFFIX_NO
        else:
            token.kind = _INVALID
            return at
        return _apk_digits(token, text, at)
    if char == "_" and token.kind <= _SUFFIX_NO:
        end = at + 1
        while end < len(text) and "a" <= text[end] <= "z":
            end += 1
        token.value = text[at + 1 : end]
        if token.value in _SUFFIXES and token.value:
            token.kind, token.suffix = _SUFFIX, _SUFFIXES.index(token.value)
        else:
            token.kind = _INVALID
        return end
    if char == "~" and token.kind < _COMMIT_HASH:
        end = at + 1
        while end < len(text) and text[end] in _HEX:
            end += 1
        token.value = text[at + 1 : end]
        token.kind = _COMMIT_HASH if token.value else _INVALID
        return end
    if char == "-" and token.kind < _REVISION_NO and text[at + 1 : at + 2] == "r":
        token.kind = _REVISION_NO
        return _apk_digits(token, text, at + 2)
    token.kind = _INVALID
    return at


def _apk_token_cmp(a: _ApkToken, b: _ApkToken) -> int:
    if a.kind == _DIGIT and not (a.value.startswith("0") or b.value.startswith("0")):
        x, y = a.number, b.number  # a leading zero compares as text, as Gentoo's rules say
    elif a.kind in (_INITIAL_DIGIT, _SUFFIX_NO, _REVISION_NO):
        x, y = a.number, b.number
    elif a.kind == _SUFFIX:
        x, y = a.suffix, b.suffix
    else:  # letters, commit hashes, digits with a leading zero: byte order, then length
        return (a.value > b.value) - (a.value < b.value)
    return (x > y) - (x < y)


def apk_valid(version: str) -> bool:
    token = _ApkToken()
    at = _apk_digits(token, version, 0)
    while token.kind < _END:
        at = _apk_next(token, version, at)
    return token.kind == _END


def apk_compare(a: str, b: str) -> int:
    """-1, 0 or 1 as apk orders two versions (``apk version -t a b``)."""
    left, right = _ApkToken(), _ApkToken()
    i, j = _apk_digits(left, a, 0), _apk_digits(right, b, 0)
    while left.kind == right.kind and left.kind < _END:
        result = _apk_token_cmp(left, right)
        if result:
            return result
        i, j = _apk_next(left, a, i), _apk_next(right, b, j)
    if left.kind == right.kind:
        return 0
    # Equal so far: the longer one is greater, unless what it has more of is a pre-release suffix.
    if left.kind == _SUFFIX and left.suffix < _NO_SUFFIX:
        return -1
    if right.kind == _SUFFIX and right.suffix < _NO_SUFFIX:
        return 1
    return -1 if left.kind > right.kind else 1


def dpkg_compare(a: str, b: str) -> int:
    """-1, 0 or 1 as ``dpkg --compare-versions`` orders two versions."""
    from debian.debian_support import version_compare

    result = version_compare(a, b)
    return (result > 0) - (result < 0)


COMPARE = {"dpkg": dpkg_compare, "apk": apk_compare}


def comparable(manager: str) -> bool:
    return manager in COMPARE


def compare(manager: str, a: str, b: str) -> int:
    return COMPARE[manager](a, b)


# --- OSV ranges ---------------------------------------------------------------------------------------

_ORDER = {"introduced": 0, "last_affected": 1, "fixed": 2, "limit": 3}


def in_range(manager: str, events: Iterable[Event], version: str) -> bool:
    """OSV's evaluation of one ECOSYSTEM range, in the distribution's version order."""
    from functools import cmp_to_key

    cmp = COMPARE[manager]
    parsed = [(value, kind) for kind, value in events if kind in _ORDER and value]

    def order(x: tuple[str, str], y: tuple[str, str]) -> int:
        return cmp(x[0], y[0]) or _ORDER[x[1]] - _ORDER[y[1]]

    key = cmp_to_key(order)
    affected = False
    for value, kind in sorted(parsed, key=key):
        if kind == "introduced" and (value == "0" or cmp(version, value) >= 0):
            affected = True
        elif (kind == "fixed" and cmp(version, value) >= 0) or (
            kind == "last_affected" and cmp(version, value) > 0
        ):
            affected = False
        elif kind == "limit" and cmp(version, value) >= 0:
            return False
    return affected


def highest(manager: str, versions: Iterable[str]) -> str:
    from functools import cmp_to_key

    return max(versions, key=cmp_to_key(COMPARE[manager]))


def lowest(manager: str, versions: Iterable[str]) -> str:
    from functools import cmp_to_key

    return min(versions, key=cmp_to_key(COMPARE[manager]))


# --- ecosystems -------------------------------------------------------------------------------------


def ecosystem_key(ecosystem: str) -> str | None:
    """The release an OSV ecosystem names, as this module keys it (``Debian:12``, ``Ubuntu:22.04``,
    ``Alpine:v3.20``); None for ecosystems that are not a distribution's (or are paid-for streams)."""
    parts = ecosystem.split(":")
    if len(parts) < 2 or not parts[1]:
        return None
    if parts[0] in ("Debian", "Alpine"):
        return f"{parts[0]}:{parts[1]}"
    if parts[0] == "Ubuntu" and parts[1] not in ("Pro", "FIPS"):
        return f"Ubuntu:{parts[1]}"
    return None


def distro_key(distro: Distro | None) -> str | None:
    """The ecosystem key of a distribution's release, from its os-release."""
    if distro is None or not distro.version_id:
        return None
    if distro.id == "debian":
        return f"Debian:{distro.version_id.split('.')[0]}"
    if distro.id == "ubuntu":
        return f"Ubuntu:{distro.version_id}"
    if distro.id == "alpine":
        return "Alpine:v" + ".".join(distro.version_id.split(".")[:2])
    return None


def manager_of(key: str) -> str:
    return "apk" if key.startswith("Alpine:") else "dpkg"
