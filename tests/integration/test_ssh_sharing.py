"""Several targets on one SSH host share one connection (OpenSSH ControlMaster), counted by the
real sshd's own log; the master and its private socket folder are gone after the run, after a
failure and after Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ENVAUDIT, Runner, require
from tests.support import sshd

pytestmark = pytest.mark.integration

PYENV = Path("/root/.pyenv/versions")


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sshd.Lab]:
    require(sshd.available(), "no sshd/ssh on this machine (make test installs openssh-server as root)")
    lab = sshd.make_lab(tmp_path_factory.mktemp("ssh-sharing"))
    lab.trust(lab.start("shared", log_level="VERBOSE"), lab.start("other", log_level="VERBOSE"))
    # A host whose mktemp cannot make a folder: one session per target, as before batching.
    lab.trust(lab.start("no-tmp", log_level="VERBOSE", env={"TMPDIR": "/nonexistent/tmp"}))
    lab.start("nobody-trusts")  # never put in known_hosts
    yield lab
    lab.stop()


def accepted(lab: sshd.Lab, name: str) -> int:
    """How many times this sshd authenticated a client (one per connection)."""
    return (lab.root / name / "sshd.log").read_text(errors="replace").count("Accepted publickey")


def interpreters() -> list[str]:
    """Several interpreters of this machine (its pyenv versions, the system one, envaudit's)."""
    found = [
        str(sorted(PYENV.glob(f"{v}.*/bin/python{v}"))[-1])
        for v in ("3.9", "3.10", "3.11", "3.12", "3.13")
        if list(PYENV.glob(f"{v}.*/bin/python{v}"))
    ]
    found += [p for p in ("/usr/bin/python3", sys.executable) if Path(p).exists()]
    return found


def private_tmp(tmp_path: Path) -> dict[str, str]:
    """A $TMPDIR of this test's own, short enough for a socket path (a long one gets /tmp)."""
    import tempfile

    return {"TMPDIR": tempfile.mkdtemp(prefix="ea-", dir="/tmp")}


def leftovers(env: dict[str, str]) -> list[str]:
    folders = list(Path(env["TMPDIR"]).glob("envaudit-ssh-*"))
    masters = subprocess.run(
        ["pgrep", "-f", f"ControlPath={env['TMPDIR']}"], check=False, capture_output=True, text=True
    ).stdout
    return [str(f) for f in folders] + masters.split()


def test_several_interpreters_on_one_host_share_one_connection(
    envaudit: Runner, lab: sshd.Lab, tmp_path: Path
) -> None:
    pythons = interpreters()
    require(len(pythons) >= 4, "fewer than 4 interpreters on this machine")
    host, other = lab.hosts["shared"], lab.hosts["other"]
    before, before_other = accepted(lab, "shared"), accepted(lab, "other")
    env = private_tmp(tmp_path)
    targets = [f"py{i}={host.url(p)}" for i, p in enumerate(pythons)] + [f"alone={other.url()}"]
    result = envaudit("scan", *targets, "--format", "json", *lab.client_args(), env=env)
    assert result.returncode == 0, result.stderr
    snapshots = json.loads(result.stdout)
    assert [s["interpreter"]["requested"] for s in snapshots[: len(pythons)]] == pythons
    assert accepted(lab, "shared") - before == 1  # one key exchange and authentication for all of them
    assert accepted(lab, "other") - before_other == 1  # a host with one target: reached directly
    assert leftovers(env) == []  # the master told to exit, its socket folder removed


def test_a_host_that_refuses_fails_all_its_targets_with_one_explanation(
    envaudit: Runner, lab: sshd.Lab, tmp_path: Path
) -> None:
    host = lab.hosts["nobody-trusts"]
    env = private_tmp(tmp_path)
    start = time.monotonic()
    result = envaudit(
        "scan",
        f"a={host.url()}",
        f"b={host.url('/usr/bin/python3')}",
        f"ok={lab.hosts['other'].url()}",
        *lab.client_args(),
        env=env,
    )
    assert result.returncode == 3
    assert result.stderr.count("unknown host key") == 2, result.stderr
    assert "ok" in result.stdout and time.monotonic() - start < 30
    assert leftovers(env) == []


def test_ctrl_c_leaves_no_master_behind(lab: sshd.Lab, tmp_path: Path) -> None:
    slow = tmp_path / "slow-python"
    slow.write_text('#!/bin/sh\nsleep 30\nexec python3 "$@"\n')
    slow.chmod(0o755)
    env = {**os.environ, **private_tmp(tmp_path)}
    host = lab.hosts["shared"]
    proc = subprocess.Popen(
        [ENVAUDIT, "scan", f"a={host.url(str(slow))}", f"b={host.url(str(slow))}", *lab.client_args()],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not list(Path(env["TMPDIR"]).glob("envaudit-ssh-*/m*")):
        time.sleep(0.05)
    assert list(Path(env["TMPDIR"]).glob("envaudit-ssh-*/m*")), "the master never came up"
    time.sleep(0.5)  # the sessions are running through it now
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode != 0 and b"Traceback" not in stderr
    assert leftovers({"TMPDIR": env["TMPDIR"]}) == []


def sessions(lab: sshd.Lab, name: str) -> int:
    """How many sessions this sshd started (one per command run, however many per connection)."""
    return (lab.root / name / "sshd.log").read_text(errors="replace").count("Starting session")


def comparable(snapshot: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in snapshot.items() if k != "provenance"}


def test_a_host_s_interpreters_are_scanned_in_one_session_as_if_alone(
    envaudit: Runner, lab: sshd.Lab, tmp_path: Path
) -> None:
    pythons = interpreters()
    host = lab.hosts["shared"]
    env = private_tmp(tmp_path)
    before = sessions(lab, "shared")
    targets = [f"py{i}={host.url(p)}" for i, p in enumerate(pythons)]
    result = envaudit("scan", *targets, "--format", "json", *lab.client_args(), env=env)
    assert result.returncode == 0, result.stderr
    assert sessions(lab, "shared") - before == 1  # every interpreter's scan in one session
    together = json.loads(result.stdout)
    for python, snapshot in zip(pythons[:3], together, strict=False):
        alone = envaudit("scan", host.url(python), "--format", "json", *lab.client_args(), env=env)
        assert alone.returncode == 0, alone.stderr
        assert comparable(json.loads(alone.stdout)) == comparable(snapshot)


def test_in_one_session_a_missing_or_hanging_interpreter_fails_alone(
    envaudit: Runner, lab: sshd.Lab, tmp_path: Path
) -> None:
    hang = tmp_path / "hangs"
    hang.write_text("#!/bin/sh\nexec sleep 600\n")
    hang.chmod(0o755)
    host = lab.hosts["shared"]
    env = private_tmp(tmp_path)
    targets = [
        f"good={host.url(sys.executable)}",
        f"missing={host.url('/nonexistent/python3')}",
        f"hangs={host.url(str(hang))}",
    ]
    started = time.monotonic()
    result = envaudit(
        "scan",
        *targets,
        "--format",
        "json",
        "--timeout",
        "6",
        "--progress",
        "plain",
        *lab.client_args(),
        env=env,
    )
    assert time.monotonic() - started < 30
    assert result.returncode == 3
    (good,) = json.loads(result.stdout)
    assert good["interpreter"]["requested"] == sys.executable
    failed = [line for line in result.stderr.splitlines() if " FAILED " in line]
    assert any(
        line.split()[2] == "missing" and "no /nonexistent/python3 on 127.0.0.1" in line for line in failed
    )
    assert any(line.split()[2] == "hangs" and "timed out" in line for line in failed)
    assert not leftovers(env)
    remaining = subprocess.run(["pgrep", "-f", str(hang)], check=False, capture_output=True, text=True).stdout
    assert remaining.strip() == ""  # the hanging interpreter was killed on the host too


def test_a_host_without_a_temporary_folder_gets_a_session_per_target(
    envaudit: Runner, lab: sshd.Lab, tmp_path: Path
) -> None:
    host = lab.hosts["no-tmp"]
    pythons = interpreters()[:3]
    before = sessions(lab, "no-tmp")
    targets = [f"py{i}={host.url(p)}" for i, p in enumerate(pythons)]
    result = envaudit("scan", *targets, "--format", "json", *lab.client_args(), env=private_tmp(tmp_path))
    assert result.returncode == 0, result.stderr
    assert [s["interpreter"]["requested"] for s in json.loads(result.stdout)] == pythons
    assert sessions(lab, "no-tmp") - before == 1 + len(pythons)  # the batch that could not, then each
