"""The lean tar walker against Python's tarfile as the oracle, in every format tarfile writes."""

from __future__ import annotations

import contextlib
import io
import tarfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from envaudit.targets import tarwalk


def archive(fmt: int, members: list[tuple[str, bytes | str | None]]) -> bytes:
    """members: (name, data) for files, (name, "->target") for symlinks, (name, None) for folders."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=fmt) as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            if data is None:
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            elif isinstance(data, str):
                info.type = tarfile.SYMTYPE
                info.linkname = data.removeprefix("->")
                tar.addfile(info)
            else:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


LONG = "usr/lib/python3.11/site-packages/" + "a-very-long-folder-name/" * 8 + "METADATA"
MEMBERS: list[tuple[str, bytes | str | None]] = [
    ("usr", None),
    ("usr/bin/python3", "->python3.11"),
    ("usr/bin/python3.11", b"\x7fELF" + b"x" * 2000),
    (LONG, b"Name: long\nVersion: 1\n"),
    ("etc/os-release", b"ID=debian\n"),
    ("caf\u00e9/\u00fcnicode.txt", b"non-ascii names travel in pax headers"),
    ("empty", b""),
]


def walk(data: bytes, *, stream: bool) -> list[tuple[str, str, bytes]]:
    source: tarwalk.Source = tarwalk.StreamSource(io.BytesIO(data)) if stream else tarwalk.BufferSource(data)
    walker = tarwalk.Walker(source)
    out = []
    for member in walker:
        kind = "file" if member.is_file else "link" if member.is_symlink else "other"
        body = walker.data(member, 1 << 20) if member.is_file else member.linkname.encode()
        out.append((member.name.rstrip("/"), kind, body))  # tarfile strips a folder's trailing slash
    return out


def oracle(data: bytes) -> list[tuple[str, str, bytes]]:
    out = []
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        for info in tar:
            kind = "file" if info.isfile() else "link" if info.issym() else "other"
            extracted = tar.extractfile(info) if info.isfile() else None
            body = extracted.read() if extracted else info.linkname.encode()
            out.append((info.name, kind, body))
    return out


@pytest.mark.parametrize("fmt", [tarfile.GNU_FORMAT, tarfile.PAX_FORMAT], ids=["gnu", "pax"])
@pytest.mark.parametrize("stream", [False, True], ids=["buffer", "stream"])
def test_walk_lists_what_tarfile_lists(fmt: int, stream: bool) -> None:
    data = archive(fmt, MEMBERS)
    assert walk(data, stream=stream) == oracle(data)


def test_ustar_prefix_field() -> None:
    name = "a/" * 60 + "file.txt"  # 128 characters: ustar splits it into prefix and name
    data = archive(tarfile.USTAR_FORMAT, [(name, b"x")])
    assert walk(data, stream=False) == [(name, "file", b"x")]


def test_skipping_unread_data_keeps_alignment() -> None:
    data = archive(tarfile.PAX_FORMAT, [("big", b"z" * 100_000), ("after", b"ok")])
    walker = tarwalk.Walker(tarwalk.BufferSource(data))
    names = [m.name for m in walker]  # no data read: every member's data is skipped
    assert names == ["big", "after"]


def test_nested_archive_in_place() -> None:
    inner = archive(tarfile.PAX_FORMAT, MEMBERS)
    outer = archive(tarfile.PAX_FORMAT, [("layer.tar", inner), ("manifest.json", b"[]")])
    for source in (tarwalk.BufferSource(outer), tarwalk.StreamSource(io.BytesIO(outer))):
        walker = tarwalk.Walker(source)
        seen = []
        for member in walker:
            if member.name == "layer.tar":
                seen.append([m.name.rstrip("/") for m in tarwalk.Walker(walker.nested(member))])
                walker.done_nested(member)
            else:
                seen.append([member.name, walker.data(member, 100).decode()])
        assert seen == [[m[0] for m in MEMBERS], ["manifest.json", "[]"]]


def test_truncated_archive_is_an_error() -> None:
    data = archive(tarfile.PAX_FORMAT, [("big", b"z" * 10_000)])
    for cut in (100, 700, 5_000):
        with pytest.raises(tarwalk.TarError, match="truncated"):
            walk(data[:cut], stream=False)
        with pytest.raises(tarwalk.TarError, match="truncated"):
            walk(data[:cut], stream=True)


def test_garbage_header_fails_its_checksum() -> None:
    with pytest.raises(tarwalk.TarError, match="corrupt data"):
        walk(b"\x01" * 1024, stream=False)


def test_huge_extended_header_is_refused() -> None:
    header = bytearray(archive(tarfile.USTAR_FORMAT, [("x", b"")])[:512])
    header[156] = ord("x")  # a pax header claiming 2 GiB of records
    header[124:136] = b"%011o\0" % (1 << 31)
    with pytest.raises(tarwalk.TarError, match="extended header"):
        walk(bytes(header) + b"\0" * 1024, stream=False)


def test_base256_size() -> None:
    assert tarwalk._number(b"\x80" + (5).to_bytes(11, "big")) == 5


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=3000), st.booleans())
def test_any_bytes_give_members_or_tar_error(data: bytes, stream: bool) -> None:
    with contextlib.suppress(tarwalk.TarError):  # anything else escaping is the failure
        walk(data, stream=stream)
