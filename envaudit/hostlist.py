"""Host names compressed into ranges, as pdsh and Slurm write them: web-[01-60,62],db-1.

Names are grouped by what surrounds their last number (prefix, suffix, and the number's width, so
zero-padded series stay apart from unpadded ones and every range expands back to exactly its
names); consecutive numbers become a range. Names without a number are listed as they are.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

# ASCII digits only: int() reads other scripts' digits too, and would write them back as ASCII.
_LAST_NUMBER = re.compile(r"^(.*?)([0-9]+)([^0-9]*)$", re.DOTALL)
_NUMBERS = re.compile(r"([0-9]+)")


def natural_key(name: str) -> tuple[object, ...]:
    """Sort key that puts web-2 before web-10."""
    return tuple(int(part) if i % 2 else part for i, part in enumerate(_NUMBERS.split(name)))


def compress(names: Iterable[str]) -> list[str]:
    """The names as ranges, in natural order of their first name; duplicates counted once."""
    return [_text(series, len(series.runs)) for series in _series(names)]


def shown(names: Iterable[str], limit: int = 6) -> str:
    """The names in ranges, at most ``limit`` of them (a run of numbers or a single name each),
    then how many more names there are: a line stays a line at 10,000 hosts."""
    parts: list[str] = []
    budget, rest = limit, 0
    for series in _series(names):
        if budget <= 0:
            rest += series.count
            continue
        take = min(budget, len(series.runs))
        parts.append(_text(series, take))
        rest += sum(b - a + 1 for a, b in series.runs[take:])
        budget -= take
    return ", ".join(parts) + (f" and {rest} more" if rest else "")


@dataclass(frozen=True)
class _Series:
    prefix: str
    suffix: str
    width: int  # 0: a name without a number, kept whole in prefix
    runs: tuple[tuple[int, int], ...]

    @property
    def count(self) -> int:
        return sum(b - a + 1 for a, b in self.runs) if self.width else 1


def _series(names: Iterable[str]) -> list[_Series]:
    numbered: dict[tuple[str, str, int], set[int]] = defaultdict(set)
    out: list[tuple[tuple[object, ...], _Series]] = []
    for name in dict.fromkeys(names):
        match = _LAST_NUMBER.match(name)
        if match is None:
            out.append((natural_key(name), _Series(name, "", 0, ((0, 0),))))
            continue
        prefix, digits, suffix = match.groups()
        numbered[(prefix, suffix, len(digits))].add(int(digits))
    for (prefix, suffix, width), numbers in numbered.items():
        runs: list[tuple[int, int]] = []
        for n in sorted(numbers):
            if runs and n == runs[-1][1] + 1:
                runs[-1] = (runs[-1][0], n)
            else:
                runs.append((n, n))
        first = f"{prefix}{runs[0][0]:0{width}d}{suffix}"
        out.append((natural_key(first), _Series(prefix, suffix, width, tuple(runs))))
    return [series for _, series in sorted(out, key=lambda item: item[0])]


def _text(series: _Series, runs: int) -> str:
    if not series.width:
        return series.prefix
    w = series.width
    kept = series.runs[:runs]
    if len(kept) == 1 and kept[0][0] == kept[0][1] and len(series.runs) == 1:
        return f"{series.prefix}{kept[0][0]:0{w}d}{series.suffix}"
    spans = ",".join(f"{a:0{w}d}" if a == b else f"{a:0{w}d}-{b:0{w}d}" for a, b in kept)
    return f"{series.prefix}[{spans}]{series.suffix}"
