"""envaudit tried as an attacker would (issue 12): hostile requirements files, targets that leave
processes behind or flood us, forged snapshots and caches, markup and control characters. Each
test runs the real CLI in a real process on real files."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.conftest import ENVAUDIT, Result, Runner
from tests.support import recipes

pytestmark = pytest.mark.integration

CANARY = "canary-7f3e9a1b-do-not-leak"


def one_error_line(result: Result) -> str:
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines and lines[0].startswith("error: "), result.stderr
    return lines[0]


def stand_in_python(path: Path, before: str, python: str | Path = sys.executable) -> Path:
    """An executable that runs shell ``before``, then ``python`` with envaudit's argv: a target
    whose interpreter start-up (a .pth, a wrapper) does something hostile."""
    path.write_text(f'#!/bin/sh\n{before}\nexec {python} "$@"\n')
    path.chmod(0o755)
    return path


def leftovers(marker: str) -> list[str]:
    """Live processes whose command line holds ``marker`` (a sleep duration no one else uses)."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = (cmdline.parent / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue  # it ended while we looked
        if marker in args and state != "Z":  # a zombie is dead, only not yet reaped by its parent
            found.append(args)
    return found


# --- 1. secrets through includes --------------------------------------------------------------------


def test_include_of_proc_environ_never_prints_the_environment(envaudit: Runner, tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("six==1.16.0\n-r /proc/self/environ\n")
    result = envaudit(
        "scan", str(recipes.pinned().path), "--allow-outside-includes", env={"DEPLOY_TOKEN": CANARY}
    )
    assert result.returncode == 2
    assert CANARY not in result.stderr + result.stdout
    assert "requirements.txt:2: /proc/self/environ is a system file" in one_error_line(result)


def project_including_outside(tmp_path: Path, outside: str, requirements: str) -> Path:
    """``tmp_path/project`` whose requirements.txt includes ``../shared.txt`` (holding ``outside``)."""
    project = tmp_path / "project"
    project.mkdir()
    (tmp_path / "shared.txt").write_text(outside)
    (project / "requirements.txt").write_text(requirements + "-r ../shared.txt\n")
    return project


def test_include_outside_the_project_is_refused_unless_allowed(envaudit: Runner, tmp_path: Path) -> None:
    project = project_including_outside(tmp_path, "six==1.16.0\n", "")
    venv = str(recipes.pinned().path)
    refused = envaudit("scan", venv, "--project", str(project))
    assert refused.returncode == 2
    assert "outside the project folder and its repository" in one_error_line(refused)
    assert "--allow-outside-includes" in refused.stderr
    allowed = envaudit(
        "scan", venv, "--project", str(project), "--allow-outside-includes", "--format", "json"
    )
    assert allowed.returncode == 0, allowed.stderr
    assert [r["name"] for r in json.loads(allowed.stdout)["requirements"]] == ["six"]


def test_include_inside_the_repository_is_read(envaudit: Runner, tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()  # the repository root: monorepos share constraints at the top
    (tmp_path / "constraints.txt").write_text("six==1.16.0\n")
    project = tmp_path / "services" / "api"
    project.mkdir(parents=True)
    (project / "requirements.txt").write_text("six\n-c ../../constraints.txt\n")
    result = envaudit("scan", str(recipes.pinned().path), "--project", str(project), "--format", "json")
    assert result.returncode == 0, result.stderr
    assert len(json.loads(result.stdout)["requirements"]) == 2


def test_a_symlinked_requirements_file_cannot_reach_out(envaudit: Runner, tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").symlink_to("/etc/passwd")
    result = envaudit("scan", str(recipes.pinned().path))
    assert result.returncode == 2
    assert "outside the project folder" in one_error_line(result)
    assert "root:" not in result.stderr


def test_fifo_and_huge_includes_are_refused_quickly(envaudit: Runner, tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.txt")  # reading it would wait forever for a writer
    (tmp_path / "huge.txt").write_bytes(b"# padding\n" * (1 << 20))  # 10 MiB
    (tmp_path / "requirements.txt").write_text("-r pipe.txt\n-r huge.txt\n")
    started = time.monotonic()
    result = envaudit("scan", str(recipes.pinned().path))
    assert time.monotonic() - started < 30
    assert result.returncode == 2
    assert "pipe.txt is not a regular file" in result.stderr
    assert "huge.txt is larger than 8 MiB" in result.stderr


def test_a_dotenv_included_by_mistake_echoes_names_only(envaudit: Runner, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(f"API_TOKEN={CANARY}\nDATABASE_URL=postgres://app:{CANARY}@db/prod\n")
    (tmp_path / "requirements.txt").write_text("-r .env\n")
    venv = str(recipes.pinned().path)
    for command in (
        ["scan", venv],
        ["scan", "--format", "json", "-o", "/dev/null"],  # the envaudit-requirements pre-commit hook
        ["diff", venv, venv],
        ["gate", "--baseline", venv, "--target", venv],
    ):
        result = envaudit(*command)
        assert result.returncode == 2, result.stderr
        assert CANARY not in result.stderr + result.stdout
        assert ".env:1: invalid requirement 'API_TOKEN'" in result.stderr


# --- 2. processes left behind, 12. output without end -------------------------------------------


def test_a_background_child_of_a_pth_file_neither_hangs_nor_survives(
    envaudit: Runner, tmp_path: Path
) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = next((venv / "lib").glob("python3*/site-packages"))
    (site / "zz_hostile.pth").write_text('import subprocess; subprocess.Popen(["sleep", "313"])\n')
    started = time.monotonic()
    result = envaudit("scan", str(venv), "--timeout", "60", "--format", "json")
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    assert elapsed < 20, f"waited {elapsed:.1f}s on a child that holds the pipe"
    assert not leftovers("sleep 313")


def test_timeout_kills_the_whole_process_group(envaudit: Runner, tmp_path: Path) -> None:
    python = stand_in_python(tmp_path / "python3", "sleep 314 &\nsleep 315")
    started = time.monotonic()
    result = envaudit("scan", f"python:{python}", "--timeout", "2")
    assert time.monotonic() - started < 15
    assert result.returncode == 3
    assert "timed out after 2s" in one_error_line(result)
    assert not leftovers("sleep 314") and not leftovers("sleep 315")


def test_sigterm_ends_the_run_and_its_children_at_once(tmp_path: Path) -> None:
    python = stand_in_python(tmp_path / "python3", "sleep 316 &\nsleep 317")
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    proc = subprocess.Popen(
        [str(ENVAUDIT), "scan", f"python:{python}", "--timeout", "600"],
        env={**env, "ENVAUDIT_FINGERPRINT_KEY": "x" * 40},
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 20
    while not leftovers("sleep 317") and time.monotonic() < deadline:
        time.sleep(0.1)
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=15)
    assert proc.returncode == 130, stderr
    time.sleep(0.2)
    assert not leftovers("sleep 316") and not leftovers("sleep 317")


def test_output_without_end_is_capped(envaudit: Runner, tmp_path: Path) -> None:
    python = tmp_path / "python3"
    python.write_text("#!/bin/sh\nexec head -c 300000000 /dev/zero\n")  # 300 MB on stdout
    python.chmod(0o755)
    result = envaudit("scan", f"python:{python}", "--timeout", "120")
    assert result.returncode == 3
    assert "printed more than 64 MiB; stopped reading it" in one_error_line(result)


# --- 3. injection through versions and names ----------------------------------------------------


def _saved(envaudit: Runner, tmp_path: Path) -> dict[str, object]:
    saved = tmp_path / "good.json"
    assert envaudit("scan", str(recipes.pinned().path), "-o", str(saved), "--format", "json").returncode == 0
    data: dict[str, object] = json.loads(saved.read_text())
    return data


def test_a_hostile_version_never_reaches_a_constraints_file(envaudit: Runner, tmp_path: Path) -> None:
    data = _saved(envaudit, tmp_path)
    evil = "1.16.0\n--extra-index-url https://evil.example/simple\n--trusted-host evil.example"
    for dist in data["distributions"]:  # type: ignore[attr-defined]
        if dist["name"] == "six":
            dist["version"] = evil
    (tmp_path / "evil.json").write_text(json.dumps(data))
    (tmp_path / "requirements.txt").write_text("six\nattrs\n")
    result = envaudit("pin", "requirements.txt", "--from", "evil.json", "--constraints", "c.txt", "--write")
    assert result.returncode == 1  # six: a conflict, said on one line
    conflict = [line for line in result.stderr.splitlines() if line.startswith("conflict:")]
    assert conflict == [
        "conflict: requirements.txt:1: `six`: evil.json has six at '1.16.0\\n--extra-index-url "
        "https://evil.example/simple\\n--trusted-host evil.example', which is not a PEP 440 version; "
        "pin it by hand"
    ]
    assert not any(line.startswith("--") for line in result.stderr.splitlines())
    constraints = (tmp_path / "c.txt").read_text()
    assert "evil.example" not in constraints
    assert "# six: not a PEP 440 version: not constrained" in constraints
    for line in constraints.splitlines():  # every line is a comment or NAME==VERSION
        assert line.startswith("#") or line.count("==") == 1, line
    assert (tmp_path / "requirements.txt").read_text() == "six\nattrs==23.2.0\n"
    pip = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--dry-run", "--no-index", "-c", "c.txt", "six"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert "evil.example" not in pip.stdout + pip.stderr  # pip, the real client, sees no index option


def test_a_snapshot_with_an_invalid_name_is_refused(envaudit: Runner, tmp_path: Path) -> None:
    data = _saved(envaudit, tmp_path)
    data["distributions"][0]["name"] = "six\n-e git+https://evil.example/x"  # type: ignore[index]
    (tmp_path / "evil.json").write_text(json.dumps(data))
    result = envaudit("scan", "evil.json")
    assert result.returncode == 2
    assert one_error_line(result) == (
        "error: evil.json: not a valid snapshot: distributions[0].name: not a valid distribution name, "
        "or its canonical_name does not match it"
    )


def test_a_live_target_reporting_an_invalid_name_has_it_dropped(envaudit: Runner, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = next((venv / "lib").glob("python3*/site-packages"))
    info = site / "evil-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: evil name; rm -rf /\nVersion: 1.0\n")
    result = envaudit("scan", str(venv), "--format", "json")
    assert result.returncode == 0, result.stderr
    snapshot = json.loads(result.stdout)
    assert all(" " not in d["name"] for d in snapshot["distributions"])
    codes = [(i["code"], i["message"]) for i in snapshot["issues"]]
    assert any(code == "invalid-metadata" and "not a valid name" in message for code, message in codes)


# --- 4. the fingerprint key ----------------------------------------------------------------------


def test_concurrent_first_runs_agree_on_one_full_key(tmp_path: Path) -> None:
    code = (
        "from envaudit.envvars import FingerprintKey; import os; "
        "print(FingerprintKey.load({'XDG_CONFIG_HOME': os.environ['XDG_CONFIG_HOME']}).key_id)"
    )
    for round_ in range(4):  # the race is a matter of timing: several rounds, each from nothing
        home = tmp_path / str(round_)
        env = {**os.environ, "XDG_CONFIG_HOME": str(home)}
        procs = [
            subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, text=True)
            for _ in range(16)
        ]
        ids = {p.communicate(timeout=60)[0].strip() for p in procs}
        assert len(ids) == 1 and not next(iter(ids)).startswith("ephemeral"), ids
        key = home / "envaudit" / "fingerprint-key"
        assert len(key.read_bytes()) == 32 and (key.stat().st_mode & 0o777) == 0o600
        assert [p.name for p in key.parent.iterdir()] == ["fingerprint-key"]  # no temporary file left


def test_a_short_key_is_refused(envaudit: Runner, tmp_path: Path) -> None:
    (tmp_path / "envaudit").mkdir()
    (tmp_path / "envaudit" / "fingerprint-key").write_bytes(b"")
    venv = str(recipes.pinned().path)
    result = envaudit("scan", venv, env={"ENVAUDIT_FINGERPRINT_KEY": "", "XDG_CONFIG_HOME": str(tmp_path)})
    assert result.returncode == 2
    assert "fingerprint-key: holds a 0-byte fingerprint key; it must be at least 32" in one_error_line(result)
    short = envaudit("scan", venv, env={"ENVAUDIT_FINGERPRINT_KEY": "1234"})
    assert short.returncode == 2
    assert "$ENVAUDIT_FINGERPRINT_KEY is 4 bytes long" in one_error_line(short)


# --- 5. static reads: hostile archives and --timeout ------------------------------------------------


def test_a_decompression_bomb_is_held_to_the_timeout(envaudit: Runner, tmp_path: Path) -> None:
    import gzip
    import tarfile

    # One member claiming 3 GiB of zeros: 3 MB of concatenated gzip members (which gzip readers
    # take as one stream), many seconds to inflate and skip.
    header = tarfile.TarInfo("layer/zeros")
    header.size = 3 << 30
    block = gzip.compress(bytes(1 << 20), compresslevel=9)
    path = tmp_path / "bomb.tar.gz"
    with path.open("wb") as out:
        out.write(gzip.compress(header.tobuf(format=tarfile.GNU_FORMAT)))
        for _ in range(3 << 10):
            out.write(block)
    assert path.stat().st_size < 10 << 20
    started = time.monotonic()
    result = envaudit("scan", f"docker-archive:{path}", "--timeout", "2")
    assert time.monotonic() - started < 15
    assert result.returncode == 3
    assert "timed out after 2s reading the image" in one_error_line(result)


def test_a_negative_member_size_is_an_error_not_a_loop(envaudit: Runner, tmp_path: Path) -> None:
    import tarfile

    member = bytearray(tarfile.TarInfo("manifest.json").tobuf(format=tarfile.GNU_FORMAT))
    member[124:136] = b"\xff" + b"\xff" * 10 + b"\x00"  # base-256, negative
    member[148:156] = b" " * 8
    member[148:155] = f"{sum(member):06o}\0".encode()
    (tmp_path / "neg.tar").write_bytes(bytes(member) + bytes(1024) * 8)
    started = time.monotonic()
    result = envaudit("scan", f"docker-archive:{tmp_path / 'neg.tar'}", "--timeout", "30")
    assert time.monotonic() - started < 15
    assert result.returncode == 2
    assert "claims a size of" in one_error_line(result)


# --- 7. the advisory cache -----------------------------------------------------------------------------

ADVISORIES = Path(__file__).resolve().parents[1].parent / "fixtures" / "advisories"


def test_a_forged_advisory_cache_is_never_trusted(envaudit: Runner, tmp_path: Path) -> None:
    db = next(p for p in ADVISORIES.iterdir() if p.is_dir())
    venv = str(recipes.pinned().path)
    env = {"ENVAUDIT_CACHE_DIR": str(tmp_path / "cache")}
    first = envaudit("audit", venv, "--advisory-db", str(db), "--format", "json", env=env)
    caches = list((tmp_path / "cache").glob("advisories-*"))
    assert [p.suffix for p in caches] == [".json"]
    envelope = json.loads(caches[0].read_text())
    payload = json.loads(envelope["payload"])
    payload["advisories"] = []  # the attacker's clean bill, without the key to sign it
    envelope["payload"] = json.dumps(payload)
    caches[0].write_text(json.dumps(envelope))
    again = envaudit("audit", venv, "--advisory-db", str(db), "--format", "json", env=env)
    assert again.returncode == first.returncode
    assert json.loads(again.stdout)["findings"] == json.loads(first.stdout)["findings"]


# --- 8. markup and control characters -----------------------------------------------------------


def _hostile_snapshot(envaudit: Runner, tmp_path: Path) -> Path:
    data = _saved(envaudit, tmp_path)
    interpreter = data["interpreter"]
    interpreter["executable"] = "/srv/[/x]\x1b]0;pwned\x07/bin/python"  # type: ignore[index]
    interpreter["prefix"] = "/srv/[bold]venv[/bold]"  # type: ignore[index]
    for dist in data["distributions"]:  # type: ignore[attr-defined]
        if dist["name"] == "six":
            dist["version"] = "1.0</details><script>alert(1)</script>|\x1b[31m|\x00"
    path = tmp_path / "hostile.json"
    path.write_text(json.dumps(data))
    return path


def test_markup_and_escapes_from_a_target_are_text(envaudit: Runner, tmp_path: Path) -> None:
    hostile = _hostile_snapshot(envaudit, tmp_path)
    (tmp_path / "requirements.txt").write_text("requests[socks]>=2\n")
    result = envaudit("scan", str(hostile), "--project", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout
    assert "/srv/[/x]\\x1b]0;pwned\\x07/bin/python" in result.stdout
    assert "[bold]venv[/bold]" in result.stdout
    assert "requests[socks]>=2" in result.stdout


@pytest.mark.parametrize("fmt", ["text", "markdown", "junit", "sarif", "json"])
def test_every_report_format_holds_hostile_values(envaudit: Runner, tmp_path: Path, fmt: str) -> None:
    hostile = _hostile_snapshot(envaudit, tmp_path)
    result = envaudit("diff", str(tmp_path / "good.json"), str(hostile), "--format", fmt)
    assert result.returncode == 1, result.stderr
    assert "\x1b" not in result.stdout and "\x00" not in result.stdout
    if fmt == "markdown":
        assert "<script>" not in result.stdout and "</details><script>" not in result.stdout
        assert "&lt;script&gt;" in result.stdout
        for row in (line for line in result.stdout.splitlines() if line.startswith("| ")):
            # The | in the version is escaped: findings keep 5 cells, the matrix 4 (package,
            # consensus and two environments).
            assert len(_split_row(row)) in (5, 4), row
    if fmt == "junit":
        ET.fromstring(result.stdout)  # well-formed, control characters and all
    if fmt in ("sarif", "json"):
        json.loads(result.stdout)


def _split_row(row: str) -> list[str]:
    cells, current, escaped = [], "", False
    for char in row.strip()[1:-1]:
        if char == "|" and not escaped:
            cells.append(current)
            current = ""
        else:
            current += char
        escaped = char == "\\" and not escaped
    return [*cells, current]


# --- 9. pin --write against a file that changed ----------------------------------------------------


def test_pin_write_refuses_a_file_changed_during_the_run(envaudit: Runner, tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("six\nattrs\n")
    venv = recipes.pinned()
    # The reference's interpreter rewrites the file while it is being scanned, as an editor would.
    python = stand_in_python(
        tmp_path / "python3", f"printf 'idna\\n' > {tmp_path / 'requirements.txt'}", venv.python
    )
    result = envaudit("pin", "requirements.txt", "--from", f"python:{python}", "--write")
    assert result.returncode == 2, result.stderr
    assert one_error_line(result) == (
        "error: requirements.txt: changed while envaudit was running; nothing was written"
    )
    assert (tmp_path / "requirements.txt").read_text() == "idna\n"


def test_pin_writes_an_allowed_outside_include_and_says_so(envaudit: Runner, tmp_path: Path) -> None:
    project = project_including_outside(tmp_path, "attrs\n", "six\n")
    venv = str(recipes.pinned().path)
    result = envaudit(
        "pin", "requirements.txt", "--from", venv, "--write", "--allow-outside-includes", cwd=project
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "shared.txt").read_text() == "attrs==23.2.0\n"
    assert (project / "requirements.txt").read_text() == "six==1.16.0\n-r ../shared.txt\n"
    assert f"wrote {tmp_path / 'shared.txt'}" in result.stderr
    assert "summary: pinned 2 requirements" in result.stderr


# --- 10. relative interpreter paths ---------------------------------------------------------------


def test_a_relative_interpreter_path_is_the_file_here(envaudit: Runner, tmp_path: Path) -> None:
    venv = recipes.pinned()
    (tmp_path / "python3").symlink_to(venv.python)
    result = envaudit("scan", "python:./python3", "--format", "json")
    assert result.returncode == 0, result.stderr
    snapshot = json.loads(result.stdout)
    assert snapshot["interpreter"]["requested"] == str(tmp_path / "python3")
    assert {d["name"] for d in snapshot["distributions"]} >= {"six", "attrs", "idna"}


# --- 11. bad input at the command line ---------------------------------------------------------------


@pytest.mark.parametrize("value", ["inf", "nan", "1e308", "-1", "abc"])
def test_bad_timeouts_are_usage_errors(envaudit: Runner, value: str) -> None:
    result = envaudit("scan", "local", "--timeout", value)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "--timeout" in result.stderr


def test_bad_output_paths_and_loops_are_one_error_line(envaudit: Runner, tmp_path: Path) -> None:
    saved = tmp_path / "good.json"
    venv = str(recipes.pinned().path)
    assert envaudit("scan", venv, "-o", str(saved)).returncode == 0
    (tmp_path / "folder").mkdir()
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    for output in ("folder", "loop"):
        result = envaudit("diff", str(saved), str(saved), "-o", output)
        assert result.returncode == 2, (output, result.stderr)
        assert output in one_error_line(result)
    scan = envaudit("scan", venv, str(saved), "-o", "loop")
    assert scan.returncode == 2 and "Traceback" not in scan.stderr
    (tmp_path / "requirements.txt").symlink_to(tmp_path / "requirements.txt")
    looped = envaudit("scan", venv)
    assert looped.returncode == 2
    assert "a symbolic link loop" in one_error_line(looped)


def test_a_deeply_nested_snapshot_is_refused(envaudit: Runner, tmp_path: Path) -> None:
    (tmp_path / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    result = envaudit("scan", "deep.json")
    assert result.returncode == 2
    assert one_error_line(result) == "error: deep.json: not a valid snapshot: nested too deeply"


def test_a_huge_snapshot_is_refused_before_it_is_read(envaudit: Runner, tmp_path: Path) -> None:
    with (tmp_path / "huge.json").open("wb") as fh:
        fh.truncate(600 << 20)  # sparse: 600 MiB that cost no disk
    result = envaudit("scan", "huge.json")
    assert result.returncode == 2
    assert one_error_line(result) == "error: huge.json: larger than 512 MiB: not an envaudit snapshot"


@pytest.mark.parametrize(
    ("setting", "problem"),
    [
        ("timeout = -1", "must be more than 0, got -1"),
        ("timeout = nan", "expected a finite number, got nan"),
        ("timeout = 1e300", "must be at most 604800"),
        ("tolerance = -1", "must be 0 or more, got -1"),
    ],
)
def test_bad_probe_settings_are_one_error_line(
    envaudit: Runner, tmp_path: Path, setting: str, problem: str
) -> None:
    (tmp_path / "pyproject.toml").write_text(f"[tool.envaudit.probe]\n{setting}\n")
    result = envaudit("probe", str(recipes.pinned().path))
    assert result.returncode == 2
    assert problem in one_error_line(result)


# --- 2. and 13. user probes that spawn children or swallow their time limit --------------------------

HOSTILE_PROBES = """
import subprocess
import time


def spawns(df):
    subprocess.Popen(["sleep", "318"])  # keeps the runner's stdout open after it exits
    return df


def swallows(df):
    while True:
        try:
            time.sleep(10)
        except Exception:  # an ordinary handler: it must not catch the probe's time limit
            pass
"""


def test_a_user_probe_that_leaves_a_child_behind(envaudit: Runner, tmp_path: Path) -> None:
    from tests.support.recipes import pandas_venv

    (tmp_path / "hostile.py").write_text(HOSTILE_PROBES)
    (tmp_path / "data.csv").write_text("a,b\n1,2\n3,\n")
    python = f"python:{pandas_venv('2.2').path}"
    started = time.monotonic()
    result = envaudit(
        "probe", python, python, "--no-canonical", "--function", "hostile.py:spawns", "--data", "data.csv"
    )
    assert time.monotonic() - started < 60
    assert result.returncode == 0, result.stderr
    assert not leftovers("sleep 318")


def test_a_user_probe_cannot_swallow_its_time_limit(envaudit: Runner, tmp_path: Path) -> None:
    from tests.support.recipes import pandas_venv

    (tmp_path / "hostile.py").write_text(HOSTILE_PROBES)
    (tmp_path / "data.csv").write_text("a,b\n1,2\n3,\n")
    (tmp_path / "pyproject.toml").write_text(
        "[tool.envaudit.probe]\ntimeout = 1\n"
        '[[tool.envaudit.probe.user]]\nfunction = "hostile.py:swallows"\ndata = "data.csv"\n'
    )
    case = "fillna_inplace_chained"
    started = time.monotonic()
    result = envaudit(
        "scan",
        f"python:{pandas_venv('2.2').path}",
        "--probe",
        "--case",
        case,
        "--timeout",
        "120",
        "--format",
        "json",
    )
    assert time.monotonic() - started < 60
    assert result.returncode == 0, result.stderr
    probes = json.loads(result.stdout)["probes"]
    (user,) = probes["user"]
    assert (user["status"], user["error_type"]) == ("timeout", "Timeout")
    assert [c["id"] for c in probes["cases"]] == [case]  # the canonical results are kept


def test_the_done_marker_is_the_same_everywhere() -> None:
    from envaudit.inprocess import probe_runner, scanner
    from envaudit.targets.runner import DONE_MARKER

    assert scanner.DONE.encode() == probe_runner.DONE.encode() == DONE_MARKER


def test_a_remote_child_left_behind_does_not_hold_an_ssh_scan(
    envaudit: Runner, tmp_path_factory: pytest.TempPathFactory
) -> None:
    from tests.conftest import require
    from tests.support import sshd

    require(sshd.available(), "no sshd/ssh on this machine (make test installs openssh-server as root)")
    lab = sshd.make_lab(tmp_path_factory.mktemp("ssh-lab"))
    try:
        host = lab.start("leaky")
        lab.trust(host)
        # The remote interpreter starts a child that keeps the SSH session's stdout open.
        python = stand_in_python(tmp_path_factory.mktemp("remote") / "python3", "sleep 319 &")
        started = time.monotonic()
        result = envaudit(
            "scan", host.url(str(python)), "--timeout", "60", "--format", "json", *lab.client_args()
        )
        elapsed = time.monotonic() - started
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["interpreter"]["version"]
        assert elapsed < 20, f"waited {elapsed:.1f}s for a remote child"
    finally:
        lab.stop()
        subprocess.run(["pkill", "-f", "sleep 319"], check=False)  # the remote host's own orphan
