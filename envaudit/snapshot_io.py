"""Snapshot <-> JSON.

The JSON form mirrors the dataclasses in ``model`` field by field (in declaration order), so the
format is documented by the model and stays stable. Loading validates strictly and names the path of
the first bad value, e.g. ``distributions[3].version: expected a string``.
"""

from __future__ import annotations

import dataclasses
import json
import os
import types
import typing
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import Any

from envaudit.errors import InputError
from envaudit.model import SCHEMA_VERSION, Snapshot, StrPairs

Decoder = Callable[[Any, str], Any]


class SchemaError(ValueError):
    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}" if path else problem)


# --- encoding ---------------------------------------------------------------------------------


# Per dataclass: its field names, and which of them are StrPairs (rendered as JSON objects).
_FIELDS: dict[type, tuple[tuple[str, bool], ...]] = {}


def _fields_of(cls: type) -> tuple[tuple[str, bool], ...]:
    fields = _FIELDS.get(cls)
    if fields is None:
        fields = tuple((f.name, f.type == "StrPairs") for f in dataclasses.fields(cls))
        _FIELDS[cls] = fields
    return fields


def to_jsonable(value: Any) -> Any:
    """Plain JSON data for a model value; dataclass fields keep declaration order."""
    if value is None or isinstance(value, str | bool | int | float):
        return value.value if isinstance(value, Enum) else value
    if isinstance(value, tuple | list):
        return [to_jsonable(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            name: dict(getattr(value, name)) if pairs else to_jsonable(getattr(value, name))
            for name, pairs in _fields_of(type(value))
        }
    if isinstance(value, Enum):
        return value.value
    return value


def dumps(snapshot: Snapshot) -> str:
    return json.dumps(to_jsonable(snapshot), indent=2, ensure_ascii=False) + "\n"


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename: never half-written."""
    import tempfile

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save(snapshot: Snapshot, path: Path) -> None:
    write_atomic(path, dumps(snapshot))


# --- decoding ---------------------------------------------------------------------------------


def _expect(kind: type | tuple[type, ...], name: str) -> Decoder:
    def decode(value: Any, path: str) -> Any:
        # bool is an int in Python; a JSON true where a number belongs is still wrong.
        if isinstance(value, bool) and kind is int:
            raise SchemaError(path, f"expected {name}")
        if not isinstance(value, kind):
            raise SchemaError(path, f"expected {name}")
        return value

    return decode


def _str_pairs(value: Any, path: str) -> StrPairs:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise SchemaError(path, "expected an object of strings")
    return tuple(sorted(value.items()))


def _decoder_for(tp: Any) -> Decoder:
    if tp is StrPairs:
        return _str_pairs
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        inner = _decoder_for(args[0])

        def optional(value: Any, path: str) -> Any:
            return None if value is None else inner(value, path)

        return optional
    if origin is tuple:
        item = _decoder_for(typing.get_args(tp)[0])

        def sequence(value: Any, path: str) -> tuple[Any, ...]:
            if not isinstance(value, list):
                raise SchemaError(path, "expected a list")
            return tuple(item(v, f"{path}[{i}]") for i, v in enumerate(value))

        return sequence
    if isinstance(tp, type) and issubclass(tp, Enum):
        enum_type = tp
        allowed = ", ".join(str(m.value) for m in enum_type)

        def enum(value: Any, path: str) -> Any:
            try:
                return enum_type(value)
            except ValueError:
                raise SchemaError(path, f"expected one of {allowed}, got {value!r}") from None

        return enum
    if dataclasses.is_dataclass(tp):
        return _dataclass_decoder(tp)  # type: ignore[arg-type]
    if tp is str:
        return _expect(str, "a string")
    if tp is int:
        return _expect(int, "an integer")
    if tp is bool:
        return _expect(bool, "true or false")
    if tp is float:
        return _expect((int, float), "a number")
    raise TypeError(f"no JSON decoder for {tp!r}")  # a programming error, not bad input


_DECODERS: dict[type, Decoder] = {}


def _dataclass_decoder(cls: type) -> Decoder:
    if cls in _DECODERS:
        return _DECODERS[cls]
    hints = typing.get_type_hints(cls, localns={"StrPairs": StrPairs})
    plan: list[tuple[str, Decoder, bool]] = []

    def decode(value: Any, path: str) -> Any:
        if not isinstance(value, dict):
            raise SchemaError(path, "expected an object")
        kwargs: dict[str, Any] = {}
        for name, field_decoder, required in plan:
            sub = f"{path}.{name}" if path else name
            if name not in value:
                if required:
                    raise SchemaError(sub, "missing field")
                continue
            kwargs[name] = field_decoder(value[name], sub)
        return cls(**kwargs)

    # Register before building the plan so recursive types terminate.
    _DECODERS[cls] = decode
    for f in dataclasses.fields(cls):
        required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        hint = StrPairs if f.type == "StrPairs" else hints[f.name]
        plan.append((f.name, _decoder_for(hint), required))
    return decode


def from_jsonable(data: Any) -> Snapshot:
    """Validate plain JSON data as a snapshot; raises SchemaError naming the bad path."""
    if not isinstance(data, dict):
        raise SchemaError("", "expected a JSON object (an envaudit snapshot)")
    version = data.get("schema_version")
    if version is None:
        raise SchemaError("schema_version", "missing field; is this an envaudit snapshot?")
    if version != SCHEMA_VERSION:
        raise SchemaError(
            "schema_version",
            f"unknown schema version {version!r} (this envaudit reads version {SCHEMA_VERSION})",
        )
    snapshot: Snapshot = _dataclass_decoder(Snapshot)(data, "")
    return snapshot


def loads(text: str, source: str) -> Snapshot:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            source, f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from None
    try:
        return from_jsonable(data)
    except SchemaError as exc:
        raise InputError(source, f"not a valid snapshot: {exc}") from None


def load(path: Path) -> Snapshot:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(str(path), "no such file") from None
    except IsADirectoryError:
        raise InputError(str(path), "is a directory, expected a snapshot JSON file") from None
    except UnicodeDecodeError:
        raise InputError(str(path), "not UTF-8 text; is this an envaudit snapshot?") from None
    except OSError as exc:
        raise InputError(str(path), f"cannot read: {exc.strerror}") from None
    return loads(text, str(path))
