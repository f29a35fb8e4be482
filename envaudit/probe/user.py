"""User probes: ``--function FILE.py:NAME --data FILE``, checked here before anything travels."""

from __future__ import annotations

import ast
import base64
import hashlib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from envaudit import defaults
from envaudit.errors import InputError, UsageError

DATA_FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet", ".json": "json"}
MAX_DATA = 64 * 1024 * 1024  # it travels inside the runner script: sample data, not the warehouse


@dataclass(frozen=True, slots=True)
class UserProbeSpec:
    file: Path
    function: str
    data: Path
    timeout: float = defaults.PROBE_TIMEOUT
    line: int = 1  # of the function's definition in its file, for reports that point at code

    @property
    def name(self) -> str:
        return f"{self.file.name}:{self.function}"


def parse_function(text: str) -> tuple[Path, str]:
    """``path/to/file.py:function`` (the last colon separates them, so Windows drives work)."""
    path, sep, name = text.rpartition(":")
    if not sep or not path or not name.isidentifier():
        raise UsageError(f"--function {text!r}: expected FILE.py:FUNCTION, e.g. preprocess.py:clean")
    return Path(path), name


def load(
    function: str, data: Path, *, timeout: float = defaults.PROBE_TIMEOUT, base: Path | None = None
) -> UserProbeSpec:
    """A probe spec whose files exist and make sense; InputError (exit 2) naming the file if not."""
    path, name = parse_function(function)
    if base is not None and not path.is_absolute():
        path, data = base / path, (data if data.is_absolute() else base / data)
    spec = UserProbeSpec(path, name, data, timeout)
    source = _read_source(spec)
    spec = replace(spec, line=_check_defines(spec, source))
    _check_data(spec)
    return spec


def _read_source(spec: UserProbeSpec) -> str:
    try:
        return spec.file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(str(spec.file), "no such file (the probe function's source)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(str(spec.file), f"cannot read: {exc}") from None


def _check_defines(spec: UserProbeSpec, source: str) -> int:
    """The line the function is defined (or assigned) on; InputError if the file does not define it."""
    try:
        tree = ast.parse(source, filename=str(spec.file))
    except SyntaxError as exc:
        raise InputError(f"{spec.file}:{exc.lineno}", f"not valid Python: {exc.msg}") from None
    defined = {
        node.name: node.lineno
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    } | {
        t.id: node.lineno
        for node in tree.body
        if isinstance(node, ast.Assign)
        for t in node.targets
        if isinstance(t, ast.Name)
    }
    if spec.function not in defined:
        raise InputError(str(spec.file), f"defines no function {spec.function!r} at its top level")
    return defined[spec.function]


def _check_data(spec: UserProbeSpec) -> None:
    if spec.data.suffix.lower() not in DATA_FORMATS:
        raise InputError(str(spec.data), "unknown data format: use .csv, .parquet or .json")
    try:
        size = spec.data.stat().st_size
    except FileNotFoundError:
        raise InputError(str(spec.data), "no such data file") from None
    if not spec.data.is_file():
        raise InputError(str(spec.data), "not a file")
    if size > MAX_DATA:
        raise InputError(
            str(spec.data), f"{size >> 20} MiB is too large to travel: probe a sample (at most 64 MiB)"
        )


def payload(spec: UserProbeSpec) -> dict[str, Any]:
    """What travels to each target inside the runner: the function's source and the data."""
    try:
        data = spec.data.read_bytes()
    except OSError as exc:
        raise InputError(str(spec.data), f"cannot read: {exc.strerror}") from None
    return {
        "name": spec.name,
        "file": spec.file.name,
        "function": spec.function,
        "source": _read_source(spec),
        "data_name": spec.data.name,
        "data_sha256": hashlib.sha256(data).hexdigest(),
        "format": DATA_FORMATS[spec.data.suffix.lower()],
        "data": base64.b64encode(data).decode("ascii"),
        "timeout": spec.timeout,
    }
