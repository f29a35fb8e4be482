"""User probes: ``--function FILE.py:NAME --data FILE`` and ``--model FILE --data FILE``, checked
here before anything travels."""

from __future__ import annotations

import ast
import base64
import hashlib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from envaudit import defaults
from envaudit.errors import InputError, UsageError

DATA_FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet", ".json": "json", ".npy": "npy"}
MAX_DATA = 64 * 1024 * 1024  # it travels inside the runner script: sample data, not the warehouse
MAX_MODEL = 64 * 1024 * 1024  # likewise the model: a fitted pipeline, not a foundation model
# What a model file is read with in the target: joblib where it is installed (it reads plain pickles
# too), pickle otherwise; a .joblib file may be compressed, which only joblib reads.
MODEL_FORMATS = {".pkl": "pickle", ".pickle": "pickle", ".sav": "pickle", ".joblib": "joblib"}


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


def _check_data(spec: UserProbeSpec | ModelSpec) -> None:
    if spec.data.suffix.lower() not in DATA_FORMATS:
        raise InputError(str(spec.data), "unknown data format: use .csv, .parquet, .json or .npy")
    _check_file(spec.data, "data file", MAX_DATA, "probe a sample")


def _check_file(path: Path, what: str, limit: int, advice: str) -> None:
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise InputError(str(path), f"no such {what}") from None
    except OSError as exc:
        raise InputError(str(path), f"cannot read: {exc.strerror}") from None
    if not path.is_file():
        raise InputError(str(path), "not a file")
    if size > limit:
        raise InputError(
            str(path), f"{size >> 20} MiB is too large to travel: {advice} (at most {limit >> 20} MiB)"
        )


@dataclass(frozen=True, slots=True)
class ModelSpec:
    """``--model FILE --data FILE``: the user's fitted estimator, loaded and run in every target.

    A pickle runs code when it is loaded: envaudit treats the file as the user's own code (as it
    does --function), sends it only to the targets the user named, and never loads it itself.
    """

    file: Path
    data: Path
    timeout: float = defaults.PROBE_TIMEOUT

    @property
    def name(self) -> str:
        return self.file.name

    @property
    def format(self) -> str:
        return MODEL_FORMATS.get(self.file.suffix.lower(), "pickle")


def load_model(
    file: Path, data: Path, *, timeout: float = defaults.PROBE_TIMEOUT, base: Path | None = None
) -> ModelSpec:
    """A model spec whose files exist and make sense; InputError (exit 2) naming the file if not."""
    if base is not None:
        file, data = (p if p.is_absolute() else base / p for p in (file, data))
    spec = ModelSpec(file, data, timeout)
    if file.suffix.lower() not in MODEL_FORMATS:
        raise InputError(str(file), "unknown model format: use .pkl, .pickle, .sav or .joblib")
    _check_file(file, "model file", MAX_MODEL, "a fitted model this large is not a probe")
    _check_data(spec)
    return spec


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(str(path), f"cannot read: {exc.strerror}") from None


def _data_payload(path: Path) -> dict[str, Any]:
    data = _read_bytes(path)
    return {
        "data_name": path.name,
        "data_sha256": hashlib.sha256(data).hexdigest(),
        "format": DATA_FORMATS[path.suffix.lower()],
        "data": base64.b64encode(data).decode("ascii"),
    }


def model_payload(spec: ModelSpec) -> dict[str, Any]:
    """What travels to each target for a model probe: the model file and the data."""
    return {
        "name": spec.name,
        "model_format": spec.format,
        "model": base64.b64encode(_read_bytes(spec.file)).decode("ascii"),
        **_data_payload(spec.data),
        "timeout": spec.timeout,
    }


def payload(spec: UserProbeSpec) -> dict[str, Any]:
    """What travels to each target inside the runner: the function's source and the data."""
    return {
        "name": spec.name,
        "file": spec.file.name,
        "function": spec.function,
        "source": _read_source(spec),
        **_data_payload(spec.data),
        "timeout": spec.timeout,
    }
