"""Snapshot <-> JSON.

The JSON form mirrors the dataclasses in ``model`` field by field (in declaration order), so the
format is documented by the model and stays stable. Loading validates strictly and names the path of
the first bad value, e.g. ``distributions[3].version: expected a string``.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import Any

from envaudit import names
from envaudit.errors import InputError
from envaudit.model import SCHEMA_VERSION, Distribution, EnvVar, Origin, Requirement, Snapshot, StrPairs

Decoder = Callable[[Any], Any]


class SchemaError(ValueError):
    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}" if path else problem)


# --- encoding ---------------------------------------------------------------------------------


# Per dataclass: its field names, and which of them are StrPairs (rendered as JSON objects).
_FIELDS: dict[type, tuple[tuple[str, bool], ...]] = {}


def _fields_of(cls: type) -> tuple[tuple[str, bool], ...]:
    fields = _FIELDS.get(cls)
    if fields is None:
        fields = tuple(
            (f.name, f.type == "StrPairs") for f in dataclasses.fields(cls) if not f.metadata.get("transient")
        )
        _FIELDS[cls] = fields
    return fields


_PLAIN = {str, type(None)}


def to_jsonable(value: Any) -> Any:
    """Plain JSON data for a model value; dataclass fields keep declaration order."""
    if value is None or isinstance(value, str | bool | int | float):
        return value.value if isinstance(value, Enum) else value
    if isinstance(value, tuple | list):
        if set(map(type, value)) <= _PLAIN:  # strings and nulls (a fleet's matrix row): at C speed
            return list(value)
        return [to_jsonable(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {}
        for name, pairs in _fields_of(type(value)):
            v = getattr(value, name)
            # Most fields are plain strings or null: no call needed (thousands of findings in a fleet).
            out[name] = v if v is None or v.__class__ is str else dict(v) if pairs else to_jsonable(v)
        return out
    if isinstance(value, Enum):
        return value.value
    return value


def dumps(snapshot: Snapshot) -> str:
    return json.dumps(to_jsonable(snapshot), indent=2, ensure_ascii=False) + "\n"


def save(snapshot: Snapshot, path: Path) -> None:
    from envaudit.files import write_atomic

    write_atomic(path, dumps(snapshot))


# --- decoding ---------------------------------------------------------------------------------
#
# Decoders validate as they build the model. The path of a bad value ("distributions[3].version")
# is assembled only while an error unwinds, so loading a large valid snapshot pays nothing for it.


class _Bad(Exception):
    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem
        self.segments: list[str] = []  # innermost last; filled in while unwinding

    def at(self, segment: str) -> _Bad:
        self.segments.insert(0, segment)
        return self

    def path(self) -> str:
        return "".join(self.segments).lstrip(".")


def _expect(kind: type | tuple[type, ...], name: str) -> Decoder:
    def decode(value: Any) -> Any:
        # bool is an int in Python; a JSON true where a number belongs is still wrong.
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
            raise _Bad(f"expected {name}")
        return value

    return decode


def _str_pairs(value: Any) -> StrPairs:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise _Bad("expected an object of strings")
    return tuple(sorted(value.items()))


def _str_tuple(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise _Bad("expected a list")
    if value and set(map(type, value)) != {str}:  # the common case, checked at C speed
        bad = next(i for i, v in enumerate(value) if v.__class__ is not str)
        raise _Bad("expected a string").at(f"[{bad}]")
    return tuple(value)


def _decoder_for(tp: Any) -> Decoder:
    if tp is StrPairs:
        return _str_pairs
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        return _optional_decoder(tp)
    if origin is tuple:
        return _tuple_decoder(tp)
    if isinstance(tp, type) and issubclass(tp, Enum):
        return _enum_decoder(tp)
    if dataclasses.is_dataclass(tp):
        decoder = _dataclass_decoder(tp)  # type: ignore[arg-type]
        if tp in _SHARED:
            return _shared(decoder, *_SHARED[tp])
        return _interned(decoder) if tp in _INTERNED else decoder
    if tp in _SCALARS:
        kinds, what = _SCALARS[tp]
        return _expect(kinds, what)
    raise TypeError(f"no JSON decoder for {tp!r}")  # a programming error, not bad input


_SCALARS: dict[Any, tuple[Any, str]] = {
    str: (str, "a string"),
    int: (int, "an integer"),
    bool: (bool, "true or false"),
    float: ((int, float), "a number"),
}


def _optional_decoder(tp: Any) -> Decoder:
    args = [a for a in typing.get_args(tp) if a is not type(None)]
    inner = _decoder_for(args[0])

    def optional(value: Any) -> Any:
        return None if value is None else inner(value)

    return optional


def _tuple_decoder(tp: Any) -> Decoder:
    item_type = typing.get_args(tp)[0]
    if item_type is str:
        return _str_tuple
    item = _decoder_for(item_type)
    if item_type in _SHARED:
        return _shared_sequence(_sequence(item), _SHARED[item_type][1])
    return _sequence(item)


def _sequence(item: Decoder) -> Decoder:
    def sequence(value: Any) -> tuple[Any, ...]:
        if not isinstance(value, list):
            raise _Bad("expected a list")
        out = []
        for i, v in enumerate(value):
            try:
                out.append(item(v))
            except _Bad as bad:
                raise bad.at(f"[{i}]") from None
        return tuple(out)

    return sequence


def _enum_decoder(tp: type[Enum]) -> Decoder:
    members = {m.value: m for m in tp}
    allowed = ", ".join(str(v) for v in members)

    def enum(value: Any) -> Any:
        try:
            return members[value]
        except (KeyError, TypeError):  # TypeError: an unhashable JSON value
            raise _Bad(f"expected one of {allowed}, got {value!r}") from None

    return enum


_DECODERS: dict[type, Decoder] = {}
_INTERNED: set[Any] = {Origin}  # small value objects that repeat thousands of times in a snapshot
# Objects that repeat across the snapshots of a fleet: the field that tells them apart, and the
# fields that may hold a number or true/false. Python's == on JSON values is JSON equality but for
# numbers and booleans (1 == 1.0 == true), so those fields must also be of the same class: then an
# equal value decodes to the same object. Every other class is decoded and checked afresh.
_SHARED: dict[Any, tuple[str, tuple[str, ...]]] = {
    Distribution: ("metadata_path", ()),
    Requirement: ("text", ("line", "editable")),
    EnvVar: ("name", ("redacted", "relevant")),
}
assert all(len(typed) <= 2 for _, typed in _SHARED.values())  # _shared checks two at most
MAX_SHARED = 20_000  # decoded objects remembered per class (with their JSON); past it, memory starts again
# JSON gives exact types, so a class check is enough; bool is not an int here, as it should not be.
_SIMPLE = {str: "a string", int: "an integer", bool: "true or false"}


def _dataclass_decoder(cls: type) -> Decoder:
    """A decoder for ``cls`` generated as straight-line code, the way dataclasses generate __init__.

    Loading a 5,000-distribution snapshot builds over 10,000 objects; a generic loop over fields
    costs several times more than this. The checks and messages are those of ``_decoder_for``.
    """
    if cls in _DECODERS:
        return _DECODERS[cls]
    hints = typing.get_type_hints(cls, localns={"StrPairs": StrPairs})
    namespace: dict[str, Any] = {"_Bad": _Bad, "cls": cls}
    lines = [
        "def decode(value):",
        "    if value.__class__ is not dict:",
        "        raise _Bad('expected an object')",
    ]
    args = []
    for i, f in enumerate(dataclasses.fields(cls)):
        var = f"v{i}"
        args.append(var)
        hint = StrPairs if f.type == "StrPairs" else hints[f.name]
        if f.default is not dataclasses.MISSING:
            namespace[f"d{i}"] = f.default
            lines.append(f"    {var} = value.get({f.name!r}, d{i})")
            lines.append(f"    if {var} is not d{i}:")
            indent = "        "
        elif f.default_factory is not dataclasses.MISSING:
            namespace[f"d{i}"] = f.default_factory
            lines.append(f"    {var} = value.get({f.name!r}, d{i})")
            lines.append(f"    if {var} is d{i}:")
            lines.append(f"        {var} = d{i}()")
            lines.append("    else:")
            indent = "        "
        else:
            lines.append(f"    if {f.name!r} not in value:")
            lines.append(f"        raise _Bad('missing field').at({'.' + f.name!r})")
            lines.append(f"    {var} = value[{f.name!r}]")
            indent = "    "
        optional = typing.get_origin(hint) in (typing.Union, types.UnionType)
        inner = next(a for a in typing.get_args(hint) if a is not type(None)) if optional else hint
        check = indent
        if optional:
            lines.append(f"{indent}if {var} is not None:")
            check = indent + "    "
        if inner in _SIMPLE:
            namespace[f"t{i}"] = inner
            lines.append(f"{check}if {var}.__class__ is not t{i}:")
            lines.append(f"{check}    raise _Bad({'expected ' + _SIMPLE[inner]!r}).at({'.' + f.name!r})")
        else:
            namespace[f"h{i}"] = _decoder_for(inner)
            lines.append(f"{check}try:")
            lines.append(f"{check}    {var} = h{i}({var})")
            lines.append(f"{check}except _Bad as bad:")
            lines.append(f"{check}    raise bad.at({'.' + f.name!r}) from None")
    lines.append(f"    return cls({', '.join(args)})")

    def forward(value: Any) -> Any:  # late-bound: "decode" exists only after the exec below
        return namespace["decode"](value)

    # Register the forwarder first so recursive types terminate while helpers are being built.
    _DECODERS[cls] = forward
    exec("\n".join(lines), namespace)  # noqa: S102 - generated from our own dataclass fields only
    decoder: Decoder = namespace["decode"]
    _DECODERS[cls] = decoder
    return decoder


def _interned(decoder: Decoder) -> Decoder:
    """Reuse one immutable object for equal inputs: most origins in a snapshot are the same few."""
    cache: dict[tuple[Any, ...], Any] = {}

    def decode(value: Any) -> Any:
        try:
            key = tuple(value.items())
            return cache[key]
        except KeyError:
            result = cache[key] = decoder(value)
            return result
        except (AttributeError, TypeError):  # not an object, or unhashable values: the decoder says why
            return decoder(value)

    return decode


def _shared(decoder: Decoder, key_field: str, typed: tuple[str, ...]) -> Decoder:
    """Decode a value equal to one seen before (in this snapshot or another loaded by this process)
    as the same object, after one comparison of the JSON values in C. A fleet's snapshots are
    mostly alike: 1,000 of them load in little more than the time of their JSON alone, and hold
    each distinct distribution once."""
    seen: dict[str, tuple[dict[str, Any], Any]] = {}
    first, second = (*typed, key_field, key_field)[:2]  # the key is a string: checking it is a no-op

    def decode(value: Any) -> Any:
        if value.__class__ is not dict:
            return decoder(value)  # which says what is wrong
        key = value.get(key_field)
        if key.__class__ is not str:
            return decoder(value)
        hit = seen.get(key)
        if hit is not None:
            raw = hit[0]
            if (
                raw == value
                and raw.get(first).__class__ is value.get(first).__class__
                and raw.get(second).__class__ is value.get(second).__class__
            ):
                return hit[1]
        result = decoder(value)
        if hit is None:
            if len(seen) >= MAX_SHARED:
                seen.clear()
            seen[key] = (value, result)
        return result

    return decode


def _shared_sequence(decoder: Decoder, typed: tuple[str, ...]) -> Decoder:
    """A whole list equal to one decoded before is the same tuple: most hosts of a fleet have the
    very distributions (requirements, variables) of many others, compared here in one step in C,
    with the ``typed`` fields' classes checked as ``_shared`` does. A few lists are remembered per
    length and first entry."""
    seen: dict[tuple[int, Any], list[tuple[list[Any], list[list[type]], tuple[Any, ...]]]] = {}

    def decode(value: Any) -> tuple[Any, ...]:
        if value.__class__ is not list or not value or value[0].__class__ is not dict:
            return decoder(value)  # type: ignore[no-any-return]
        key = (len(value), value[0].get("name"))
        try:
            candidates = seen.setdefault(key, [])
        except TypeError:  # an unhashable name: the decoder says what is wrong
            return decoder(value)  # type: ignore[no-any-return]
        for raw, classes, known in candidates:
            if raw == value and (not typed or classes == _classes(value, typed)):
                return known
        result: tuple[Any, ...] = decoder(value)
        if len(candidates) < 4:
            if len(seen) >= MAX_SHARED_LISTS:
                seen.clear()
                _REMEMBERED.clear()
                seen[key] = candidates
            candidates.append((value, _classes(value, typed), result))
            _REMEMBERED[id(result)] = (result, False)
        return result

    return decode


def _classes(items: list[Any], fields: tuple[str, ...]) -> list[list[type]]:
    return [[item.get(f).__class__ for item in items] for f in fields]


# The tuples _shared_sequence hands out again, by id (each kept alive here, so no other object
# takes its id), and whether from_jsonable has checked its names: then it need not again.
_REMEMBERED: dict[int, tuple[tuple[Any, ...], bool]] = {}
MAX_SHARED_LISTS = 1_000


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
    try:
        snapshot: Snapshot = _dataclass_decoder(Snapshot)(data)
    except _Bad as bad:
        raise SchemaError(bad.path(), bad.problem) from None
    for field in ("distributions", "shadowed"):
        dists = getattr(snapshot, field)
        remembered = _REMEMBERED.get(id(dists))
        if remembered is not None and remembered[0] is dists and remembered[1]:
            continue
        bad_index = names.first_invalid([d.name for d in dists], [d.canonical_name for d in dists])
        if bad_index is not None:
            raise SchemaError(
                f"{field}[{bad_index}].name",
                "not a valid distribution name, or its canonical_name does not match it",
            )
        if remembered is not None and remembered[0] is dists:
            _REMEMBERED[id(dists)] = (dists, True)
    return snapshot


def loads(text: str, source: str) -> Snapshot:
    try:
        return from_jsonable(json.loads(text))
    except json.JSONDecodeError as exc:
        raise InputError(
            source, f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from None
    except SchemaError as exc:
        raise InputError(source, f"not a valid snapshot: {exc}") from None
    except RecursionError:  # "[[[[...": no snapshot nests that deep
        raise InputError(source, "not a valid snapshot: nested too deeply") from None


# A snapshot of 5,000 distributions with probes is a few MiB; one past this is not a snapshot.
MAX_SNAPSHOT_BYTES = 512 << 20


def load(path: Path) -> Snapshot:
    try:
        if path.stat().st_size > MAX_SNAPSHOT_BYTES:
            raise InputError(
                str(path), f"larger than {MAX_SNAPSHOT_BYTES >> 20} MiB: not an envaudit snapshot"
            )
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
