"""SSH targets and fleets against real sshd instances on loopback."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Runner, require
from tests.support import recipes, sshd

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sshd.Lab]:
    require(sshd.available(), "no sshd/ssh on this machine (make test installs openssh-server as root)")
    lab = sshd.make_lab(tmp_path_factory.mktemp("ssh-lab"))
    # "alpha" has a secret and a thread setting in its environment; "beta" nothing special.
    alpha = lab.start("alpha", env={"DB_PASSWORD": "hunter2-remote", "OMP_NUM_THREADS": "4"})
    beta = lab.start("beta")
    lab.start("unknown")  # never put in known_hosts
    changed = lab.start("changed")
    lab.trust(alpha, beta)
    other_key = lab.root / "other_key"
    sshd.keygen(other_key)
    with lab.known_hosts.open("a") as fh:
        fh.write(changed.known_hosts_line(other_key))  # the host now presents a different key
    yield lab
    lab.stop()


DEMO = Path(__file__).resolve().parents[2] / "fixtures" / "projects" / "imports-demo"


def scan(
    envaudit: Runner, lab: sshd.Lab, *targets: str, extra: tuple[str, ...] = ()
) -> tuple[int, object, str]:
    result = envaudit("scan", *targets, "--format", "json", *lab.client_args(), *extra)
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, json.loads(result.stdout) if result.stdout.strip() else None, result.stderr


def active(snapshot: dict[str, Any]) -> dict[str, str]:
    return {d["canonical_name"]: d["version"] for d in snapshot["distributions"]}


# An independent oracle: what importlib.metadata sees through the same ssh, first on sys.path wins.
ORACLE = (
    "import importlib.metadata as m, json, re\n"
    "seen = {}\n"
    "for d in m.distributions():\n"
    "    n = re.sub(r'[-_.]+', '-', d.metadata['Name']).lower()\n"
    "    seen.setdefault(n, d.version)\n"
    "print(json.dumps({'dists': seen, 'executable': __import__('sys').executable}))\n"
)


def remote_oracle(lab: sshd.Lab, host: sshd.Host) -> dict[str, Any]:
    from envaudit.targets import parse_target
    from envaudit.targets.ssh import SSHOptions, parse_address, ssh_argv

    args = lab.client_args()
    options = SSHOptions(
        options=tuple(args[i + 1] for i in range(len(args)) if args[i] == "--ssh-option"),
        identity=str(lab.user_key),
    )
    argv = ssh_argv(parse_address(parse_target(host.url())), options, "exec python3 -I -")
    proc = subprocess.run(argv, input=ORACLE, capture_output=True, text=True, check=True)
    data: dict[str, Any] = json.loads(proc.stdout)
    return data


def test_remote_python_on_path_lists_its_distributions_exactly(envaudit: Runner, lab: sshd.Lab) -> None:
    host = lab.hosts["alpha"]
    code, snapshot, err = scan(envaudit, lab, host.url())
    assert code == 0, err
    assert isinstance(snapshot, dict)
    oracle = remote_oracle(lab, host)
    assert active(snapshot) == oracle["dists"]
    interp = snapshot["interpreter"]
    assert interp["requested"] == "python3 (the remote's PATH)"
    # The real interpreter, not a shim (root's .bashrc puts pyenv's shims first here, a common case).
    assert interp["executable"] == oracle["executable"]
    assert Path(interp["resolved_executable"]).read_bytes()[:4] == b"\x7fELF"
    env = {v["name"]: v for v in snapshot["environment"]}
    assert env["DB_PASSWORD"]["redacted"] and env["DB_PASSWORD"]["value"] is None
    assert env["OMP_NUM_THREADS"]["relevant"] and env["OMP_NUM_THREADS"]["value"] == "4"
    assert "hunter2-remote" not in json.dumps(snapshot)
    assert snapshot["provenance"]["target_kind"] == "ssh"


def test_runtime_facts_are_the_remote_s_own(envaudit: Runner, lab: sshd.Lab) -> None:
    """--runtime over SSH: the remote environment's thread variables (alpha sets OMP_NUM_THREADS=4),
    and numpy's BLAS in a remote venv, asked there."""
    venv = recipes.pandas_venv("2.2")
    code, snapshot, err = scan(
        envaudit, lab, lab.hosts["alpha"].url(str(venv.python)), extra=("--runtime", "--project", str(DEMO))
    )
    assert code == 0, err
    assert isinstance(snapshot, dict)
    runtime = snapshot["runtime"]
    assert runtime["threads"].get("OMP_NUM_THREADS") == "4" and "OMP_NUM_THREADS" not in os.environ
    openblas = next(lib for lib in runtime["numpy"]["loaded"] if lib["kind"] == "openblas")
    # OpenBLAS obeys OMP_NUM_THREADS when its own variable is unset, up to the CPUs it finds.
    assert openblas["threads"] == min(4, os.cpu_count() or 1)
    pytz = next(m for m in snapshot["imports"]["modules"] if m["module"] == "pytz")
    assert pytz["source"] == "distribution" and pytz["distributions"] == ["pytz"]


