"""A lean, read-only walk over tar headers, for reading image layers fast.

``tarfile`` builds a TarInfo object per member and reads every member's data through a stream
(about 30 us a member); an image has tens of thousands of members and envaudit wants the contents
of a few hundred. This walker parses the 512-byte headers itself (ustar, GNU long names and pax
``path``/``linkpath``/``size`` records, as GNU tar and Go's archive/tar write them), skips data by
moving an offset when the source is in memory or a file (memory-mapped), and reads and discards
it only when the source is a stream. Every header's checksum is verified, so a corrupt or
truncated archive is an error, never garbage.

Nothing here writes anywhere: a member is a name, a type, a size and, on request, at most
``limit`` bytes of its data.
"""

from __future__ import annotations

import contextlib
import io
import mmap
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Protocol

BLOCK = 512
REGULAR = frozenset(b"07\0")  # '0', contiguous '7', and the pre-POSIX NUL type
HARDLINK, SYMLINK, DIRECTORY = ord("1"), ord("2"), ord("5")
GNU_LONGNAME, GNU_LONGLINK, PAX, PAX_GLOBAL = ord("L"), ord("K"), ord("x"), ord("g")
_EXTENDED = frozenset((GNU_LONGNAME, GNU_LONGLINK, PAX, PAX_GLOBAL))
_NO_DATA = frozenset(b"12345")  # links, devices and folders carry no data in the archive
MAX_EXTENDED = 1 << 20  # a long name or pax header larger than this is hostile, not a name
# No member is larger: tar's own octal field tops out at 8 GiB, and an image layer's file is far
# smaller. A size beyond this (or a negative one, which base-256 and pax can say) is hostile.
MAX_MEMBER = 1 << 40
_CHECK_EVERY = 64  # headers between two looks at the clock


class TarError(Exception):
    """The archive is corrupt or truncated; the message says where."""


class ReadTimeout(Exception):
    """The time given to read (``deadline``) ran out. Not a TarError: the archive may be fine."""


# The deadline of the read going on in this thread (static image targets read in worker threads).
_deadline = threading.local()


@contextlib.contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Every read and skip through sources of this module, in this thread, raises ReadTimeout
    once ``seconds`` have passed: a hostile archive (a decompression bomb) cannot outlast
    ``--timeout``."""
    previous = getattr(_deadline, "at", None)
    _deadline.at = time.monotonic() + seconds
    try:
        yield
    finally:
        _deadline.at = previous


def check_deadline() -> None:
    at = getattr(_deadline, "at", None)
    if at is not None and time.monotonic() > at:
        raise ReadTimeout


def _checked_size(size: int) -> int:
    if size < 0 or size > MAX_MEMBER:
        raise TarError(f"a member claims a size of {size} bytes (hostile or corrupt)")
    return size


class Source(Protocol):
    def peek(self, n: int) -> bytes: ...

    def read(self, n: int) -> bytes: ...

    def skip(self, n: int) -> None: ...

    def tell(self) -> int: ...


class BufferSource:
    """A region of a buffer (a memory map of the archive, or bytes): skipping is free."""

    def __init__(
        self, buffer: mmap.mmap | bytes | memoryview, start: int = 0, end: int | None = None
    ) -> None:
        self.buffer = buffer
        self.pos = start
        self.end = len(buffer) if end is None else end

    def read(self, n: int) -> bytes:
        stop = min(self.pos + n, self.end)
        data = self.buffer[self.pos : stop]
        self.pos = stop
        return bytes(data)

    def skip(self, n: int) -> None:
        if n < 0:  # never backwards: that is how a hostile header would make the walk loop
            raise TarError("a member would move the reader backwards (corrupt data)")
        if self.pos + n > self.end:
            self.pos = self.end
            raise TarError("unexpected end of data: the archive is truncated")
        self.pos += n

    def tell(self) -> int:
        return self.pos

    def peek(self, n: int) -> bytes:
        return bytes(self.buffer[self.pos : min(self.pos + n, self.end)])

    def window(self, size: int) -> BufferSource:
        """The next ``size`` bytes as a source of their own (a nested archive), without copying."""
        return BufferSource(self.buffer, self.pos, min(self.pos + size, self.end))

    def stream(self, size: int) -> IO[bytes]:
        """The next ``size`` bytes as a file object (for a decompressor), without copying."""
        return io.BufferedReader(_Window(self.buffer, self.pos, min(self.pos + size, self.end)), 1 << 16)


class _Window(io.RawIOBase):
    def __init__(self, buffer: mmap.mmap | bytes | memoryview, start: int, end: int) -> None:
        self._view = memoryview(buffer)[start:end]
        self._pos = 0

    def readable(self) -> bool:
        return True

    def readinto(self, target: bytearray | memoryview) -> int:  # type: ignore[override]
        check_deadline()
        n = min(len(target), len(self._view) - self._pos)
        target[:n] = self._view[self._pos : self._pos + n]
        self._pos += n
        return n


class StreamSource:
    """A stream that can only be read forward (a decompressor, an HTTP body): skipping reads."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self.pos = 0
        self._head = b""  # bytes peeked at and put back

    def peek(self, n: int) -> bytes:
        if len(self._head) < n:
            self._head += self._stream.read(n - len(self._head))
        return self._head[:n]

    def read(self, n: int) -> bytes:
        out = self._head[:n]
        self._head = self._head[n:]
        while len(out) < n:  # a decompressor may return fewer bytes than asked, before the end
            check_deadline()
            chunk = self._stream.read(n - len(out))
            if not chunk:
                break
            out += chunk
        self.pos += len(out)
        return out

    def skip(self, n: int) -> None:
        if n < 0:
            raise TarError("a member would move the reader backwards (corrupt data)")
        while n > 0:
            chunk = self.read(min(n, 1 << 20))
            if not chunk:
                raise TarError("unexpected end of data: the archive is truncated")
            n -= len(chunk)

    def tell(self) -> int:
        return self.pos

    def stream(self, size: int) -> IO[bytes]:
        """The next ``size`` bytes as a file object, read through this source."""
        return io.BufferedReader(_Bounded(self, size), 1 << 16)


