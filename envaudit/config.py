"""``[tool.envaudit]`` in pyproject.toml (or a file given with --config), validated strictly.

An unknown key or a value of the wrong type is an error naming its full path, e.g.
``pyproject.toml: tool.envaudit.env.exclude: expected a list of strings``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from envaudit.envvars import DEFAULT_EXCLUDE, EnvPolicy
from envaudit.errors import InputError

ROOT = "tool.envaudit"


@dataclass(frozen=True, slots=True)
class Config:
    source: str | None = None  # the file it came from, None for defaults
    env: EnvPolicy = field(default_factory=EnvPolicy)
    raw: tuple[tuple[str, Any], ...] = ()  # the whole table, for sections other modules validate


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


# Sections validated here, and sections other modules validate from Config.raw.
KNOWN_SECTIONS = {"env", "gate", "audit", "probe"}


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


def load(path: Path | None, project: Path) -> Config:
    """Config from ``path`` (--config) or from ``project/pyproject.toml`` if that has a table."""
    if path is not None:
        table, source = read_table(path, required=True)
    else:
        table, source = read_table(project / "pyproject.toml", required=False)
        if not table:
            return Config()
    reader = ConfigReader(source, table, ROOT)
    reader.reject_unknown(KNOWN_SECTIONS)
    env = reader.sub("env")
    env.reject_unknown({"include", "exclude", "redact", "allow"})
    policy = EnvPolicy(
        include=env.str_list("include", ("*",)),
        exclude=env.str_list("exclude", DEFAULT_EXCLUDE),
        redact=env.str_list("redact", ()),
        allow=env.str_list("allow", ()),
    )
    return Config(source=source, env=policy, raw=tuple(table.items()))
