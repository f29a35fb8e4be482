"""The one reader of installed distributions' metadata, for live targets and static images alike.

It reads through a small file-access interface (``read``, ``listdir``, ``is_dir``, ``join``): the
OS for a live target (``OSFiles``), a zipped egg (``ZipFiles``), or an image's merged layers (see
``targets/image.py``). So a scan through the engine and a static read of the same image agree by
construction, and both agree with ``importlib.metadata`` on what it reports: the first ``Name`` and
``Version`` header, nothing made up from a file name. A distribution whose metadata lacks either is
not listed; an issue names the file instead.

Runs inside targets as part of the scanner: standard library only, Python 3.8 syntax and APIs,
nothing imported that the common path does not need (``json`` and ``zipfile`` only when a file
calls for them). envaudit splices this file into the scanner script it sends (``targets/scripts.py``).
"""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs start-up time in every target; annotations are never evaluated
    from typing import Any, Dict, List, Optional, Tuple

MAX_METADATA = 256 * 1024  # the most read of a metadata file: headers come first and are small
HEAD = 8 * 1024  # read first: nearly every header block fits, and the description after it is long
WANTED_HEADERS = ("name", "version", "requires-dist", "requires-python", "metadata-version")


def canonical_name(name: str) -> str:
    """PEP 503 normalisation (``re.sub(r"[-_.]+", "-", name).lower()``, as packaging does it),
    computed here so neither side needs ``re`` or ``packaging`` on the fast path."""
    out = []  # type: List[str]
    for char in name.lower():
        if char in "-_.":
            if not out or out[-1] != "-":
                out.append("-")
        else:
            out.append(char)
    return "".join(out)


class OSFiles(object):
    """The files of the machine the reader runs on."""

    def read(self, path: str, limit: int) -> Optional[bytes]:
        """Up to ``limit`` bytes of ``path``; None when there is no such file. Raises OSError."""
        try:
            with open(path, "rb") as fh:
                return fh.read(limit)
        except (FileNotFoundError, NotADirectoryError):
            return None

    def listdir(self, folder: str) -> List[str]:
        return sorted(os.listdir(folder))

    def is_dir(self, path: str) -> bool:
        return os.path.isdir(path)

    def join(self, folder: str, name: str) -> str:
        return os.path.join(folder, name)


class ZipFiles(OSFiles):
    """The files inside a zipped egg on sys.path (``easy_install`` leaves them, importlib reads them)."""

    def __init__(self, archive: str) -> None:
        import zipfile

        self.archive = archive
        self.zip = zipfile.ZipFile(archive)
        self.names = set(self.zip.namelist())

    def _inner(self, path: str) -> str:
        return path[len(self.archive) :].lstrip("/")

    def read(self, path: str, limit: int) -> Optional[bytes]:
        inner = self._inner(path)
        if inner not in self.names:
            return None
        with self.zip.open(inner) as fh:
            return fh.read(limit)

    def listdir(self, folder: str) -> List[str]:
        inner = self._inner(folder)
        prefix = inner + "/" if inner else ""
        return sorted({n[len(prefix) :].split("/", 1)[0] for n in self.names if n.startswith(prefix)})

    def is_dir(self, path: str) -> bool:
        inner = self._inner(path)
        return not inner or any(n.startswith(inner + "/") for n in self.names)

    def join(self, folder: str, name: str) -> str:
        return folder + "/" + name


def parse_headers(text: str) -> List[Tuple[str, str]]:
    """Header fields of an RFC 822 style metadata text, up to the blank line before the body.

    Lines end as in a file opened in text mode (\\n, \\r\\n or \\r). Folded continuation lines
    (starting with a space or tab) are joined to the field before them. Raises ValueError for a
    line that is neither a field nor a continuation.
    """
    headers = []  # type: List[Tuple[str, str]]
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for lineno, line in enumerate(lines, 1):
        if not line:
            break  # end of the header block; the body is a description we do not need
        if line[0] in " \t":
            if not headers:
                raise ValueError("line %d: continuation line before any field" % lineno)
            name, value = headers[-1]
            headers[-1] = (name, value + " " + line.strip())
            continue
        name, sep, value = line.partition(":")
        if not sep or not name.strip():
            raise ValueError("line %d: not a 'Field: value' line: %r" % (lineno, line[:80]))
        headers.append((name.strip(), value.strip()))
    return headers


