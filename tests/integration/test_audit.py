"""envaudit audit: real vulnerable venvs, the full advisory database, and loopback services."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml
from packaging.utils import canonicalize_name, canonicalize_version

from tests.conftest import Runner, require
from tests.support import recipes
from tests.support.venvs import FIXTURES

pytestmark = pytest.mark.integration
SHARED_DB = Path(__file__).resolve().parents[3] / "shared" / "advisory-database"


def audit_json(
    envaudit: Runner, *args: str, env: dict[str, str] | None = None
) -> tuple[int, dict[str, Any], str]:
    result = envaudit("audit", *args, "--format", "json", env=env)
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, json.loads(result.stdout) if result.stdout else {}, result.stderr


def test_full_database_finds_exactly_what_the_records_list(envaudit: Runner, tmp_path: Path) -> None:
    require(SHARED_DB.is_dir(), f"the PyPA advisory database snapshot is not at {SHARED_DB}")
    venv = recipes.vulnerable()
    installed = venv.pip_list()
    cache = {"ENVAUDIT_CACHE_DIR": str(tmp_path / "cache")}
    code, data, _ = audit_json(envaudit, str(venv.path), "--advisory-db", str(SHARED_DB), env=cache)
    assert code == 1
    found: dict[str, set[str]] = {}
    for f in data["findings"]:
        assert f["rule"] == "EA701", f
        found.setdefault(f["subject"], set()).update(
            {f["details"]["id"], *filter(None, f["details"]["aliases"].split(","))}
        )
    # An independent oracle: every PyPA record lists the versions it affects explicitly.
    expected: dict[str, set[str]] = {}
    for name, version in installed.items():
        for path in (
            sorted((SHARED_DB / "vulns" / name).glob("*.yaml"))
            if (SHARED_DB / "vulns" / name).is_dir()
            else []
        ):
            record = yaml.safe_load(path.read_text())
            if record.get("withdrawn"):
                continue
            for affected in record.get("affected", []):
                listed = {canonicalize_version(str(v)) for v in affected.get("versions", [])}
                if (
                    canonicalize_name(affected["package"]["name"]) == name
                    and canonicalize_version(version) in listed
                ):
                    expected.setdefault(name, set()).add(record["id"])
    assert set(found) == set(expected), (found, expected)
    for name, ids in expected.items():
        assert ids <= found[name]
    requests = [
        f for f in data["findings"] if f["subject"] == "requests" and f["details"]["id"] == "PYSEC-2018-28"
    ]
    assert requests and requests[0]["details"]["fix"] == "2.20.0"
    assert "CVE-2018-18074" in requests[0]["details"]["aliases"]
    again = envaudit("audit", str(venv.path), "--advisory-db", str(SHARED_DB), "--format", "json", env=cache)
    assert json.loads(again.stdout)["findings"] == data["findings"]  # the cached index answers the same


def test_clean_environment_passes(envaudit: Runner, tmp_path: Path) -> None:
    code, data, _ = audit_json(
        envaudit,
        str(recipes.pinned().path),
        "--advisory-db",
        str(FIXTURES / "advisories" / "osv"),
        env={"ENVAUDIT_CACHE_DIR": str(tmp_path)},
    )
    assert code == 0 and data["findings"] == []


def test_saved_snapshot_and_text_report(envaudit: Runner, tmp_path: Path) -> None:
    venv = recipes.vulnerable()
    assert envaudit("scan", str(venv.path), "-o", "vuln.json").returncode == 0
    result = envaudit(
        "audit",
        "prod=vuln.json",
        "--advisory-db",
        str(FIXTURES / "advisories" / "osv"),
        env={"ENVAUDIT_CACHE_DIR": str(tmp_path / "c")},
    )
    assert result.returncode == 1
    assert (
        "requests 2.19.1: PYSEC-2018-28 (CVE-2018-18074, GHSA-x84v-xcm2-53pg), fixed in 2.20.0"
        in result.stdout.replace("\n                ", " ")
    )
    assert result.stdout.strip().splitlines()[-1].startswith("summary: ")


def test_missing_database_is_bad_input(envaudit: Runner, tmp_path: Path) -> None:
    result = envaudit("audit", "--advisory-db", str(tmp_path / "nope"))
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: {tmp_path / 'nope'}: no such advisory database")


# --- online, against loopback services ----------------------------------------------------------------

PYPI_ANSWERS: dict[tuple[str, str], Any] = {
    ("requests", "2.19.1"): {
        "info": {},
        "vulnerabilities": [
            {
                "id": "PYSEC-2018-28",
                "aliases": ["CVE-2018-18074"],
                "details": "credentials leak on redirect",
                "fixed_in": ["2.20.0"],
                "withdrawn": None,
            },
            {
                "id": "PYSEC-0000-0",
                "aliases": [],
                "details": "withdrawn",
                "fixed_in": ["9"],
                "withdrawn": "2020-01-01",
            },
        ],
    },
    ("jinja2", "2.10"): 500,
    ("idna", "2.7"): "slow",
    ("six", "1.16.0"): {"info": {}, "vulnerabilities": []},
    # urllib3 is absent: 404, as PyPI answers for what it does not know
}


class PyPIHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        parts = self.path.strip("/").split("/")  # pypi/NAME/VERSION/json
        answer = PYPI_ANSWERS.get((parts[1], parts[2])) if len(parts) == 4 else None
        if answer == "slow":
            time.sleep(3)
            answer = {"info": {}, "vulnerabilities": []}
        if answer is None or isinstance(answer, int):
            self.send_response(answer or 404)
            self.end_headers()
            return
        body = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def _rfc3339(value: Any) -> str:
    """OSV's timestamps, which YAML loads as datetimes, in the form the real service sends."""
    return str(value.strftime("%Y-%m-%dT%H:%M:%S.%fZ"))


