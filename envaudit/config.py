"""``[tool.envaudit]`` in pyproject.toml (or a file given with --config): read once per command and
validated here, every section, strictly.

An unknown key or a value of the wrong type is an error naming its full path, e.g.
``pyproject.toml: tool.envaudit.env.exclude: expected a list of strings``. Defaults come from
``defaults``; flags override what is read here (in the verbs).
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import math
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from envaudit import defaults, names
from envaudit.codeimports import ImportConfig
from envaudit.envvars import DEFAULT_EXCLUDE, EnvPolicy
from envaudit.errors import InputError
from envaudit.severity import FailOn, Severity

if TYPE_CHECKING:
    from envaudit.findings import Finding

ROOT = "tool.envaudit"


class ConfigReader:
    """Typed access to one TOML table that remembers the path of every key, for error messages."""

    def __init__(self, source: str, table: dict[str, Any], path: str) -> None:
        self.source = source
        self.table = table
        self.path = path

    def error(self, key: str, problem: str) -> InputError:
        return InputError(self.source, f"{self.path}.{key}: {problem}")

    def reject_unknown(self, allowed: set[str]) -> None:
        for key in self.table:
            if key not in allowed:
                known = ", ".join(sorted(allowed)) or "none"
                raise self.error(key, f"unknown key (known keys here: {known})")

    def sub(self, key: str) -> ConfigReader:
        value = self.table.get(key, {})
        if not isinstance(value, dict):
            raise self.error(key, "expected a table")
        return ConfigReader(self.source, value, f"{self.path}.{key}")

    def str_list(self, key: str, default: tuple[str, ...]) -> tuple[str, ...]:
        value = self.table.get(key)
        if value is None:
            return default
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.error(key, "expected a list of strings")
        return tuple(value)

    def string(self, key: str, default: str | None = None) -> str | None:
        value = self.table.get(key)
        if value is None:
            return default
        if not isinstance(value, str):
            raise self.error(key, "expected a string")
        return value

    def boolean(self, key: str, default: bool) -> bool:
        value = self.table.get(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise self.error(key, "expected true or false")
        return value

    def number(
        self, key: str, default: float, *, positive: bool = False, maximum: float | None = None
    ) -> float:
        """A finite number (TOML also has nan and inf), 0 or more; more than 0 if ``positive``."""
        value = self.table.get(key)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.error(key, "expected a number")
        number = float(value)
        if not math.isfinite(number):
            raise self.error(key, f"expected a finite number, got {value!r}")
        if number < 0 or (positive and number == 0):
            raise self.error(key, f"must be {'more than 0' if positive else '0 or more'}, got {value!r}")
        if maximum is not None and number > maximum:
            raise self.error(key, f"must be at most {maximum:g}, got {value!r}")
        return number


# --- [tool.envaudit.gate] -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Ignore:
    reason: str
    package: str | None = None  # glob on the finding's subject
    rule: str | None = None
    id: str | None = None  # a vulnerability id or any of its aliases (PYSEC-, GHSA-, CVE-)
    expires: dt.date | None = None

    def matches(self, f: Finding) -> bool:
        if self.rule is not None and f.rule != self.rule:
            return False
        if self.id is not None and self.id not in _vulnerability_ids(f):
            return False
        return self.package is None or fnmatch.fnmatchcase(f.subject, self.package)

    def describe(self) -> str:
        what = " ".join(p for p in (self.rule, self.id, self.package) if p)
        return f"ignore {what!r} ({self.reason})"


@dataclass(frozen=True, slots=True)
class GatePolicy:
    baseline: str | None = None
    target: str = defaults.GATE_TARGET
    fail_on: FailOn = FailOn.WARNING  # defaults.GATE_FAIL_ON
    allow_drift: frozenset[str] = frozenset()
    rule_overrides: tuple[tuple[str, str], ...] = ()  # rule id -> "off" or a severity
    fail_on_unpinned: bool = False
    fail_on_loose: bool = False
    audit: bool = False  # also audit the target for known vulnerabilities ([tool.envaudit.audit])
    probe: bool = False  # also run the behavioural probes ([tool.envaudit.probe]) and compare them
    ignores: tuple[Ignore, ...] = field(default=())


GATE_KEYS = {
    "baseline",
    "target",
    "fail_on",
    "allow_drift",
    "rules",
    "fail_on_unpinned",
    "fail_on_loose",
    "ignore",
    "audit",
    "probe",
}
IGNORE_KEYS = {"package", "rule", "id", "reason", "expires"}


def _vulnerability_ids(f: Finding) -> set[str]:
    return {i for i in (f.detail("id") or "", *(f.detail("aliases") or "").split(",")) if i}


def _choice(reader: ConfigReader, key: str, value: str, allowed: list[str]) -> str:
    if value not in allowed:
        raise reader.error(key, f"expected one of {', '.join(allowed)}, got {value!r}")
    return value


def parse_gate(source: str, table: dict[str, Any]) -> GatePolicy:
    """GatePolicy from the ``[tool.envaudit.gate]`` table; errors name the key's full path."""
    from envaudit.rules import LEVEL_RULES, RULES  # the catalogue: only when there is a gate table

    reader = ConfigReader(source, table, "tool.envaudit.gate")
    reader.reject_unknown(GATE_KEYS)
    fail_on = _choice(
        reader,
        "fail_on",
        reader.string("fail_on", defaults.GATE_FAIL_ON) or defaults.GATE_FAIL_ON,
        [f.value for f in FailOn],
    )
    drift = reader.str_list("allow_drift", ())
    for level in drift:
        _choice(reader, "allow_drift", level, list(LEVEL_RULES))
    rules_reader = reader.sub("rules")
    overrides: list[tuple[str, str]] = []
    for rule_id, value in rules_reader.table.items():
        if rule_id not in RULES:
            raise rules_reader.error(
                rule_id, f"unknown rule (rules are {min(RULES)}..{max(RULES)}; see docs/rules.md)"
            )
        if not isinstance(value, str) or value not in ("off", *(s.value for s in Severity)):
            raise rules_reader.error(rule_id, 'expected "off", "error", "warning" or "info"')
        overrides.append((rule_id, value))
    ignores_raw = table.get("ignore", [])
    if not isinstance(ignores_raw, list):
        raise reader.error("ignore", "expected an array of tables ([[tool.envaudit.gate.ignore]])")
    ignores = tuple(_ignore(source, item, i) for i, item in enumerate(ignores_raw))
    return GatePolicy(
        baseline=reader.string("baseline"),
        target=reader.string("target", defaults.GATE_TARGET) or defaults.GATE_TARGET,
        fail_on=FailOn(fail_on),
        allow_drift=frozenset(drift),
        rule_overrides=tuple(overrides),
        fail_on_unpinned=reader.boolean("fail_on_unpinned", False),
        fail_on_loose=reader.boolean("fail_on_loose", False),
        audit=reader.boolean("audit", False),
        probe=reader.boolean("probe", False),
        ignores=ignores,
    )


