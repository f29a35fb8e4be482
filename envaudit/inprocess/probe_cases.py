"""The canonical probe suites' registry: which suites there are, and every case of each.

Spliced into the probe runner sent to targets, and imported by envaudit itself for the suites'
metadata (titles, the notes on when each outcome changes). Standard library only; Python 3.8+.
The suite modules (probe_pandas, probe_numpy, probe_sklearn) register their cases here as they are
executed: each begins with ``begin_suite(NAME)``, and every ``@case`` after it belongs to that suite.
CASES is complete only once they have all run: read it from probe_runner, which imports them.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Tuple

CaseFn = Callable[[], Any]


class Suite(object):
    """A canonical suite: the library whose behaviour it pins down.

    ``modules`` are imported before its cases run (a missing one: the suite does not run there);
    ``library`` is the distribution whose versions the cases' notes name; ``key`` the ProbeRun field
    holding that version.
    """

    def __init__(self, name: str, library: str, key: str, modules: Tuple[str, ...]) -> None:
        self.name = name
        self.library = library
        self.key = key
        self.modules = modules


# In the order they run; --suite and [tool.envaudit.probe] suites name them.
SUITES: Dict[str, Suite] = {
    "pandas": Suite("pandas", "pandas", "pandas", ("numpy", "pandas")),
    "numpy": Suite("numpy", "numpy", "numpy", ("numpy",)),
    "sklearn": Suite("sklearn", "scikit-learn", "sklearn", ("numpy", "sklearn")),
}


class Case(object):
    """One canonical probe: a function of no arguments that returns a value to fingerprint.

    ``changes`` says at which versions of its suite's library the result is known to change, and
    how, in plain language: {"3.0": "Copy-on-Write: ..."}; the suites' tests verify every claim on
    real venvs. ``runtime`` instead says which runtime fact (not a version) its result depends on.
    """

    def __init__(
        self, fn: CaseFn, suite: str, area: str, title: str, changes: Dict[str, str], *, runtime: str = ""
    ) -> None:
        self.id = fn.__name__
        self.fn = fn
        self.suite = suite
        self.area = area
        self.title = title
        self.changes = changes
        self.runtime = runtime


CASES: List[Case] = []
_current = ["pandas"]  # the suite whose module is being executed


def begin_suite(name: str) -> None:
    """The cases registered from here on belong to suite ``name``."""
    if name not in SUITES:
        raise ValueError("unknown suite %r" % name)
    _current[0] = name


def case(
    area: str, title: str, changes: Dict[str, str] | None = None, runtime: str = ""
) -> Callable[[CaseFn], CaseFn]:
    def register(fn: CaseFn) -> CaseFn:
        CASES.append(Case(fn, _current[0], area, title, changes or {}, runtime=runtime))
        return fn

    return register