def egg_requires_to_requires_dist(text: str) -> List[str]:
    """Convert an egg-info ``requires.txt`` into Requires-Dist strings.

    Sections look like ``[extra]``, ``[:marker]`` or ``[extra:marker]``.
    """
    out = []  # type: List[str]
    extra = ""
    marker = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            extra, _, marker = section.partition(":")
            extra = extra.strip()
            marker = marker.strip()
            continue
        conditions = []
        if marker:
            conditions.append("(%s)" % marker if extra else marker)
        if extra:
            conditions.append('extra == "%s"' % extra)
        out.append(line + ("; " + " and ".join(conditions) if conditions else ""))
    return out


def metadata_file(files: Any, location: str, filename: str) -> Tuple[str, str, str, bool]:
    """(metadata folder or file, the file holding the headers, format, whether it is a folder)
    for a ``.dist-info`` or ``.egg-info`` entry (or an egg's ``EGG-INFO`` folder)."""
    meta_dir = files.join(location, filename)
    if filename.lower().endswith(".dist-info"):
        return meta_dir, files.join(meta_dir, "METADATA"), "dist-info", True
    is_dir = files.is_dir(meta_dir)
    return meta_dir, files.join(meta_dir, "PKG-INFO") if is_dir else meta_dir, "egg-info", is_dir


def _text(files: Any, path: str) -> Optional[str]:
    try:
        data = files.read(path, MAX_METADATA)
    except OSError:
        return None
    return None if data is None else data.decode("utf-8", "replace")


def _issue(issues: List[Dict[str, Any]], code: str, path: str, message: str) -> None:
    issues.append({"code": code, "path": path, "message": message})


def _blank_line(data: bytes) -> int:
    """Where the header block ends (the first blank line), or -1."""
    if b"\r" not in data:  # the common case: one search
        return data.find(b"\n\n")
    ends = [i for i in (data.find(b"\n\n"), data.find(b"\r\n\r\n"), data.find(b"\r\r")) if i >= 0]
    return min(ends) if ends else -1


def _header_block(data: bytes, end: int) -> bytes:
    """The bytes before the first blank line (at ``end``): the body is never decoded."""
    if end >= 0:
        return data[: end + 1]
    if len(data) >= MAX_METADATA:  # cut by the read limit, perhaps inside a character or a line
        return data[: data.rfind(b"\n") + 1]
    return data


def read_fields(files: Any, meta_file: str, issues: List[Dict[str, Any]]) -> Optional[Dict[str, List[str]]]:
    """The wanted header fields of a metadata file; None (and an issue) when it cannot be read."""
    try:
        data = files.read(meta_file, HEAD)
        end = -1 if data is None else _blank_line(data)
        if data is not None and len(data) == HEAD and end < 0:
            data = files.read(meta_file, MAX_METADATA)  # a long header block: read on
            end = -1 if data is None else _blank_line(data)
    except OSError as exc:
        _issue(issues, "unreadable-metadata", meta_file, exc.strerror or str(exc))
        return None
    if data is None:
        _issue(issues, "missing-metadata", meta_file, "metadata file is missing")
        return None
    try:
        text = _header_block(data, end).decode("utf-8")
    except UnicodeDecodeError as exc:
        _issue(issues, "corrupt-metadata", meta_file, "metadata is not UTF-8 (byte %d)" % exc.start)
        return None
    fields = {}  # type: Dict[str, List[str]]
    try:
        for header, value in parse_headers(text):
            key = header.lower()
            if key in WANTED_HEADERS:
                fields.setdefault(key, []).append(value)
    except ValueError as exc:
        _issue(issues, "corrupt-metadata", meta_file, str(exc))
        return None
    return fields