def test_remote_python_named_in_the_url(envaudit: Runner, lab: sshd.Lab) -> None:
    venv = recipes.drifted()
    code, snapshot, err = scan(envaudit, lab, lab.hosts["beta"].url(str(venv.python)))
    assert code == 0, err
    assert isinstance(snapshot, dict) and active(snapshot) == venv.pip_list()


def test_fleet_with_a_dead_host_reports_the_others_and_exits_3(
    envaudit: Runner, lab: sshd.Lab, tmp_path: Path
) -> None:
    dead = f"ssh://root@127.0.0.1:{sshd.free_port()}"
    targets = tmp_path / "fleet.txt"
    targets.write_text(
        f"# the fleet\n{lab.hosts['alpha'].url()}\n\n{dead}   # decommissioned?\n{lab.hosts['beta'].url()}\n"
    )
    out = tmp_path / "snapshots"
    result = envaudit(
        "scan",
        "--targets-file",
        str(targets),
        "--jobs",
        "3",
        "-o",
        str(out),
        "--format",
        "json",
        *lab.client_args(),
    )
    assert result.returncode == 3
    assert f"error: {dead}: connection refused by 127.0.0.1:" in result.stderr
    assert len(json.loads(result.stdout)) == 2
    assert len(list(out.glob("*.json"))) == 2


def test_unknown_host_key_is_refused(envaudit: Runner, lab: sshd.Lab) -> None:
    code, _, err = scan(envaudit, lab, lab.hosts["unknown"].url())
    assert code == 3
    assert "unknown host key for 127.0.0.1:" in err and "--accept-new-host-keys" in err


def test_accepting_a_new_host_key_only_when_asked(envaudit: Runner, lab: sshd.Lab, tmp_path: Path) -> None:
    known = tmp_path / "known_hosts"
    known.write_text("")
    host = lab.hosts["unknown"]
    result = envaudit(
        "scan", host.url(), "--format", "json", *lab.client_args(known), "--accept-new-host-keys"
    )
    assert result.returncode == 0, result.stderr
    key = host.host_key.with_suffix(".pub").read_text().split()[1]
    assert key in known.read_text()  # recorded (Debian's ssh hashes the host name, so match the key)


def test_changed_host_key_is_refused_even_with_accept_new(envaudit: Runner, lab: sshd.Lab) -> None:
    code, _, err = scan(envaudit, lab, lab.hosts["changed"].url(), extra=("--accept-new-host-keys",))
    assert code == 3
    assert "has CHANGED since it was recorded in known_hosts" in err


def test_fleet_diff_shows_consensus_and_outliers(envaudit: Runner, lab: sshd.Lab) -> None:
    pinned, drifted = recipes.pinned(), recipes.drifted()
    a1 = lab.hosts["alpha"].url(str(pinned.python))
    a2 = lab.hosts["beta"].url(str(pinned.python))
    b = lab.hosts["beta"].url(str(drifted.python))
    result = envaudit(
        "diff",
        f"a1={a1}",
        f"a2={a2}",
        f"b={b}",
        f"local={pinned.path}",
        "--format",
        "json",
        *lab.client_args(),
    )
    data = json.loads(result.stdout)
    rows = {r["package"]: r for r in data["matrix"]}
    assert rows["attrs"]["consensus"] == "23.2.0" and rows["attrs"]["outliers"] == ["b"]


def test_missing_python_on_the_remote(envaudit: Runner, lab: sshd.Lab) -> None:
    code, _, err = scan(envaudit, lab, lab.hosts["beta"].url("/no/such/python3"))
    assert code == 3 and "no /no/such/python3 on 127.0.0.1:" in err


@pytest.mark.parametrize("target", ["ssh://host:notaport", "ssh://user:pw@host"])
def test_malformed_ssh_targets(envaudit: Runner, target: str) -> None:
    result = envaudit("scan", target)
    assert result.returncode == 2 and result.stderr.startswith("error: target ")
