"""Issue 16: what OS package ownership and changelog reading add to a static scan of the Debian
fixture image, against the static scan as it was before them (envaudit at BEFORE, installed from
this repository's own history into a cached venv, scanning the same image in the same run)."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from tests.benchmarks.harness import Benchmark
from tests.support.docker_images import engine_problem, fixture_images
from tests.support.venvs import cache_root

ENVAUDIT = str(Path(sys.executable).parent / "envaudit")
REPO = Path(__file__).resolve().parents[2]
BEFORE = "9fa8699"  # main before issue 16: the static scan read no package database


def envaudit_before() -> Path | None:
    """envaudit as of BEFORE, in a venv of its own (built once, then cached); None without history."""
    venv = cache_root() / "bench" / f"envaudit-{BEFORE}"
    python = venv / "bin" / "python"
    if (venv / "bin" / "envaudit").is_file():
        return venv / "bin" / "envaudit"
    if subprocess.run(["git", "-C", str(REPO), "cat-file", "-e", BEFORE], check=False).returncode != 0:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(["git", "-C", str(REPO), "archive", BEFORE], capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", tmp], input=archive.stdout, check=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", "-c", f"{tmp}/constraints.txt", tmp], check=True
        )
    return venv / "bin" / "envaudit"


def benchmarks() -> list[Benchmark]:
    problem = engine_problem()
    if problem is not None:
        print(f"#16 OS package benchmark skipped: {problem}")
        return []
    before = envaudit_before()
    if before is None:
        print(f"#16 OS package benchmark skipped: commit {BEFORE} is not in this clone's history")
        return []
    image = fixture_images()["debian-pandas"]
    common = ["--format", "json", "--env-include", "NONE"]
    cwd = tempfile.mkdtemp(prefix="envaudit-bench-os-")  # no project: nothing read on the host
    return [
        Benchmark(
            issue=16,
            name="static scan with OS package ownership and changelogs",
            candidate=[ENVAUDIT, "scan", image.archive_target, *common],
            baseline=[str(before), "scan", image.archive_target, *common],
            bar=1.25,
            description="envaudit scan docker-archive:debian-pandas.tar (11 distributions owned by dpkg)",
            baseline_description=f"the same scan by envaudit {BEFORE} (no package database read)",
            cwd=cwd,
        ),
    ]
