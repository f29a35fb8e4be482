"""Which OS package owns each installed distribution: dpkg (Debian, Ubuntu), apk (Alpine) and rpm
(its SQLite database), read from the package manager's own records, and the security ids the OS
package's changelog names.

Distributions bought from the OS (``apt install python3-urllib3``) carry the upstream version in
their metadata, but the OS package is what decides which fixes they have: distributions backport
security fixes without changing the upstream version. So the audit judges them by the OS package.

Reads through the same file access as the metadata reader (``metadata.OSFiles`` on a live target,
``LayerFiles`` for an image's merged layers), so a static read and a scan through the engine agree.
Runs inside targets, spliced into the scanner like ``metadata.py``: standard library only, Python
3.8 syntax and APIs, and nothing read at all unless a distribution lives in a folder an OS package
manager installs into (a venv's scan pays nothing).
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs start-up time in every target; annotations are never evaluated
    from typing import Any, Dict, Iterator, List, Optional, Set, Tuple

# Where OS package managers put Python distributions; /usr/local and everything else is pip's.
SYSTEM_FOLDERS = ("/usr/lib/", "/usr/lib64/", "/usr/lib32/", "/usr/share/", "/lib/", "/lib64/")
MAX_DATABASE = 64 * 1024 * 1024  # dpkg's status of a large desktop is a few MiB
MAX_LIST = 16 * 1024 * 1024  # one package's file list
MAX_CHANGELOG = 4 * 1024 * 1024  # decompressed
MAX_FIXES = 400  # security ids kept per OS package
MAX_TEXT = 300  # characters of a changelog item kept as the quote
OS_RELEASE_KEYS = ("ID", "VERSION_ID", "VERSION_CODENAME", "NAME", "PRETTY_NAME", "ID_LIKE")


def os_release(files: Any) -> Optional[Dict[str, str]]:
    """The os-release fields that name a distribution and its release, or None without the file."""
    for path in ("/etc/os-release", "/usr/lib/os-release"):
        data = files.read(path, 64 * 1024)
        if data is None:
            continue
        found: Dict[str, str] = {}
        for line in data.decode("utf-8", "replace").splitlines():
            key, sep, value = line.partition("=")
            key = key.strip()
            if sep and key in OS_RELEASE_KEYS:
                value = value.strip()
                if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
                    value = value[1:-1]
                found[key.lower()] = value[:200]
        return found
    return None


def _aliases(path: str) -> List[str]:
    """The spellings one file may have in a package database: merged /usr makes /lib and /usr/lib one."""
    out = [path]
    for short, long in (("/lib/", "/usr/lib/"), ("/lib64/", "/usr/lib64/")):
        if path.startswith(long):
            out.append(short + path[len(long) :])
        elif path.startswith(short):
            out.append(long + path[len(short) :])
    return out


def _stanzas(text: str) -> Iterator[Dict[str, str]]:
    """RFC 822-like records separated by blank lines (dpkg's status), continuation lines dropped."""
    for block in text.split("\n\n"):
        record: Dict[str, str] = {}
        for line in block.split("\n"):
            if not line or line[0] in " \t":
                continue
            key, sep, value = line.partition(":")
            if sep:
                record[key] = value.strip()
        if record:
            yield record


def _read_text(files: Any, path: str, limit: int, issues: List[Dict[str, str]]) -> Optional[str]:
    try:
        data = files.read(path, limit + 1)
    except OSError as exc:
        issues.append({"code": "os-packages-unreadable", "path": path, "message": str(exc)[:200]})
        return None
    if data is None:
        return None
    if len(data) > limit:
        issues.append(
            {"code": "os-packages-unreadable", "path": path, "message": "larger than %d MiB" % (limit >> 20)}
        )
        return None
    return str(data.decode("utf-8", "replace"))


def _listdir(files: Any, folder: str) -> List[str]:
    try:
        return list(files.listdir(folder))
    except OSError:
        return []


# --- dpkg ---------------------------------------------------------------------------------------------


def _dpkg_record(stanza: Dict[str, str]) -> Dict[str, str]:
    source, _, source_version = stanza.get("Source", "").partition(" (")
    return {
        "manager": "dpkg",
        "name": stanza["Package"],
        "version": stanza.get("Version", ""),
        "source": source.strip() or stanza["Package"],
        "source_version": source_version.rstrip(")").strip() or stanza.get("Version", ""),
        "architecture": stanza.get("Architecture", ""),
    }


def _dpkg_packages(files: Any, issues: List[Dict[str, str]]) -> List[Tuple[Dict[str, str], List[str], bool]]:
    """Each installed package: its record, where its file list may be, and whether it mentions Python.
    From /var/lib/dpkg: status and info/PKG.list, or distroless' status.d/PKG and PKG.md5sums."""
    packages: List[Tuple[Dict[str, str], List[str], bool]] = []
    status = _read_text(files, "/var/lib/dpkg/status", MAX_DATABASE, issues)
    for stanza in _stanzas(status or ""):
        if "Package" in stanza and stanza.get("Status", "").endswith(" installed"):
            name = stanza["Package"]
            arch = stanza.get("Architecture", "")
            lists = ["/var/lib/dpkg/info/%s:%s.list" % (name, arch), "/var/lib/dpkg/info/%s.list" % name]
            packages.append((stanza, lists, "python" in status_text(stanza)))
    for name in _listdir(files, "/var/lib/dpkg/status.d"):
        if "." in name and name.rsplit(".", 1)[1] in ("md5sums", "list"):
            continue
        record_text = _read_text(files, "/var/lib/dpkg/status.d/" + name, MAX_LIST, issues) or ""
        for stanza in _stanzas(record_text):
            if "Package" in stanza:
                lists = ["/var/lib/dpkg/status.d/%s.md5sums" % name, "/var/lib/dpkg/status.d/%s.list" % name]
                packages.append((stanza, lists, True))
    return packages


def _listed(text: str, md5sums: bool, wanted: Dict[str, str]) -> List[str]:
    """The wanted metadata paths a file list names (an md5sums list names files only, no folders)."""
    found = []
    for raw in text.split("\n"):
        line = "/" + raw.partition("  ")[2] if md5sums else raw  # md5sums: "HASH  usr/lib/..."
        for candidate in (line, line.rpartition("/")[0]) if md5sums else (line,):
            key = wanted.get(candidate)
            if key is not None:
                found.append(key)
    return found


def _dpkg(files: Any, wanted: Dict[str, str], issues: List[Dict[str, str]]) -> Dict[str, Dict[str, str]]:
    owners: Dict[str, Dict[str, str]] = {}
    packages = _dpkg_packages(files, issues)
    # Packages that mention Python are read first; the others only if something is still unowned.
    distinct = len(set(wanted.values()))
    for first_pass in (True, False):
        for stanza, lists, pythonic in packages:
            if pythonic != first_pass or len(owners) == distinct:
                continue
            for path in lists:
                text = _read_text(files, path, MAX_LIST, issues)
                if text is None:
                    continue
                if "-info" in text:  # else no metadata folder in it: the common case, skipped fast
                    record = _dpkg_record(stanza)
                    for key in _listed(text, path.endswith(".md5sums"), wanted):
                        owners.setdefault(key, record)
                break
    return owners


def status_text(stanza: Dict[str, str]) -> str:
    return " ".join((stanza.get("Package", ""), stanza.get("Depends", ""), stanza.get("Source", ""))).lower()


# --- apk ----------------------------------------------------------------------------------------------


def _apk(files: Any, wanted: Dict[str, str], issues: List[Dict[str, str]]) -> Dict[str, Dict[str, str]]:
    """Owners from /lib/apk/db/installed: P name, V version, o origin, F folder, R file in it."""
    owners: Dict[str, Dict[str, str]] = {}
    text = _read_text(files, "/lib/apk/db/installed", MAX_DATABASE, issues)
    if text is None:
        return owners
    for block in text.split("\n\n"):
        fields: Dict[str, str] = {}
        folder = ""
        hits: List[str] = []
        for line in block.split("\n"):
            if len(line) < 2 or line[1] != ":":
                continue
            kind, value = line[0], line[2:]
            if kind == "F":
                folder = "/" + value
                key = wanted.get(folder)
                if key is not None:
                    hits.append(key)
            elif kind == "R":
                key = wanted.get(folder + "/" + value)
                if key is not None:
                    hits.append(key)
            elif kind in "PVoA" and kind not in fields:
                fields[kind] = value
        if hits and "P" in fields:
            version = fields.get("V", "")
            record = {
                "manager": "apk",
                "name": fields["P"],
                "version": version,
                "source": fields.get("o") or fields["P"],
                "source_version": version,
                "architecture": fields.get("A", ""),
            }
            for key in hits:
                owners.setdefault(key, record)
    return owners


# --- rpm (SQLite database, rpm 4.16 and later) ------------------------------------------------------

RPMTAG = {"name": 1000, "version": 1001, "release": 1002, "epoch": 1003, "arch": 1022, "sourcerpm": 1044}
RPMTAG_DIRINDEXES, RPMTAG_BASENAMES, RPMTAG_DIRNAMES = 1116, 1117, 1118


def rpm_header(blob: bytes) -> Dict[int, Any]:
    """The tags of one rpm header blob (as the Packages table stores it): ints, strings, string lists."""
    import struct

    count, size = struct.unpack(">ii", blob[:8])
    if count < 0 or size < 0 or 8 + count * 16 + size > len(blob) or count > 100000:
        raise ValueError("a malformed rpm header")
    data = blob[8 + count * 16 : 8 + count * 16 + size]
    out: Dict[int, Any] = {}
    for i in range(count):
        tag, kind, offset, n = struct.unpack(">iiii", blob[8 + i * 16 : 24 + i * 16])
        if offset < 0 or offset > len(data) or n < 0 or n > len(data):
            raise ValueError("a malformed rpm header")
        if kind == 4:  # INT32
            out[tag] = list(struct.unpack(">%di" % n, data[offset : offset + 4 * n]))
        elif kind in (6, 8, 9):  # STRING, STRING_ARRAY, I18NSTRING
            values = data[offset:].split(b"\0", n)[:n]
            out[tag] = [v.decode("utf-8", "replace") for v in values]
    return out


def _rpm(files: Any, wanted: Dict[str, str], issues: List[Dict[str, str]]) -> Dict[str, Dict[str, str]]:
    owners: Dict[str, Dict[str, str]] = {}
    path = "/var/lib/rpm/rpmdb.sqlite"
    data = files.read(path, MAX_DATABASE + 1)
    if data is None:
        return owners
    if len(data) > MAX_DATABASE:
        issues.append({"code": "os-packages-unreadable", "path": path, "message": "larger than 64 MiB"})
        return owners
    import os
    import sqlite3
    import tempfile

    # sqlite reads files, not bytes: a private copy, so a live database is never locked or written.
    handle, copy = tempfile.mkstemp(suffix=".sqlite")
    try:
        with os.fdopen(handle, "wb") as fh:
            fh.write(data)
        connection = sqlite3.connect("file:%s?mode=ro" % copy, uri=True)
        try:
            for (blob,) in connection.execute("SELECT blob FROM Packages"):
                _rpm_package(rpm_header(bytes(blob)), wanted, owners)
        finally:
            connection.close()
    except (sqlite3.Error, ValueError, OSError) as exc:
        issues.append({"code": "os-packages-unreadable", "path": path, "message": str(exc)[:200]})
    finally:
        os.unlink(copy)
    return owners


def _rpm_package(tags: Dict[int, Any], wanted: Dict[str, str], owners: Dict[str, Dict[str, str]]) -> None:
    dirs = tags.get(RPMTAG_DIRNAMES) or []
    bases = tags.get(RPMTAG_BASENAMES) or []
    index = tags.get(RPMTAG_DIRINDEXES) or []
    hits = []
    for base, at in zip(bases, index):
        if 0 <= at < len(dirs):
            key = wanted.get(dirs[at].rstrip("/") + "/" + base)
            if key is not None:
                hits.append(key)
    if not hits:
        return

    def one(tag: str) -> str:
        value = tags.get(RPMTAG[tag]) or [""]
        return str(value[0])

    version = one("version") + "-" + one("release")
    if one("epoch"):
        version = one("epoch") + ":" + version
    source = one("sourcerpm")
    # foo-1.2-3.src.rpm: the source package's name is what is left after version and release.
    source_name = source.rsplit("-", 2)[0] if source.count("-") >= 2 else one("name")
    record = {
        "manager": "rpm",
        "name": one("name"),
        "version": version,
        "source": source_name,
        "source_version": version,
        "architecture": one("arch"),
    }
    for key in hits:
        owners.setdefault(key, record)


# --- changelogs ---------------------------------------------------------------------------------------


def _security_ids() -> Any:
    import re  # only when a changelog is read

    return re.compile(
        r"\b(CVE-\d{4}-\d{4,7}|GHSA(?:-[0-9a-z]{4}){3}|PYSEC-\d{4}-\d{1,7}|OSV-\d{4}-\d{1,7})\b",
        re.IGNORECASE,
    )


def debian_changelog_fixes(text: str) -> List[Dict[str, str]]:
    """Each security id a Debian changelog names: the version of the entry, and the item's text."""
    pattern = _security_ids()
    out: List[Dict[str, str]] = []
    seen: Set[Tuple[str, str]] = set()
    version = ""
    item: List[str] = []
    indent = 0  # of the item's bullet: deeper bullets are sub-items, part of it

    def flush() -> None:
        if not item or not version:
            return
        joined = " ".join(item)
        for found in pattern.findall(joined):
            key = (found.upper(), version)
            if key not in seen and len(out) < MAX_FIXES:
                seen.add(key)
                quote = joined if len(joined) <= MAX_TEXT else joined[: MAX_TEXT - 3] + "..."
                out.append({"id": found.upper(), "version": version, "text": quote})

    for line in text.split("\n"):
        if line and line[0] not in " \t":  # "source (version) dists; urgency=..." starts an entry
            flush()
            item = []
            head, sep, rest = line.partition(" (")
            version = rest.partition(")")[0].strip() if sep and head.strip() else ""
            continue
        stripped = line.strip()
        depth = len(line) - len(line.lstrip())
        if not stripped or stripped.startswith("-- "):
            flush()
            item = []
        elif stripped[0] in "*-+[" and (not item or depth <= indent):
            flush()
            item = [stripped.lstrip("*-+ ")]
            indent = depth
        else:  # a continuation line, or a sub-item's bullet
            item.append(stripped.lstrip("*-+ ") if stripped[0] in "*-+" else stripped)
    flush()
    return out


def changelog_fixes(
    files: Any, package: Dict[str, str], issues: List[Dict[str, str]]
) -> List[Dict[str, str]]:
    """The security ids named in an OS package's changelog, where the package manager keeps one."""
    if package["manager"] != "dpkg":
        return []  # apk keeps none in the image; rpm's changelog is in its header (not read yet)
    name = package["name"]
    arch = package.get("architecture", "")
    for path in (
        "/usr/share/doc/%s/changelog.Debian.gz" % name,
        "/usr/share/doc/%s/changelog.Debian.%s.gz" % (name, arch),  # a binNMU's
    ):
        try:
            data = files.read(path, MAX_CHANGELOG)
        except OSError:
            continue
        if data is None:
            continue
        import zlib

        try:  # a gzip stream, decompressed with a cap: a hostile image cannot make us inflate a bomb
            text = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(data, MAX_CHANGELOG)
        except zlib.error as exc:
            issues.append({"code": "os-packages-unreadable", "path": path, "message": str(exc)[:200]})
            return []
        return debian_changelog_fixes(text.decode("utf-8", "replace"))
    return []


# --- the whole ----------------------------------------------------------------------------------------

MANAGERS = (_dpkg, _apk, _rpm)


def attribute_os_packages(
    files: Any, dists: List[Dict[str, Any]], issues: List[Dict[str, str]]
) -> Optional[Dict[str, str]]:
    """Set ``os_package`` on each distribution an OS package owns (with the security ids its
    changelog names); the distribution's os-release, or None when nothing is owned."""
    wanted: Dict[str, str] = {}
    for dist in dists:
        path = str(dist.get("metadata_path") or "")
        if path.startswith(SYSTEM_FOLDERS):
            for alias in _aliases(path):
                wanted[alias] = path
    if not wanted:
        return None
    owners: Dict[str, Dict[str, str]] = {}
    for manager in MANAGERS:
        remaining = {k: v for k, v in wanted.items() if v not in owners}
        if not remaining:
            break
        owners.update(manager(files, remaining, issues))
    if not owners:
        return None
    fixes: Dict[str, List[Dict[str, str]]] = {}
    for dist in dists:
        package = owners.get(str(dist.get("metadata_path") or ""))
        if package is not None:
            if package["name"] not in fixes:
                fixes[package["name"]] = changelog_fixes(files, package, issues)
            dist["os_package"] = dict(package, fixes=fixes[package["name"]])
    return os_release(files) or {}