class OSVHandler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        query = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        name, version = query["package"]["name"], query["version"]
        vulns = []
        for path in (FIXTURES / "advisories" / "osv" / "vulns" / name).glob("*.yaml") if name else []:
            record = yaml.safe_load(path.read_text())
            listed = {
                canonicalize_version(str(v))
                for a in record.get("affected", [])
                for v in a.get("versions", [])
            }
            if canonicalize_version(version) in listed:
                vulns.append(record)
        body = json.dumps({"vulns": vulns} if vulns else {}, default=_rfc3339).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def server(request: pytest.FixtureRequest) -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), request.param)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.mark.parametrize("server", [PyPIHandler], indirect=True)
def test_pypi_service_unknown_is_not_clean(envaudit: Runner, tmp_path: Path, server: str) -> None:
    venv = recipes.vulnerable()
    args = (str(venv.path), "--service", "pypi", "--service-url", f"{server}/pypi", "--service-timeout", "1")
    code, data, _ = audit_json(envaudit, *args, env={"ENVAUDIT_CACHE_DIR": str(tmp_path)})
    assert code == 1
    vulns = [f for f in data["findings"] if f["rule"] == "EA701"]
    assert [(f["subject"], f["details"]["id"], f["details"]["fix"]) for f in vulns] == [
        ("requests", "PYSEC-2018-28", "2.20.0")
    ]
    unchecked = {f["subject"]: f["details"]["reason"] for f in data["findings"] if f["rule"] == "EA702"}
    assert set(unchecked) == {"urllib3", "jinja2", "idna"}
    assert "not found on PyPI" in unchecked["urllib3"]
    assert unchecked["idna"].startswith("timed out")
    assert "\n" not in "".join(unchecked.values())
    assert data["summary"]["not checked"] == "3"
    assert all(f["severity"] == "info" for f in data["findings"] if f["rule"] == "EA702")


@pytest.mark.parametrize("server", [PyPIHandler], indirect=True)
def test_strict_fails_on_what_could_not_be_checked(envaudit: Runner, tmp_path: Path, server: str) -> None:
    (tmp_path / "six-only").mkdir()
    snapshot = envaudit("scan", str(recipes.vulnerable().path), "--format", "json").stdout
    data = json.loads(snapshot)
    data["distributions"] = [d for d in data["distributions"] if d["name"] in ("six", "urllib3")]
    (tmp_path / "two.json").write_text(json.dumps(data))
    base = ("two.json", "--service", "pypi", "--service-url", f"{server}/pypi")
    env = {"ENVAUDIT_CACHE_DIR": str(tmp_path / "cache")}
    assert envaudit("audit", *base, env=env).returncode == 0  # nothing known to be vulnerable...
    strict = envaudit("audit", *base, "--strict", "--format", "json", env=env)
    assert strict.returncode == 1  # ...but urllib3 could not be checked
    assert [f["severity"] for f in json.loads(strict.stdout)["findings"]] == ["error"]


