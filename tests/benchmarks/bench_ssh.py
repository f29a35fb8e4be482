"""Issue 5: scanning 20 loopback hosts with --jobs 20 against scanning one of them; issue 17: eight
interpreters on one host (one connection, one session) against one."""

from __future__ import annotations

import atexit
import shlex
import sys
import tempfile
from pathlib import Path

from tests.benchmarks.harness import Benchmark
from tests.support import sshd

ENVAUDIT = str(Path(sys.executable).parent / "envaudit")
HOSTS = 20
PYENV = Path("/root/.pyenv/versions")


def benchmarks() -> list[Benchmark]:
    if not sshd.available():
        print("#5 ssh benchmark skipped: no sshd (make bench installs openssh-server as root)")
        return []
    lab = sshd.make_lab(Path(tempfile.mkdtemp(prefix="envaudit-bench-ssh-")))
    atexit.register(lab.stop)
    hosts = [lab.start(f"host{i:02d}") for i in range(HOSTS)]
    lab.trust(*hosts)
    common = ["--format", "json", "--env-include", "NONE", *lab.client_args()]
    python = sys.executable  # the same interpreter on every "host", so only the fan-out differs
    # The floor: the same 20 scanner runs through bare ssh, all at once, with nothing of envaudit's.
    from envaudit.targets import parse_target
    from envaudit.targets.ssh import SSHOptions, parse_address, remote_command, ssh_argv

    args = lab.client_args()
    options = SSHOptions(
        options=tuple(args[i + 1] for i, a in enumerate(args) if a == "--ssh-option"),
        identity=str(lab.user_key),
    )
    scanner = Path(__file__).resolve().parents[2] / "envaudit" / "inprocess" / "scanner.py"
    bare = " ".join(
        shlex.join(
            ssh_argv(
                parse_address(parse_target(h.url(python))),
                options,
                remote_command(parse_address(parse_target(h.url(python))), []),
            )
        )
        + f" < {shlex.quote(str(scanner))} > /dev/null &"
        for h in hosts
    )
    pythons = interpreters_here()
    eight = [f"py{i}={hosts[0].url(p)}" for i, p in enumerate(pythons)]  # NAME=: a repeat is a target too
    return [
        Benchmark(
            issue=5,
            name=f"scan of {HOSTS} loopback hosts with --jobs {HOSTS}",
            candidate=[ENVAUDIT, "scan", *(h.url(python) for h in hosts), "--jobs", str(HOSTS), *common],
            baseline=[ENVAUDIT, "scan", hosts[0].url(python), *common],
            bar=3.0,
            description=f"envaudit scan ssh://HOST1 ... ssh://HOST{HOSTS} --jobs {HOSTS}",
            baseline_description="envaudit scan ssh://HOST1",
            cwd=str(lab.root),
            rounds=7,
        ),
        Benchmark(
            issue=5,
            name=f"envaudit's own cost over {HOSTS} bare ssh sessions",
            candidate=[ENVAUDIT, "scan", *(h.url(python) for h in hosts), "--jobs", str(HOSTS), *common],
            baseline=["sh", "-c", f"{bare} wait"],
            bar=None,
            description=f"the same {HOSTS}-host scan",
            baseline_description=f"{HOSTS} bare `ssh HOST python -I - < scanner.py` at once",
            cwd=str(lab.root),
            rounds=7,
        ),
        Benchmark(
            issue=17,
            name="8 interpreters on one SSH host",
            candidate=[ENVAUDIT, "scan", *eight, "--jobs", "8", *common],
            baseline=[ENVAUDIT, "scan", hosts[0].url(python), *common],
            bar=2.0,
            description=f"envaudit scan of 8 interpreters on one host ({len(set(pythons))} distinct)",
            baseline_description="envaudit scan of one of them",
            cwd=str(lab.root),
            rounds=11,
        ),
    ]


def interpreters_here() -> list[str]:
    """Eight interpreters of this machine (pyenv's, the system one, envaudit's), repeated if fewer."""
    found = [
        str(p)
        for v in ("3.9", "3.10", "3.11", "3.12", "3.13")
        for p in sorted(PYENV.glob(f"{v}.*/bin/python{v}"))[-1:]
    ]
    found += [p for p in ("/usr/bin/python3", sys.executable) if Path(p).exists()]
    return [found[i % len(found)] for i in range(8)]
