from __future__ import annotations

from pathlib import Path

import pytest

from envaudit import files


def test_write_atomic_leaves_the_old_file_when_writing_fails(tmp_path: Path) -> None:
    path = tmp_path / "out.json"
    path.write_text("old")

    with pytest.raises(TypeError):
        files.write_atomic(path, 42)  # type: ignore[arg-type]
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_write_atomic_writes_through_devices_and_symlinks(tmp_path: Path) -> None:
    import os
    import stat

    devnull = Path(os.devnull)
    before = devnull.stat().st_mode
    files.write_atomic(devnull, "discarded")
    assert stat.S_ISCHR(devnull.stat().st_mode) and devnull.stat().st_mode == before
    target = tmp_path / "real.json"
    target.write_text("old")
    target.chmod(0o640)
    link = tmp_path / "link.json"
    link.symlink_to(target)
    files.write_atomic(link, "new")
    assert link.is_symlink() and target.read_text() == "new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    fresh = tmp_path / "fresh.json"
    files.write_atomic(fresh, "x")
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o666 & ~_umask()


def _umask() -> int:
    import os

    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_write_all_atomic_touches_nothing_if_one_cannot_be_staged(tmp_path: Path) -> None:
    a, b = tmp_path / "a.txt", tmp_path / "missing-dir" / "b.txt"
    a.write_text("old a")
    with pytest.raises(FileNotFoundError):
        files.write_all_atomic({a: "new a", b: "new b"})
    assert a.read_text() == "old a"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]
    files.write_all_atomic({a: "new a"})
    assert a.read_text() == "new a"


def test_write_all_atomic_writes_through_devices_and_gives_new_files_normal_modes(tmp_path: Path) -> None:
    import os
    import stat

    devnull = Path(os.devnull)
    before = devnull.stat().st_mode
    fresh = tmp_path / "constraints.txt"
    files.write_all_atomic({devnull: "discarded", fresh: "six==1.16.0\n"})
    assert stat.S_ISCHR(devnull.stat().st_mode) and devnull.stat().st_mode == before
    assert fresh.read_text() == "six==1.16.0\n"
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o666 & ~_umask()
