"""``pin --lock pylock.toml``: a PEP 751 lock of an environment that works.

Every distribution at its exact version, with the wheel and sdist files the package index publishes
for that version and their sha256 hashes, read from the index's JSON simple API (PEP 691), so that
``uv pip sync pylock.toml`` (or ``pip install -r``, where supported) rebuilds the same environment.
Editable, VCS and local installs are recorded as such (``directory``/``vcs``/``archive``); they,
and any version the index does not publish, are what "the index cannot vouch for": the lock says
so, and the command exits 1.

Index responses are untrusted: bounded in size and time, type-checked, and only files whose names
parse as this distribution's wheel or sdist at this version are taken.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from envaudit import __version__
from envaudit.errors import EnvauditError, ExitCode
from envaudit.model import Distribution, OriginKind, Snapshot

DEFAULT_INDEX = "https://pypi.org/simple"
MAX_RESPONSE = 32 << 20  # a project page of thousands of files is a few MiB


class IndexError_(EnvauditError):
    """The package index could not be read: nothing is written."""

    exit_code = ExitCode.UNREACHABLE


@dataclass(frozen=True, slots=True)
class Locked:
    text: str  # the pylock.toml
    unvouched: tuple[str, ...]  # one line per distribution the index cannot vouch for
    packages: int


Fetch = Callable[[str], Mapping[str, Any]]


def fetch_json(index: str, timeout: float) -> Fetch:
    """GET ``INDEX/NAME/`` as PEP 691 JSON; IndexError_ for anything but a readable answer."""

    def fetch(name: str) -> Mapping[str, Any]:
        url = f"{index.rstrip('/')}/{urllib.parse.quote(name)}/"
        request = urllib.request.Request(  # noqa: S310 - the index URL is the user's, http(s) only
            url,
            headers={
                "Accept": "application/vnd.pypi.simple.v1+json",
                "User-Agent": f"envaudit/{__version__}",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                body = response.read(MAX_RESPONSE + 1)
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                return {"files": []}
            raise IndexError_(f"{url}: the index answered {exc.code}") from None
        except (urllib.error.URLError, OSError, TimeoutError) as exc:
            reason = getattr(exc, "reason", exc)
            raise IndexError_(f"{url}: cannot reach the index ({reason})") from None
        if len(body) > MAX_RESPONSE:
            raise IndexError_(f"{url}: the index's answer is larger than {MAX_RESPONSE >> 20} MiB")
        try:
            data = json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise IndexError_(f"{url}: the index did not answer with JSON (PEP 691)") from None
        if not isinstance(data, dict) or not isinstance(data.get("files"), list):
            raise IndexError_(f"{url}: the index's answer has no list of files")
        return data

    return fetch


def lock_of(
    snapshot: Snapshot, *, label: str, index: str = DEFAULT_INDEX, fetch: Fetch | None = None, jobs: int = 8
) -> Locked:
    """The PEP 751 lock of ``snapshot``'s distributions (files and hashes from ``index``)."""
    import tomlkit

    if not index.startswith(("https://", "http://")):
        raise EnvauditError(f"--index-url {index!r}: an http(s) URL of a simple index is needed")
    fetch = fetch or fetch_json(index, timeout=30.0)
    dists = sorted(snapshot.distributions, key=lambda d: d.canonical_name)
    from_index = [d for d in dists if d.origin.kind in (OriginKind.INDEX, OriginKind.UNKNOWN)]
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        pages = dict(
            zip(
                (d.canonical_name for d in from_index),
                pool.map(lambda d: fetch(d.canonical_name), from_index),
                strict=True,
            )
        )
    doc = tomlkit.document()
    interpreter = snapshot.interpreter
    doc.add(tomlkit.comment(f"written by envaudit pin --lock from {label}"))
    doc.add(tomlkit.comment(f"Python {interpreter.version} on {interpreter.os} {interpreter.machine}"))
    doc["lock-version"] = "1.0"
    doc["created-by"] = "envaudit"
    packages = tomlkit.aot()
    unvouched: list[str] = []
    for dist in dists:
        entry, problem = _entry(dist, pages.get(dist.canonical_name), index)
        packages.append(entry)
        if problem:
            unvouched.append(f"{dist.name} {dist.version}: {problem}")
    doc["packages"] = packages
    return Locked(tomlkit.dumps(doc), tuple(unvouched), len(dists))


