"""A fleet over SSH: 200 targets from a targets file on 10 loopback sshd hosts with --jobs 32, one
of the hosts dead. The run completes, every reachable target's snapshot is saved, the dead host's
targets fail alone (exit 3), and --progress plain writes one line per target."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import Runner, require
from tests.integration.test_ssh_sharing import accepted, interpreters, private_tmp
from tests.support import sshd

pytestmark = pytest.mark.integration

HOSTS = 10
PER_HOST = 20


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sshd.Lab]:
    require(sshd.available(), "no sshd/ssh on this machine (make test installs openssh-server as root)")
    lab = sshd.make_lab(tmp_path_factory.mktemp("ssh-fleet"))
    lab.trust(*(lab.start(f"web-{i:02d}", log_level="VERBOSE") for i in range(1, HOSTS + 1)))
    yield lab
    lab.stop()


def fleet_targets(lab: sshd.Lab, dead_port: int) -> tuple[list[str], list[str]]:
    """PER_HOST targets on each host (this machine's interpreters, again and again under new
    names), the last host replaced by a port nothing listens on. Returns (lines, dead names)."""
    pythons = interpreters()
    lines, dead = [], []
    hosts = sorted(lab.hosts.values(), key=lambda h: h.name)
    for h, host in enumerate(hosts):
        for t in range(PER_HOST):
            name = f"{host.name}-py{t:02d}"
            url = host.url(pythons[t % len(pythons)])
            if h == len(hosts) - 1:
                url = url.replace(f":{host.port}/", f":{dead_port}/")
                dead.append(name)
            lines.append(f"{name}={url}")
    return lines, dead


def test_two_hundred_targets_on_ten_hosts_one_dead(envaudit: Runner, lab: sshd.Lab, tmp_path: Path) -> None:
    dead_port = sshd.free_port()
    lines, dead = fleet_targets(lab, dead_port)
    assert len(lines) == HOSTS * PER_HOST
    targets = tmp_path / "fleet.txt"
    targets.write_text("# the fleet\n" + "\n".join(lines) + "\n")
    out = tmp_path / "snapshots"
    before = {name: accepted(lab, name) for name in lab.hosts}
    env = private_tmp(tmp_path)
    result = envaudit(
        "scan",
        "--targets-file",
        str(targets),
        "--jobs",
        "32",
        "-o",
        str(out),
        "--format",
        "json",
        "--progress",
        "plain",
        "--env-include",
        "NONE",
        *lab.client_args(),
        env=env,
    )
    assert result.returncode == 3, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    saved = sorted(p.stem for p in out.glob("*.json"))
    alive = [line.split("=", 1)[0] for line in lines if line.split("=", 1)[0] not in dead]
    assert saved == sorted(alive)  # every reachable target's snapshot, and no other
    for name in alive[:: PER_HOST // 2]:
        assert json.loads((out / f"{name}.json").read_text())["schema_version"] == 1
    # One line per target as it finished, the dead host's each a failure naming it.
    progress = [line for line in result.stderr.splitlines() if re.match(r"\[\s*\d+/200\] ", line)]
    assert len(progress) == 200
    failed = [line for line in progress if " FAILED " in line]
    assert sorted(re.search(r"FAILED (\S+)", line)[1] for line in failed) == sorted(dead)  # type: ignore[index]
    assert all(f":{dead_port}" in line or "127.0.0.1" in line for line in failed)
    # Each live host was connected to once, for all of its targets.
    live_hosts = sorted(lab.hosts)[: HOSTS - 1]
    assert {name: accepted(lab, name) - before[name] for name in live_hosts} == dict.fromkeys(live_hosts, 1)
    # Nothing left behind: no master connection, no socket folder.
    assert not list(Path(env["TMPDIR"]).glob("envaudit-ssh-*"))