def _ignore(source: str, item: Any, index: int) -> Ignore:
    path = f"tool.envaudit.gate.ignore[{index}]"
    if not isinstance(item, dict):
        raise InputError(source, f"{path}: expected a table")
    reader = ConfigReader(source, item, path)
    reader.reject_unknown(IGNORE_KEYS)
    reason = reader.string("reason")
    if not reason:
        raise reader.error("reason", "missing: every ignore needs a reason")
    package, rule_id, vuln_id = reader.string("package"), reader.string("rule"), reader.string("id")
    if package is None and rule_id is None and vuln_id is None:
        raise InputError(source, f"{path}: needs a package, a rule or a vulnerability id")
    from envaudit.rules import RULES

    if rule_id is not None and rule_id not in RULES:
        raise reader.error("rule", f"unknown rule {rule_id!r}")
    expires = item.get("expires")
    if isinstance(expires, str):
        try:
            expires = dt.date.fromisoformat(expires)
        except ValueError:
            raise reader.error("expires", f"not a date: {expires!r} (use YYYY-MM-DD)") from None
    if isinstance(expires, dt.datetime):
        expires = expires.date()
    if expires is not None and not isinstance(expires, dt.date):
        raise reader.error("expires", "expected a date (YYYY-MM-DD)")
    return Ignore(reason=reason, package=package, rule=rule_id, id=vuln_id, expires=expires)


# --- [tool.envaudit.probe] and [tool.envaudit.audit] ----------------------------------------------