def _entry(dist: Distribution, page: Mapping[str, Any] | None, index: str) -> tuple[Any, str | None]:
    import tomlkit

    table = tomlkit.table()
    table["name"] = dist.canonical_name
    try:
        version = Version(dist.version)
    except InvalidVersion:
        version = None
    if version is not None:
        table["version"] = str(dist.version)
    origin = dist.origin
    if origin.kind in (OriginKind.EDITABLE, OriginKind.LOCAL):
        path = urllib.parse.unquote(urllib.parse.urlparse(origin.url or "").path) or dist.location
        table["directory"] = _inline({"path": path, "editable": origin.kind is OriginKind.EDITABLE})
        return (
            table,
            f"a local {'editable ' if origin.kind is OriginKind.EDITABLE else ''}install from {path}",
        )
    if origin.kind is OriginKind.VCS:
        vcs = {"type": origin.vcs or "git", "url": origin.url or ""}
        if origin.requested_revision:
            vcs["requested-revision"] = origin.requested_revision
        vcs["commit-id"] = origin.commit or ""
        table["vcs"] = _inline(vcs)
        return table, f"a {origin.vcs or 'VCS'} install at {origin.commit or 'an unknown commit'}"
    if origin.kind is OriginKind.ARCHIVE:
        table["archive"] = _inline({"url": origin.url or ""})
        return table, "installed from an archive URL: no hash recorded to check it by"
    if version is None:
        return table, "not a PEP 440 version: the index cannot be asked for it"
    wheels, sdist = _files(dist.canonical_name, version, page or {})
    table["index"] = index
    if sdist is not None:
        table["sdist"] = _inline(sdist)
    if wheels:
        array = tomlkit.array()
        array.multiline(True)
        for wheel in wheels:
            array.append(_inline(wheel))
        table["wheels"] = array
    if not wheels and sdist is None:
        return table, f"the index publishes no file of {dist.name} {dist.version}"
    return table, None


def _files(
    name: str, version: Version, page: Mapping[str, Any]
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    wheels: list[dict[str, Any]] = []
    sdist: dict[str, Any] | None = None
    for file in page.get("files") or ():
        if not isinstance(file, dict):
            continue
        filename, url, hashes = file.get("filename"), file.get("url"), file.get("hashes")
        if not (isinstance(filename, str) and isinstance(url, str) and isinstance(hashes, dict)):
            continue
        sha256 = hashes.get("sha256")
        if not isinstance(sha256, str) or len(sha256) != 64 or not url.startswith(("https://", "http://")):
            continue
        record: dict[str, Any] = {"name": filename, "url": url}
        if isinstance(file.get("size"), int):
            record["size"] = file["size"]
        record["hashes"] = {"sha256": sha256}
        if filename.endswith(".whl"):
            try:
                wheel_name, wheel_version, *_ = parse_wheel_filename(filename)
            except InvalidWheelFilename:
                continue
            if wheel_name == canonicalize_name(name) and wheel_version == version:
                wheels.append(record)
        else:
            try:
                sdist_name, sdist_version = parse_sdist_filename(filename)
            except InvalidSdistFilename:
                continue
            if sdist_name == canonicalize_name(name) and sdist_version == version and sdist is None:
                sdist = record
    return wheels, sdist


def _inline(values: Mapping[str, Any]) -> Any:
    import tomlkit

    table = tomlkit.inline_table()
    for key, value in values.items():
        table[key] = _inline(value) if isinstance(value, Mapping) else value
    return table