@pytest.mark.parametrize("server", [OSVHandler], indirect=True)
def test_osv_service(envaudit: Runner, tmp_path: Path, server: str) -> None:
    venv = recipes.vulnerable()
    code, data, _ = audit_json(
        envaudit,
        str(venv.path),
        "--service",
        "osv",
        "--service-url",
        f"{server}/v1/query",
        env={"ENVAUDIT_CACHE_DIR": str(tmp_path)},
    )
    assert code == 1
    ids = {(f["subject"], f["details"]["id"]) for f in data["findings"] if f["rule"] == "EA701"}
    assert ("requests", "PYSEC-2018-28") in ids and ("urllib3", "PYSEC-2019-132") in ids


def test_unreachable_service_is_one_line_per_package(envaudit: Runner, tmp_path: Path) -> None:
    snapshot = json.loads(envaudit("scan", str(recipes.pinned().path), "--format", "json").stdout)
    snapshot["distributions"] = snapshot["distributions"][:2]
    (tmp_path / "two.json").write_text(json.dumps(snapshot))
    code, data, _ = audit_json(
        envaudit,
        "two.json",
        "--service",
        "osv",
        "--service-url",
        "http://127.0.0.1:9/v1/query",
        "--service-timeout",
        "2",
        env={"ENVAUDIT_CACHE_DIR": str(tmp_path / "c")},
    )
    assert code == 0
    reasons = [f["details"]["reason"] for f in data["findings"]]
    assert len(reasons) == 2 and all("\n" not in r and r for r in reasons)


GATE_AUDIT = """\
[tool.envaudit.gate]
baseline = "base.json"
target = "base.json"
audit = true

[tool.envaudit.audit]
advisory_db = "{db}"

[[tool.envaudit.gate.ignore]]
id = "CVE-2018-18074"
reason = "credentials are never sent cross-host here"
expires = 2999-01-01
"""


def test_gate_fails_on_vulnerabilities_and_honours_ignores_by_alias(envaudit: Runner, tmp_path: Path) -> None:
    assert envaudit("scan", str(recipes.vulnerable().path), "-o", "base.json").returncode == 0
    (tmp_path / "pyproject.toml").write_text(GATE_AUDIT.format(db=FIXTURES / "advisories" / "osv"))
    result = envaudit("gate", "--format", "json", env={"ENVAUDIT_CACHE_DIR": str(tmp_path / "c")})
    assert result.returncode == 1, result.stderr
    verdict = json.loads(result.stdout)["verdict"]
    failing = {f["details"]["id"] for f in verdict["failing"]}
    assert "PYSEC-2018-28" not in failing and "PYSEC-2023-74" in failing
    assert any(s["finding"]["details"]["id"] == "PYSEC-2018-28" for s in verdict["suppressed"])


# --- pip-audit's habits: -r FILE, --ignore-vuln, --desc ----------------------------------------------


def audit_file(envaudit: Runner, tmp_path: Path, *flags: str) -> tuple[int, dict[str, Any]]:
    (tmp_path / "requirements.txt").write_text("requests==2.19.0  # pinned\nsix>=1.0\n")
    db = FIXTURES / "advisories"
    result = envaudit("audit", "-r", "requirements.txt", "--advisory-db", str(db), "--format", "json", *flags)
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, json.loads(result.stdout)


def test_a_requirements_file_is_audited_by_its_exact_pins(envaudit: Runner, tmp_path: Path) -> None:
    code, report = audit_file(envaudit, tmp_path)
    assert code == 1
    vulns = [f for f in report["findings"] if f["rule"] == "EA701"]
    assert {f["details"]["id"] for f in vulns} == {"PYSEC-2018-28", "PYSEC-2023-74"}
    assert all(f["location"] == {"path": "requirements.txt", "line": 1} for f in vulns)
    (loose,) = [f for f in report["findings"] if f["rule"] == "EA702"]
    assert loose["subject"] == "six" and "not pinned to one version" in loose["message"]
    assert report["environments"][0]["python"] == "the file's exact pins, no environment"


def test_ignore_vuln_takes_an_id_or_an_alias(envaudit: Runner, tmp_path: Path) -> None:
    code, report = audit_file(
        envaudit, tmp_path, "--ignore-vuln", "CVE-2018-18074", "--ignore-vuln", "PYSEC-2023-74"
    )
    assert code == 0  # what is left (six, not pinned) is info unless --strict
    assert not [f for f in report["findings"] if f["rule"] == "EA701"]
    code, _ = audit_file(
        envaudit, tmp_path, "--ignore-vuln", "CVE-2018-18074", "--ignore-vuln", "PYSEC-2023-74", "--strict"
    )
    assert code == 1