@dataclass(frozen=True, slots=True)
class UserProbeEntry:
    """One ``[[tool.envaudit.probe.user]]``: checked and loaded by the probe verb (paths are
    relative to the config file's folder)."""

    function: str
    data: str
    timeout: float


@dataclass(frozen=True, slots=True)
class ModelProbeEntry:
    """One ``[[tool.envaudit.probe.model]]``: the user's fitted model and the data to run it on."""

    file: str
    data: str
    timeout: float


@dataclass(frozen=True, slots=True)
class ProbeConfig:
    canonical: bool = True
    tolerance: float = defaults.TOLERANCE
    timeout: float = defaults.PROBE_TIMEOUT
    user: tuple[UserProbeEntry, ...] = ()
    suites: tuple[str, ...] | None = None  # None: every suite whose library a target has
    strict: bool = False
    models: tuple[ModelProbeEntry, ...] = ()


def _entries(
    reader: ConfigReader, key: str, fields: tuple[str, str], timeout: float
) -> list[tuple[str, str, float]]:
    """``[[tool.envaudit.probe.KEY]]`` tables: both ``fields`` required, an optional timeout."""
    configured = reader.table.get(key, [])
    if not isinstance(configured, list):
        raise reader.error(key, f"expected an array of tables ([[tool.envaudit.probe.{key}]])")
    entries = []
    for i, entry in enumerate(configured):
        item = ConfigReader(
            reader.source, entry if isinstance(entry, dict) else {}, f"{reader.path}.{key}[{i}]"
        )
        if not isinstance(entry, dict):
            raise item.error("", f"expected a table with {fields[0]} and {fields[1]}")
        item.reject_unknown({*fields, "timeout"})
        first, second = item.string(fields[0]), item.string(fields[1])
        if not first or not second:
            raise item.error(fields[0] if not first else fields[1], "required")
        entries.append(
            (first, second, item.number("timeout", timeout, positive=True, maximum=defaults.MAX_TIMEOUT))
        )
    return entries


def parse_probe(reader: ConfigReader) -> ProbeConfig:
    from envaudit.inprocess.probe_cases import SUITES

    reader.reject_unknown({"canonical", "tolerance", "timeout", "user", "suites", "strict", "model"})
    timeout = reader.number("timeout", defaults.PROBE_TIMEOUT, positive=True, maximum=defaults.MAX_TIMEOUT)
    suites = None
    if "suites" in reader.table:
        suites = reader.str_list("suites", ())
        unknown = [s for s in suites if s not in SUITES]
        if unknown:
            raise reader.error("suites", f"no such suite {unknown[0]!r} (there are {', '.join(SUITES)})")
    return ProbeConfig(
        canonical=reader.boolean("canonical", True),
        tolerance=reader.number("tolerance", defaults.TOLERANCE),
        timeout=timeout,
        user=tuple(UserProbeEntry(*e) for e in _entries(reader, "user", ("function", "data"), timeout)),
        suites=suites,
        strict=reader.boolean("strict", False),
        models=tuple(ModelProbeEntry(*e) for e in _entries(reader, "model", ("file", "data"), timeout)),
    )


SERVICES = ("osv", "pypi")


@dataclass(frozen=True, slots=True)
class AuditConfig:
    advisory_db: Path | None = None  # relative to the config file's folder, already joined
    service: str = defaults.SERVICE
    service_url: str | None = None
    strict: bool = False
    timeout: float = defaults.SERVICE_TIMEOUT


def parse_audit(reader: ConfigReader, base: Path) -> AuditConfig:
    reader.reject_unknown({"advisory_db", "service", "service_url", "strict", "timeout"})
    configured_db = reader.string("advisory_db")
    service = reader.string("service", defaults.SERVICE) or defaults.SERVICE
    if service not in SERVICES:
        raise reader.error("service", f'expected "osv" or "pypi", got {service!r}')
    return AuditConfig(
        advisory_db=base / configured_db if configured_db else None,
        service=service,
        service_url=reader.string("service_url"),
        strict=reader.boolean("strict", False),
        timeout=reader.number(
            "timeout", defaults.SERVICE_TIMEOUT, positive=True, maximum=defaults.MAX_TIMEOUT
        ),
    )


