"""Issue 4: scanning the Debian+pandas fixture image, statically and through the engine."""

from __future__ import annotations

import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.benchmarks.harness import Benchmark
from tests.support.docker_images import engine_problem, fixture_images

ENVAUDIT = str(Path(sys.executable).parent / "envaudit")


def benchmarks() -> list[Benchmark]:
    problem = engine_problem()
    if problem is not None:
        print(f"#4 image benchmarks skipped: {problem}")
        return []
    image = fixture_images()["debian-pandas"]
    archive = str(image.archive)
    members = subprocess.run(["tar", "-tf", archive], capture_output=True, text=True, check=True).stdout
    layers = [m for m in members.split() if m.endswith("layer.tar") or m.startswith("blobs/")]
    # `tar -tf` of a `docker save` archive lists a dozen entries and seeks past the layers, which are
    # archives themselves; listing what is in the image means listing each layer too.
    list_all = f"tar -tf {shlex.quote(archive)} >/dev/null" + "".join(
        f" && tar -xOf {shlex.quote(archive)} {shlex.quote(layer)} | tar -t >/dev/null" for layer in layers
    )
    common = ["--format", "json", "--env-include", "NONE"]
    import_docker = f"{shlex.quote(sys.executable)} -c 'import docker'"
    # A one-off image audit: run outside any project, so no requirements are read on the host.
    cwd = tempfile.mkdtemp(prefix="envaudit-bench-image-")
    return [
        Benchmark(
            issue=4,
            name="static scan of the Debian+pandas image archive",
            candidate=[ENVAUDIT, "scan", image.archive_target, *common],
            baseline=["sh", "-c", list_all],
            bar=2.0,
            description="envaudit scan docker-archive:debian-pandas.tar",
            baseline_description=f"tar -tf over the archive and its {len(layers)} layers",
            cwd=cwd,
        ),
        Benchmark(
            issue=4,
            name="static scan against the outer tar -tf alone",
            candidate=[ENVAUDIT, "scan", image.archive_target, *common],
            baseline=["tar", "-tf", archive],
            bar=None,
            description="the same static scan",
            baseline_description="tar -tf of the outer archive only (seeks past every layer)",
            cwd=cwd,
        ),
        Benchmark(
            issue=4,
            name="engine scan of the Debian+pandas image",
            candidate=[ENVAUDIT, "scan", image.target, *common],
            baseline=["docker", "run", "--rm", image.tag, "python3", "-c", "pass"],
            bar=1.5,
            description=f"envaudit scan docker:{image.tag.split('/')[-1]}",
            baseline_description="docker run --rm IMAGE python3 -c pass",
            rounds=11,
            cwd=cwd,
        ),
        Benchmark(
            issue=4,
            name="importing docker-py alone against the engine baseline",
            candidate=[sys.executable, "-c", "import docker"],
            baseline=["docker", "run", "--rm", image.tag, "python3", "-c", "pass"],
            bar=None,
            description="python -c 'import docker' (the client the engine scan must load)",
            baseline_description="docker run --rm IMAGE python3 -c pass",
            rounds=11,
            cwd=cwd,
        ),
        Benchmark(
            issue=4,
            name="engine scan against docker run plus importing docker-py",
            candidate=[ENVAUDIT, "scan", image.target, *common],
            baseline=["sh", "-c", f"{import_docker} && docker run --rm {image.tag} python3 -c pass"],
            bar=None,
            description="the same engine scan",
            baseline_description="python -c 'import docker' then the same docker run",
            rounds=11,
            cwd=cwd,
        ),
    ]