def test_desc_gives_the_whole_summary(envaudit: Runner, tmp_path: Path) -> None:
    _, short = audit_file(envaudit, tmp_path)
    _, described = audit_file(envaudit, tmp_path, "--desc")
    first = {f["details"]["id"]: f["message"] for f in short["findings"] if f["rule"] == "EA701"}
    whole = {f["details"]["id"]: f["message"] for f in described["findings"] if f["rule"] == "EA701"}
    assert all(whole[i].startswith(first[i].rstrip(".")[:40]) for i in first)
    assert any(len(whole[i]) > len(first[i]) for i in first)


def test_a_bad_requirements_file_is_exit_2(envaudit: Runner, tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("requests==1.0 junk\n")
    result = envaudit("audit", "-r", "requirements.txt", "--advisory-db", str(FIXTURES / "advisories"))
    assert result.returncode == 2 and "requirements.txt" in result.stderr and "Traceback" not in result.stderr


def test_a_terminal_sees_a_spinner_while_the_index_is_built(tmp_path: Path) -> None:
    import os
    import pty
    import subprocess
    import sys

    (tmp_path / "requirements.txt").write_text("requests==2.19.0\n")
    env = {**os.environ, "ENVAUDIT_CACHE_DIR": str(tmp_path / "cache"), "TERM": "xterm", "COLUMNS": "100"}
    env["ENVAUDIT_FINGERPRINT_KEY"] = "envaudit-tests-fingerprint-key-0123456789"
    parent, child = pty.openpty()  # stderr is a terminal; stdout stays a pipe
    envaudit = Path(sys.executable).parent / "envaudit"
    db = FIXTURES / "advisories"
    proc = subprocess.run(
        [str(envaudit), "audit", "-r", "requirements.txt", "--advisory-db", str(db), "--format", "json"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=child,
        env=env,
        timeout=120,
        check=False,
    )
    os.close(child)
    seen = b""
    while True:
        try:
            chunk = os.read(parent, 65536)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    os.close(parent)
    assert proc.returncode == 1 and json.loads(proc.stdout)["findings"]
    assert b"auditing: reading the advisory database" in seen


def test_fix_proposes_and_writes_the_smallest_pin_that_removes_what_was_found(
    envaudit: Runner, tmp_path: Path
) -> None:
    req = tmp_path / "requirements.txt"
    text = "# the app\nrequests==2.19.0  # pinned in 2018\nsix>=1.0\n"
    req.write_text(text)
    db = str(FIXTURES / "advisories")
    proposed = envaudit("audit", "-r", "requirements.txt", "--advisory-db", db, "--fix", "--format", "json")
    assert proposed.returncode == 1 and json.loads(proposed.stdout)["findings"]  # the report, unchanged
    assert "+requests==2.31.0  # pinned in 2018" in proposed.stderr  # the highest of the two fixes
    assert req.read_text() == text  # only proposed
    written = envaudit("audit", "-r", "requirements.txt", "--advisory-db", db, "--fix", "--write")
    assert "wrote requirements.txt" in written.stderr
    assert req.read_text() == text.replace("2.19.0", "2.31.0")  # every other byte kept
    after = envaudit("audit", "-r", "requirements.txt", "--advisory-db", db)
    assert after.returncode == 0, after.stdout


def test_fix_needs_a_file(envaudit: Runner) -> None:
    result = envaudit("audit", "local", "--fix")
    assert result.returncode == 2 and "--fix edits a requirements file: name it with -r FILE" in result.stderr


def test_fix_of_a_hashed_pin_drops_the_old_hashes_and_says_so(envaudit: Runner, tmp_path: Path) -> None:
    req = tmp_path / "requirements.txt"
    req.write_text("requests==2.19.0 \\\n    --hash=sha256:" + "0" * 64 + "\n")
    db = str(FIXTURES / "advisories")
    result = envaudit("audit", "-r", "requirements.txt", "--advisory-db", db, "--fix", "--write")
    assert "wrote requirements.txt" in result.stderr and "regenerate them for 2.31.0" in result.stderr
    assert req.read_text() == "requests==2.31.0\n"
