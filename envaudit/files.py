"""Writing files so that nothing is ever half-written."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Mapping
from pathlib import Path


def write_atomic(path: Path, text: str | bytes) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename: never half-written.

    Only a regular file is replaced that way. A device or a pipe (``-o /dev/null``, ``-o /dev/stdout``)
    is written to directly, and a symbolic link is followed, so the file it names is the one replaced.
    """
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        mode = None
    if mode is not None and not stat.S_ISREG(mode):
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(f"{path} is a directory")
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            with open(path, "w", encoding="utf-8", newline="") as fh:
                fh.write(text)
        return
    path = Path(os.path.realpath(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    data = text.encode() if isinstance(text, str) else text
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if mode is not None:
            Path(tmp).chmod(stat.S_IMODE(mode))  # keep the permissions of the file being replaced
        else:
            umask = os.umask(0)
            os.umask(umask)
            Path(tmp).chmod(0o666 & ~umask)  # mkstemp's 0600 is not what a new file would have had
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_all_atomic(texts: Mapping[Path, str]) -> None:
    """Replace several files as one change: every new text is staged first, then all are renamed.

    If staging any of them fails, none of the originals is touched.
    """
    staged: list[tuple[Path, Path]] = []  # (temporary file, the real file it replaces)
    try:
        for given, text in texts.items():
            target = Path(os.path.realpath(given))
            fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
            staged.append((Path(name), target))
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
                fh.write(text)
                fh.flush()
                os.fsync(fh.fileno())
            with contextlib.suppress(FileNotFoundError):  # a new file keeps mkstemp's private mode
                Path(name).chmod(stat.S_IMODE(target.stat().st_mode))
    except BaseException:
        for temporary, _ in staged:
            temporary.unlink(missing_ok=True)
        raise
    for temporary, target in staged:
        temporary.replace(target)
