"""Where a project declares its requirements. Kept apart (and light) so the scan's fast path can
tell whether there is anything to parse without importing the parser."""

from __future__ import annotations

from pathlib import Path

REQUIREMENTS_GLOBS = ("requirements*.txt", "requirements/*.txt")


def requirement_files(project: Path) -> list[Path]:
    found: list[Path] = []
    for pattern in REQUIREMENTS_GLOBS:
        # A symlink that leads nowhere (or in a loop) is kept: reading it says what is wrong.
        found.extend(sorted(p for p in project.glob(pattern) if p.is_file() or p.is_symlink()))
    return found


def declares_requirements(project: Path) -> bool:
    return (project / "pyproject.toml").is_file() or bool(requirement_files(project))
