"""The numerical runtime facts a target reported (``inprocess/runtime.py``), checked into the model.

Everything here comes from the target and is untrusted: every string is bounded, every number
checked for its type, anything of the wrong shape dropped rather than trusted.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from envaudit.model import CPU, BuildLibrary, Limits, Locale, MathLibrary, NumericPackage, Runtime, TimeZones

MAX_TEXT = 200


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _text(value: Any, limit: int = MAX_TEXT) -> str:
    return value[:limit] if isinstance(value, str) else ""


def _optional_text(value: Any, limit: int = MAX_TEXT) -> str | None:
    return value[:limit] if isinstance(value, str) else None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) and number >= 0 else None


def _pairs(value: Any, limit: int = 40) -> tuple[tuple[str, str], ...]:
    items = [
        (k[:80], v[:MAX_TEXT]) for k, v in _map(value).items() if isinstance(k, str) and isinstance(v, str)
    ]
    return tuple(sorted(items[:limit]))


def _library(raw: Any) -> MathLibrary | None:
    raw = _map(raw)
    kind = _text(raw.get("kind"), 20)
    if not kind:
        return None
    return MathLibrary(
        kind=kind,
        file=_text(raw.get("file")),
        version=_optional_text(raw.get("version"), 40),
        threads=_int(raw.get("threads")),
        architecture=_text(raw.get("architecture"), 40),
        config=_text(raw.get("config") or raw.get("error")),
    )


def _package(name: str, raw: Any, version: str = "") -> NumericPackage | None:
    if not isinstance(raw, Mapping):
        return None
    build = tuple(
        BuildLibrary(api, _text(_map(entry).get("name"), 80), _text(_map(entry).get("version"), 40))
        for api, entry in sorted(_map(raw.get("build")).items())
        if api in ("blas", "lapack")
    )
    libraries = raw.get("libraries")
    loaded = tuple(lib for lib in map(_library, libraries if isinstance(libraries, list) else []) if lib)[:20]
    return NumericPackage(name, _text(raw.get("version"), 40) or version, build, loaded)


def runtime_of(raw: Any, versions: Mapping[str, str]) -> Runtime | None:
    """The model of what the scanner reported, or None when it reported nothing (no --runtime).
    ``versions``: installed distributions' versions (scipy's, which is read, not imported)."""
    if not isinstance(raw, Mapping):
        return None
    cpu, limits, zones, loc = (_map(raw.get(k)) for k in ("cpu", "cgroup", "timezone", "locale"))
    raw_flags = cpu.get("flags")
    flags = [f[:20] for f in (raw_flags if isinstance(raw_flags, list) else []) if isinstance(f, str)][:40]
    return Runtime(
        threads=_pairs(raw.get("threads")),
        hash_seed=_optional_text(raw.get("hash_seed"), 40),
        cpu=CPU(
            count=_int(cpu.get("count")),
            usable=_int(cpu.get("usable")),
            model=_text(cpu.get("model"), 120),
            flags=tuple(f[:20] for f in (flags if isinstance(flags, list) else []) if isinstance(f, str))[
                :40
            ],
        ),
        limits=Limits(
            cgroup=_int(limits.get("version")),
            cpus=_number(limits.get("cpus")),
            memory=_int(limits.get("memory")),
        ),
        timezones=TimeZones(
            tz=_optional_text(zones.get("tz")),
            localtime=_text(zones.get("localtime"), 120),
            system=_optional_text(zones.get("system"), 20),
            system_path=_optional_text(zones.get("system_path")),
            tzdata_package=_optional_text(zones.get("tzdata_package"), 20),
            pytz=_optional_text(zones.get("pytz"), 20),
        ),
        locale=Locale(
            variables=_pairs(loc.get("variables")),
            effective=_text(loc.get("effective")),
            decimal_point=_text(loc.get("decimal_point"), 8),
            thousands_sep=_text(loc.get("thousands_sep"), 8),
            encoding=_text(loc.get("encoding"), 40),
            error=_text(loc.get("error")),
        ),
        numpy=_package("numpy", raw.get("numpy")),
        scipy=_package("scipy", raw.get("scipy"), versions.get("scipy", "")),
    )