# --- [tool.envaudit.scan] and [tool.envaudit.imports] ----------------------------------------------


@dataclass(frozen=True, slots=True)
class ScanConfig:
    """What every command that scans collects beyond the defaults (flags override)."""

    runtime: bool = False  # numerical runtime facts (--runtime)
    imports: bool = False  # the project's imports even without --project (--imports)


def parse_scan(reader: ConfigReader) -> ScanConfig:
    reader.reject_unknown({"runtime", "imports"})
    return ScanConfig(runtime=reader.boolean("runtime", False), imports=reader.boolean("imports", False))


def parse_imports(reader: ConfigReader) -> ImportConfig:
    reader.reject_unknown({"exclude", "ignore", "local", "ignore_unused"})
    return ImportConfig(
        exclude=reader.str_list("exclude", ()),
        ignore=reader.str_list("ignore", ()),
        local=reader.str_list("local", ()),
        ignore_unused=tuple(names.canonical(n) for n in reader.str_list("ignore_unused", ())),
    )


# --- the whole table ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Config:
    source: str | None = None  # the file it came from, None for defaults
    base: Path | None = None  # the folder paths in it are relative to (the file's); None: the current one
    env: EnvPolicy = field(default_factory=EnvPolicy)
    gate: GatePolicy = field(default_factory=GatePolicy)
    probe: ProbeConfig = field(default_factory=ProbeConfig)
    audit: AuditConfig = field(default_factory=AuditConfig)
    scan: ScanConfig = field(default_factory=ScanConfig)
    imports: ImportConfig = field(default_factory=ImportConfig)

    @property
    def folder(self) -> Path:
        return self.base if self.base is not None else Path.cwd()


SECTIONS = {"env", "gate", "audit", "probe", "scan", "imports"}


def read_table(path: Path, *, required: bool) -> tuple[dict[str, Any], str]:
    """The ``[tool.envaudit]`` table of ``path`` ({} if absent and not required)."""
    import tomllib  # only when there is a file to read: it costs start-up time

    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        if required:
            raise InputError(source, "no such file") from None
        return {}, source
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(source, f"cannot read: {exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(source, f"TOML syntax error: {exc}") from None
    tool = data.get("tool", {})
    table = tool.get("envaudit", {}) if isinstance(tool, dict) else {}
    if not isinstance(table, dict):
        raise InputError(source, f"{ROOT}: expected a table")
    return table, source


def parse(table: dict[str, Any], source: str) -> Config:
    """Every section of a ``[tool.envaudit]`` table, validated."""
    reader = ConfigReader(source, table, ROOT)
    reader.reject_unknown(SECTIONS)
    env = reader.sub("env")
    env.reject_unknown({"include", "exclude", "redact", "allow"})
    policy = EnvPolicy(
        include=env.str_list("include", ("*",)),
        exclude=env.str_list("exclude", DEFAULT_EXCLUDE),
        redact=env.str_list("redact", ()),
        allow=env.str_list("allow", ()),
    )
    base = Path(source).parent
    return Config(
        source=source,
        base=base,
        env=policy,
        gate=parse_gate(source, reader.sub("gate").table),
        probe=parse_probe(reader.sub("probe")),
        audit=parse_audit(reader.sub("audit"), base),
        scan=parse_scan(reader.sub("scan")),
        imports=parse_imports(reader.sub("imports")),
    )


_cache: dict[tuple[str, bool, int, int], Config] = {}
_cache_lock = threading.Lock()


def load(path: Path | None, project: Path) -> Config:
    """Config from ``path`` (--config) or from ``project/pyproject.toml`` if that has a table.

    Parsed once per file (and per change to it): the verbs of one command ask for it several times.
    """
    file = path if path is not None else project / "pyproject.toml"
    try:
        stat = file.stat()
        key = (str(file.resolve()), path is not None, stat.st_mtime_ns, stat.st_size)
    except OSError:
        key = None  # missing or unreadable: read_table says which, every time
    if key is not None:
        with _cache_lock:
            cached = _cache.get(key)
        if cached is not None:
            return cached
    table, source = read_table(file, required=path is not None)
    config = parse(table, source) if table or path is not None else Config()
    if key is not None:
        with _cache_lock:
            _cache[key] = config
    return config
