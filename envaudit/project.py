"""Where a project declares its requirements. Kept apart (and light) so the scan's fast path can
tell whether there is anything to parse without importing the parser."""

from __future__ import annotations

from pathlib import Path

REQUIREMENTS_GLOBS = ("requirements*.txt", "requirements/*.txt")
# Every lock format, one line each: the file names its tool writes, and "module:function" reading it
# (see envaudit/locks; imported only when a lock of that format is met).
LOCK_FORMATS = (
    ("uv.lock", "envaudit.locks.uv:read"),
    ("poetry.lock", "envaudit.locks.poetry:read"),
    ("pylock.toml", "envaudit.locks.pylock:read"),
    ("pylock.*.toml", "envaudit.locks.pylock:read"),
    ("Pipfile.lock", "envaudit.locks.pipfile:read"),
)


def requirement_files(project: Path) -> list[Path]:
    found: list[Path] = []
    for pattern in REQUIREMENTS_GLOBS:
        # A symlink that leads nowhere (or in a loop) is kept: reading it says what is wrong.
        found.extend(sorted(p for p in project.glob(pattern) if p.is_file() or p.is_symlink()))
    return found


def lock_files(project: Path) -> list[Path]:
    """The lock files of a project folder, as their tools find them (in the folder itself)."""
    found: list[Path] = []
    for pattern, _ in LOCK_FORMATS:
        found.extend(sorted(p for p in project.glob(pattern) if p.is_file() or p.is_symlink()))
    return list(dict.fromkeys(found))


def declares_requirements(project: Path) -> bool:
    return (
        (project / "pyproject.toml").is_file()
        or bool(requirement_files(project))
        or bool(lock_files(project))
    )


def may_configure(config_file: Path | None, project: Path) -> bool:
    """Whether there may be a ``[tool.envaudit]`` table to read: a ``--config`` file, or a
    pyproject.toml that names envaudit at all (every TOML spelling of the table does), so that a
    project without one costs no TOML parse and no config import."""
    if config_file is not None:
        return True
    try:
        with (project / "pyproject.toml").open("rb") as fh:
            return b"envaudit" in fh.read()
    except OSError:  # none, or unreadable: config.load says which when it matters
        return (project / "pyproject.toml").exists()


def repository_root(folder: Path) -> Path | None:
    """The root of the git work tree holding ``folder`` (the nearest parent with a ``.git``), if any."""
    for candidate in (folder, *folder.parents):
        if (candidate / ".git").exists():
            return candidate
    return None