def read_distribution(
    files: Any, location: str, filename: str, issues: List[Dict[str, Any]]
) -> Optional[Dict[str, Any]]:
    """One distribution from a ``.dist-info`` or ``.egg-info`` entry (or an ``EGG-INFO`` folder);
    None, with an issue, when its metadata is missing, unreadable or lacks a Name or Version."""
    meta_dir, meta_file, fmt, is_dir = metadata_file(files, location, filename)
    fields = read_fields(files, meta_file, issues)
    if fields is None:
        return None
    name = (fields.get("name") or [""])[0]
    version = (fields.get("version") or [""])[0]
    if not name or not version:
        missing = "Name" if not name else "Version"
        _issue(issues, "incomplete-metadata", meta_file, "metadata has no %s field" % missing)
        return None
    requires_dist = fields.get("requires-dist", [])
    installer = None
    direct_url = None
    if is_dir:
        installer = (_text(files, files.join(meta_dir, "INSTALLER")) or "").strip() or None
        if fmt == "dist-info":
            direct_url_path = files.join(meta_dir, "direct_url.json")
            direct_url_text = _text(files, direct_url_path)
            if direct_url_text is not None:
                import json  # only for direct_url.json files, which most distributions lack

                try:
                    direct_url = json.loads(direct_url_text)
                except ValueError as exc:
                    _issue(issues, "corrupt-direct-url", direct_url_path, "not valid JSON: %s" % exc)
        elif not requires_dist:
            requires_text = _text(files, files.join(meta_dir, "requires.txt"))
            if requires_text:
                requires_dist = egg_requires_to_requires_dist(requires_text)
    return {
        "name": name,
        "canonical_name": canonical_name(name),
        "version": version,
        "location": location,
        "metadata_path": meta_dir,
        "metadata_format": fmt,
        "installer": installer,
        "direct_url": direct_url,
        "requires_dist": requires_dist,
        "requires_python": fields["requires-python"][0] if "requires-python" in fields else None,
    }


def read_folder(
    files: Any, folder: str, names: List[str], issues: List[Dict[str, Any]]
) -> Tuple[List[Dict[str, Any]], List[str]]:
    """The distributions among ``names`` (a folder's entries, sorted), and the source folders of
    legacy editable installs (``setup.py develop`` leaves NAME.egg-link naming one)."""
    dists = []  # type: List[Dict[str, Any]]
    editable_locations = []  # type: List[str]
    for filename in names:
        lower = filename.lower()
        if lower.endswith(".dist-info") or lower.endswith(".egg-info"):
            dist = read_distribution(files, folder, filename, issues)
            if dist is not None:
                dists.append(dist)
        elif lower.endswith(".egg-link"):
            text = _text(files, files.join(folder, filename)) or ""
            first = text.splitlines()[0].strip() if text.strip() else ""
            if first:
                editable_locations.append(os.path.normpath(os.path.join(folder, first)))
    if folder.lower().endswith(".egg") and "EGG-INFO" in names:  # an unzipped egg on sys.path
        dist = read_distribution(files, folder, "EGG-INFO", issues)
        if dist is not None:
            dists.append(dist)
    return dists, editable_locations


def scan_distributions(
    paths: List[str], issues: List[Dict[str, Any]]
) -> Tuple[List[Dict[str, Any]], List[str]]:
    """Every distribution on ``paths`` (sys.path), in path order then file name order, as
    ``importlib.metadata.distributions()`` finds them; and legacy editable targets."""
    files = OSFiles()
    dists = []  # type: List[Dict[str, Any]]
    editable_locations = []  # type: List[str]
    seen = set()
    for entry in paths:
        if not entry:
            continue
        real = os.path.realpath(entry)
        if real in seen:
            continue
        seen.add(real)
        if entry.lower().endswith(".egg") and os.path.isfile(entry):
            dists.extend(_zipped_egg(entry, issues))
            continue
        if not os.path.isdir(entry):
            continue  # the stdlib's zip, a missing folder
        try:
            names = files.listdir(entry)
        except OSError as exc:
            _issue(issues, "unreadable-path", entry, exc.strerror or str(exc))
            continue
        found, editable = read_folder(files, entry, names, issues)
        dists.extend(found)
        editable_locations.extend(editable)
    return dists, editable_locations


def _zipped_egg(archive: str, issues: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """A zipped egg's distribution (its EGG-INFO folder), as importlib finds it on sys.path."""
    try:
        files = ZipFiles(archive)
    except Exception as exc:  # BadZipFile, OSError, ...: the scan goes on
        _issue(issues, "corrupt-metadata", archive, "not a readable zipped egg: %s" % exc)
        return []
    if not files.is_dir(archive + "/EGG-INFO"):
        return []
    dist = read_distribution(files, archive, "EGG-INFO", issues)
    return [dist] if dist is not None else []