class _Bounded(io.RawIOBase):
    def __init__(self, source: StreamSource, size: int) -> None:
        self._source = source
        self._left = size

    def readable(self) -> bool:
        return True

    def readinto(self, target: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self._source.read(min(len(target), self._left))
        self._left -= len(data)
        target[: len(data)] = data
        return len(data)


@dataclass(slots=True)
class Member:
    name: str
    type: int  # the typeflag byte: see REGULAR, SYMLINK, ...
    size: int
    linkname: str
    offset: int  # where its data starts in the source

    @property
    def is_file(self) -> bool:
        return self.type in REGULAR

    @property
    def is_symlink(self) -> bool:
        return self.type == SYMLINK

    @property
    def is_hardlink(self) -> bool:
        return self.type == HARDLINK


def _number(field: bytes) -> int:
    if field and field[0] & 0x80:  # GNU base-256, for sizes over 8 GiB
        value = int.from_bytes(field[1:], "big")
        return -value if field[0] & 0x40 else value
    text = field.split(b"\0", 1)[0].strip()
    try:
        return int(text, 8) if text else 0
    except ValueError:
        raise TarError("a header holds a malformed number (corrupt data)") from None


def _text(field: bytes) -> str:
    return field.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")


def _pax(data: bytes) -> dict[str, str]:
    records: dict[str, str] = {}
    pos = 0
    while pos < len(data):
        space = data.find(b" ", pos)
        if space < 0:
            break
        try:
            length = int(data[pos:space])
        except ValueError:
            raise TarError("a malformed pax header") from None
        if length <= 0:
            raise TarError("a malformed pax header")
        key, _, value = data[space + 1 : pos + length - 1].partition(b"=")
        records[key.decode("utf-8", "replace")] = value.decode("utf-8", "surrogateescape")
        pos += length
    return records


class Walker:
    """Iterate over the members of the tar archive in ``source``; read a member's data with
    ``data`` before moving to the next one (its unread data is skipped)."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self._pending = 0  # data (with padding) of the current member not yet consumed
        self._consumed = 0

    # One function on purpose: it runs once per member of every layer, and calls cost more here than
    # anywhere else in a static image read.
    def __iter__(self) -> Iterator[Member]:  # noqa: C901
        source = self.source
        long_name: str | None = None
        long_link: str | None = None
        pax: dict[str, str] = {}
        read, skip, tell = source.read, source.skip, source.tell
        headers = 0
        while True:
            headers += 1
            if headers % _CHECK_EVERY == 0:
                check_deadline()
            if self._pending:
                skip(self._pending)
                self._pending = 0
            header = read(BLOCK)
            if len(header) < BLOCK:
                if not header:
                    return  # the end without the two zero blocks: tolerated, as GNU tar does
                raise TarError("a header is cut short: the archive is truncated")
            if header[0] == 0 and header.count(0) == BLOCK:
                return  # the end-of-archive marker
            # What tells a header from garbage (a corrupt or misaligned archive): the ustar magic,
            # which every tar writer since POSIX.1-1988 puts there, else the checksum. Summing 512
            # bytes for every member would cost more than all the rest of the walk.
            if header[257:262] != b"ustar" and _number(header[148:156]) != (
                sum(header) - sum(header[148:156]) + 256
            ):
                where = tell() - BLOCK
                raise TarError(f"the header at offset {where} fails its checksum (corrupt data)")
            try:
                size = int(header[124:135], 8)  # the common case: 11 octal digits
                if size < 0:  # int() takes a sign: "-0000000001" is no tar size
                    _checked_size(size)
            except ValueError:
                size = _checked_size(_number(header[124:136]))
            kind = header[156]
            padded = (size + 511) & ~511
            if kind in _EXTENDED:
                if size > MAX_EXTENDED:
                    raise TarError(f"an extended header of {size} bytes (hostile or corrupt)")
                data = read(padded)[:size]
                if len(data) < size:
                    raise TarError("an extended header is cut short: the archive is truncated")
                if kind == GNU_LONGNAME:
                    long_name = _text(data)
                elif kind == GNU_LONGLINK:
                    long_link = _text(data)
                elif kind == PAX:
                    pax = _pax(data)
                continue
            end = header.find(0, 0, 100)
            name = header[: end if end >= 0 else 100].decode("utf-8", "surrogateescape")
            if header[345] != 0 and header[257:262] == b"ustar":
                name = _text(header[345:500]) + "/" + name
            link = ""
            if kind in (SYMLINK, HARDLINK):
                link = long_link if long_link is not None else _text(header[157:257])
            if long_name is not None or pax:
                if long_name is not None:
                    name = long_name
                name = pax.get("path", name)
                link = pax.get("linkpath", link)
                if "size" in pax:
                    try:
                        size = _checked_size(int(pax["size"]))
                    except ValueError:
                        raise TarError("a malformed pax size") from None
                    padded = (size + 511) & ~511
                long_name = long_link = None
                pax = {}
            if kind in _NO_DATA:
                self._pending = 0
                yield Member(name, kind, 0, link, tell())
            else:
                self._pending = padded
                yield Member(name, kind, size, link, tell())

    def data(self, member: Member, limit: int) -> bytes:
        """Up to ``limit`` bytes of the current member's data."""
        if not self._pending:
            return b""
        wanted = min(member.size, limit)
        data = self.source.read(wanted)
        if len(data) < wanted:
            raise TarError(f"{member.name} is cut short: the archive is truncated")
        self._pending -= len(data)
        return data

    def nested(self, member: Member) -> Source:
        """The current member's data as a source of its own, for an archive inside the archive
        (a layer in `docker save` output). Once done with it, call ``done_nested``."""
        source = self.source
        if isinstance(source, BufferSource):
            return source.window(member.size)
        assert isinstance(source, StreamSource)
        return StreamSource(source.stream(member.size))

    def stream(self, member: Member) -> IO[bytes]:
        """The current member's data as a file object (for a decompressor); then ``done_nested``."""
        source = self.source
        if isinstance(source, BufferSource):
            return source.stream(member.size)
        assert isinstance(source, StreamSource)
        return source.stream(member.size)

    def done_nested(self, member: Member) -> None:
        """Move past the member whatever the nested reader consumed (it may stop early)."""
        end = member.offset + (member.size + BLOCK - 1) // BLOCK * BLOCK
        self._pending = 0
        if end < self.source.tell():
            raise TarError(f"{member.name}: a nested archive read past its member (corrupt data)")
        self.source.skip(end - self.source.tell())


def open_source(path: str) -> tuple[Source, object]:
    """A source over a file: memory-mapped when possible (skips are free), else read as a stream.
    Returns the source and the object to close afterwards."""
    handle = open(path, "rb")  # noqa: SIM115 - closed by the caller through the returned object
    try:
        mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    except (ValueError, OSError):  # empty, or not mappable (a pipe, a device)
        return StreamSource(handle), handle
    handle.close()
    return BufferSource(mapped), mapped
