"""Issue 17: diff of 1,000 saved snapshots (115 distributions each, about 2% drift) against loading
the same files with json.load, in text, JSON and HTML, with its peak memory against their total
size; and 200 SSH targets on 10 loopback hosts (one dead) against bare ssh for the same sessions."""

from __future__ import annotations

import atexit
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from envaudit import snapshot_io
from tests.benchmarks.harness import Benchmark
from tests.support import fleet, recipes, sshd

ENVAUDIT = str(Path(sys.executable).parent / "envaudit")
# The floor for the SSH fleet: the same sessions through bare ssh, 32 at a time, the scanner on stdin.
BARE = """
import json, subprocess, sys
from concurrent.futures import ThreadPoolExecutor
sessions, scanner = json.load(open(sys.argv[1])), open(sys.argv[2], "rb").read()
def run(argv):
    subprocess.run(argv, input=scanner, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
with ThreadPoolExecutor(32) as pool:
    list(pool.map(run, sessions))
"""
COUNT = 1000
SIZE = 115


def _fleet(folder: Path) -> Path:
    venv = recipes.bench_100()  # real distributions (names, Requires-Dist, paths) to build on
    real = folder / "real.json"
    subprocess.run(
        [ENVAUDIT, "scan", f"python:{venv.python}", "-o", str(real)],
        capture_output=True,
        check=True,
        cwd=folder,
    )
    made = fleet.make(folder, snapshot_io.load(real), count=COUNT, size=SIZE)
    targets = folder / "targets.txt"
    targets.write_text("".join(f"{p}\n" for p in made.paths))
    return targets


def diff_benchmarks() -> list[Benchmark]:
    folder = Path(tempfile.mkdtemp(prefix="envaudit-bench-fleet-"))
    targets = _fleet(folder)
    files = [Path(line) for line in targets.read_text().split()]
    total = sum(p.stat().st_size for p in files)
    load_all = f"import json\nfor line in open({str(targets)!r}):\n    json.load(open(line.strip()))\n"
    return [
        Benchmark(
            issue=17,
            name=f"diff of {COUNT} saved snapshots ({fmt})",
            candidate=[ENVAUDIT, "diff", "--targets-file", str(targets), "--format", fmt],
            baseline=[sys.executable, "-c", load_all],
            bar=3.0 if fmt == "html" else 2.0,
            description=f"envaudit diff --targets-file ({COUNT} x {SIZE} dists, 2% drift) --format {fmt}",
            baseline_description=f"json.load of the same {COUNT} files",
            cwd=str(folder),
            rounds=9,
            memory_bar=1.5 if fmt == "json" else None,
            memory_base=total,
            memory_base_description=f"the files' {total / 2**20:.0f} MiB",
        )
        for fmt in ("text", "json", "html")
    ]


def ssh_benchmarks() -> list[Benchmark]:
    if not sshd.available():
        print("#17 ssh fleet benchmark skipped: no sshd (make bench installs openssh-server as root)")
        return []
    lab = sshd.make_lab(Path(tempfile.mkdtemp(prefix="envaudit-bench-sshfleet-")))
    atexit.register(lab.stop)
    hosts = [lab.start(f"web-{i:02d}") for i in range(1, 11)]
    lab.trust(*hosts)
    python = sys.executable
    dead = sshd.free_port()
    urls = []
    for h, host in enumerate(hosts):
        for t in range(20):
            url = host.url(python)
            urls.append(
                (f"{host.name}-{t:02d}", url.replace(f":{host.port}/", f":{dead}/") if h == 9 else url)
            )
    folder = Path(lab.root)
    targets = folder / "targets.txt"
    targets.write_text("".join(f"{name}={url}\n" for name, url in urls))
    # The floor: the same 200 scanner sessions through bare ssh, 32 at a time, nothing of envaudit's.
    from envaudit.targets import parse_target
    from envaudit.targets.ssh import SSHOptions, parse_address, remote_command, ssh_argv

    args = lab.client_args()
    options = SSHOptions(
        options=tuple(args[i + 1] for i, a in enumerate(args) if a == "--ssh-option"),
        identity=str(lab.user_key),
    )
    scanner = Path(__file__).resolve().parents[2] / "envaudit" / "inprocess" / "scanner.py"
    sessions = folder / "sessions.json"
    sessions.write_text(
        json.dumps(
            [
                ssh_argv(
                    parse_address(parse_target(u)),
                    options,
                    remote_command(parse_address(parse_target(u)), []),
                )
                for _, u in urls
            ]
        )
    )
    out = folder / "out"
    return [
        Benchmark(
            issue=17,
            name="200 SSH targets on 10 loopback hosts (one dead), --jobs 32",
            candidate=[
                ENVAUDIT,
                "scan",
                "--targets-file",
                str(targets),
                "--jobs",
                "32",
                "-o",
                str(out),
                "--format",
                "json",
                "--env-include",
                "NONE",
                *args,
            ],
            baseline=[sys.executable, "-c", BARE, str(sessions), str(scanner)],
            bar=None,  # the issue asks for the overhead over bare ssh, reported
            description="envaudit scan --targets-file (200 ssh targets, 10 hosts, 1 dead) --jobs 32 -o DIR",
            baseline_description="the same 200 sessions through bare ssh, 32 at a time",
            rounds=5,
            exit_codes=(3,),  # the dead host's targets fail, alone
        )
    ]


def benchmarks() -> list[Benchmark]:
    return [*diff_benchmarks(), *ssh_benchmarks()]
