"""Writing files so that nothing is ever half-written."""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from collections.abc import Mapping
from pathlib import Path


def write_atomic(path: Path, text: str | bytes) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename: never half-written.

    The folder is created if needed; otherwise as ``write_all_atomic``.
    """
    Path(os.path.realpath(path)).parent.mkdir(parents=True, exist_ok=True)
    write_all_atomic({path: text})


def write_all_atomic(texts: Mapping[Path, str | bytes]) -> None:
    """Replace several files as one change: every new text is staged first, then all are renamed.

    If staging any of them fails, none of the originals is touched. Only regular files are replaced
    that way: a device or a pipe (``/dev/null``, ``/dev/stdout``) is written to directly, and a
    symbolic link is followed, so the file it names is the one replaced. A replaced file keeps its
    permissions; a new one gets what the umask gives, not mkstemp's private 0600.
    """
    staged: list[tuple[Path, Path]] = []  # (temporary file, the real file it replaces)
    direct: list[tuple[Path, bytes]] = []
    try:
        for given, text in texts.items():
            data = text.encode() if isinstance(text, str) else text
            target = Path(os.path.realpath(given))
            mode = _existing_mode(target)
            if mode is not None and not stat.S_ISREG(mode):
                if stat.S_ISDIR(mode):
                    raise IsADirectoryError(errno.EISDIR, "is a directory, not a file", str(given))
                direct.append((target, data))
                continue
            fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
            staged.append((Path(name), target))
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            Path(name).chmod(stat.S_IMODE(mode) if mode is not None else 0o666 & ~_umask())
    except BaseException:
        for temporary, _ in staged:
            temporary.unlink(missing_ok=True)
        raise
    for temporary, target in staged:
        temporary.replace(target)
    for target, data in direct:
        target.write_bytes(data)


def _existing_mode(path: Path) -> int | None:
    try:
        return path.stat().st_mode
    except FileNotFoundError:
        return None


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
