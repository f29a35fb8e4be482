"""envaudit's behavioural probe runner, sent to a target's interpreter on stdin (``python -I -``).

It needs only the standard library and the target's own libraries. It runs the canonical suites
(pandas, numpy, scikit-learn: small deterministic programs on fixed data, chosen from real behaviour
changes, and controls that did not change), each where its library is installed (or those asked
for), then the user's own probes and models, and prints one JSON document after MARKER. Every case
is isolated: fresh data, its own warnings record, its own exception, its own time limit.

Like the scanner it must run on Python 3.8+: annotations stay strings (the __future__ import). It
imports a library only when a suite or a user probe needs it (pandas alone costs more than the whole
numpy suite). The host imports this module too, for the suites' metadata (CASES, SUITES); the
modules below are spliced into the script the targets get.
"""

from __future__ import annotations

import importlib
import json
import sys
import time
from importlib.util import find_spec
from typing import Any, Dict, List, Optional

# The order is the splice order: the registry and the rendering before what uses them.
# isort: off
from envaudit.inprocess.probe_cases import CASES, SUITES  # envaudit: splice probe_cases.py
from envaudit.inprocess.probe_render import run_case  # envaudit: splice probe_render.py

# The suites' code and the user-probe runner. Imported as modules here on the host; in the script the
# targets get, each is a string compiled only when needed (compiling them all costs more than the
# whole numpy suite).
SUITE_SOURCES: Dict[str, str] = {}
from envaudit.inprocess.probe_user import run_model, run_user  # noqa: E402  # envaudit: splice-lazy probe_user.py
from envaudit.inprocess import probe_pandas  # noqa: E402,F401  # envaudit: splice-lazy probe_pandas.py
from envaudit.inprocess import probe_numpy  # noqa: E402,F401  # envaudit: splice-lazy probe_numpy.py
from envaudit.inprocess import probe_sklearn  # noqa: E402,F401  # envaudit: splice-lazy probe_sklearn.py
# isort: on

__all__ = ["CASES", "DONE", "MARKER", "SUITES", "SUITE_VERSION", "main"]  # CASES complete: every suite ran

MARKER = "\n@@envaudit-probe-output@@\n"
DONE = "\n@@envaudit-done@@\n"  # said last: the result is complete (see the scanner's DONE)
SUITE_VERSION = "2026.12.2"

pd: Any = None  # the target's pandas, once a suite or a user probe has imported it
np: Any = None

# The libraries whose versions a probe run reports, by the ProbeRun field holding each.
_LIBRARIES = {"pandas": "pandas", "numpy": "numpy", "sklearn": "scikit-learn", "scipy": "scipy"}


def _set_library(name: str, module: Any) -> None:
    """Make an imported library visible to the suites and the user-probe runner.

    In the script the targets get everything shares this one namespace; imported as modules (the
    host, the tests), each spliced module has its own ``pd``/``np`` and is given them here.
    """
    short = {"pandas": "pd", "numpy": "np"}.get(name)
    if short is None:
        return
    globals()[short] = module
    for module_name in ("probe_render", "probe_pandas", "probe_numpy", "probe_sklearn", "probe_user"):
        spliced = sys.modules.get("envaudit.inprocess." + module_name)
        if spliced is not None:
            setattr(spliced, short, module)


def _import(name: str, failures: Dict[str, str]) -> Optional[Any]:
    """The target's library, or None with the reason in ``failures``."""
    if name in failures:
        return None
    if name in sys.modules:  # imported by another library already
        _set_library(name, sys.modules[name])
        return sys.modules[name]
    try:
        if find_spec(name) is None:
            failures[name] = "%s is not installed here" % _LIBRARIES.get(name, name)
            return None
        module = importlib.import_module(name)
    except Exception as exc:  # installed but broken (an ABI mismatch, a missing dependency)
        failures[name] = "%s cannot be imported here (%s: %s)" % (
            _LIBRARIES.get(name, name),
            type(exc).__name__,
            str(exc).splitlines()[0][:200] if str(exc) else "",
        )
        return None
    _set_library(name, module)
    return module


def _version(module_name: str) -> Optional[str]:
    try:
        from importlib import metadata

        return metadata.version(module_name)
    except Exception:  # not installed, or Python < 3.8's missing metadata
        return None


def _compile(module: str) -> bool:
    """In the script the targets get: run a module's code (held as a string) in this namespace."""
    source = SUITE_SOURCES.pop(module, None)
    if source is None:  # imported as a module (the host), or already run
        return False
    exec(compile(source, "<envaudit %s>" % module, "exec"), globals())  # noqa: S102
    return True


def _run_suites(options: Dict[str, Any], failures: Dict[str, str]) -> Dict[str, Any]:
    """The canonical suites asked for (default: every one whose library is installed here)."""
    wanted = options.get("suites")  # None: every suite that can run here
    cases = set(options.get("cases") or [])
    suites: List[Dict[str, Any]] = []
    results: List[Dict[str, Any]] = []
    if not options.get("canonical", True):
        return {"suites": suites, "cases": results}
    for name, suite in SUITES.items():
        if wanted is not None and name not in wanted:
            continue
        missing = [m for m in suite.modules if _import(m, failures) is None]
        if missing:
            suites.append({"name": name, "ran": False, "reason": failures[missing[0]]})
            continue
        if _compile("probe_" + name):
            for module in suite.modules:  # the suite's code declared its own (empty) library names
                _import(module, failures)
        selected = [c for c in CASES if c.suite == name and (not cases or c.id in cases)]
        if not selected:
            continue
        suites.append({"name": name, "ran": True, "reason": ""})
        results.extend(run_case(c) for c in selected)
    return {"suites": suites, "cases": results}


def main(argv: List[str], payload: Dict[str, Any]) -> int:
    options = json.loads(argv[1]) if len(argv) > 1 else {}
    started = time.perf_counter()
    result: Dict[str, Any] = {
        "probe_protocol": 1,
        "suite_version": SUITE_VERSION,
        "python": sys.version.split()[0],
    }
    failures: Dict[str, str] = {}
    result.update(_run_suites(options, failures))
    user, models = payload.get("user", []), payload.get("models", [])
    if user or models:
        _compile("probe_user")
        # The data is read with pandas where it is installed: import it now, if nothing has.
        for name in ("numpy", "pandas"):
            _import(name, failures)
    numpy_ok = _import("numpy", failures) is not None
    result["applicable"] = numpy_ok
    result["reason"] = (
        "" if numpy_ok else "neither numpy nor pandas can be imported here (%s)" % failures["numpy"]
    )
    result["user"] = [run_user(spec) for spec in user]
    result["models"] = [run_model(spec) for spec in models]
    # The versions of what was imported, by the suites or by the user's code and models.
    for key in _LIBRARIES:
        module = sys.modules.get(key)
        result[key] = getattr(module, "__version__", None) if module is not None else None
    result["pyarrow"] = _version("pyarrow") if "pandas" in sys.modules else None
    result["seconds"] = round(time.perf_counter() - started, 3)
    sys.stdout.write(MARKER + json.dumps(result) + DONE)
    sys.stdout.flush()
    return 0


PAYLOAD: Dict[str, Any] = {}  # replaced by envaudit with the user probes' code and data

if __name__ == "__main__":
    sys.exit(main(sys.argv, PAYLOAD))
