"""Scans of real venvs built by the tests, compared with what pip itself reports."""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Runner, require
from tests.support import recipes
from tests.support.venvs import FIXTURES, Venv, base_python

pytestmark = pytest.mark.integration
GOLDEN = FIXTURES / "golden"


def scan_json(
    envaudit: Runner, target: str, *extra: str, env: dict[str, str] | None = None
) -> dict[str, Any]:
    result = envaudit("scan", target, "--format", "json", *extra, env=env)
    assert result.returncode == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def active(snapshot: dict[str, Any]) -> dict[str, str]:
    return {d["canonical_name"]: d["version"] for d in snapshot["distributions"]}


@pytest.mark.parametrize("recipe", ["pinned", "origins", "system_site"])
def test_lists_exactly_what_pip_lists(envaudit: Runner, recipe: str) -> None:
    venv: Venv = getattr(recipes, recipe)()
    snapshot = scan_json(envaudit, f"python:{venv.python}")
    assert active(snapshot) == venv.pip_list()


def test_venv_folder_and_interpreter_facts(envaudit: Runner) -> None:
    venv = recipes.pinned()
    snapshot = scan_json(envaudit, str(venv.path))
    interp = snapshot["interpreter"]
    assert interp["is_venv"] is True
    assert interp["prefix"] == str(venv.path)
    assert interp["executable"] == str(venv.path / "bin" / "python3")
    assert interp["resolved_executable"] == os.path.realpath(base_python())
    assert interp["libc"] == "glibc" and re.fullmatch(r"\d+\.\d+", interp["libc_version"])
    assert interp["markers"]["python_full_version"] == interp["version"]
    assert str(venv.site_packages) in interp["sys_path"]


def test_origins_editable_vcs_index_and_shadowed(envaudit: Runner) -> None:
    venv = recipes.origins()
    snapshot = scan_json(envaudit, f"python:{venv.python}")
    by_name = {d["canonical_name"]: d for d in snapshot["distributions"]}
    assert by_name["editable-demo"]["origin"]["kind"] == "editable"
    vcs = by_name["vcs-demo"]["origin"]
    _, commit = recipes.git_repo_of("vcs_demo")
    assert (vcs["kind"], vcs["vcs"], vcs["commit"]) == ("vcs", "git", commit)
    assert by_name["six"]["origin"]["kind"] == "index" and by_name["six"]["installer"] == "pip"
    shadowed = {(d["canonical_name"], d["version"]) for d in snapshot["shadowed"]}
    assert ("six", "1.15.0") in shadowed
    six_copy = next(d for d in snapshot["shadowed"] if d["canonical_name"] == "six")
    assert six_copy["shadowed_by"] == str(venv.site_packages)
    assert six_copy["location"] == str(venv.path / "extra-site")


def test_egg_info_folded_and_corrupt_metadata(envaudit: Runner) -> None:
    venv = recipes.broken_metadata()
    snapshot = scan_json(envaudit, f"python:{venv.python}")
    by_name = {d["canonical_name"]: d for d in snapshot["distributions"]}
    legacy = by_name["legacy-egg"]
    assert (legacy["version"], legacy["metadata_format"]) == ("1.2", "egg-info")
    assert 'ujson; extra == "speedups"' in legacy["requires_dist"]
    assert by_name["flatfile"]["version"] == "0.9"
    assert by_name["folded-headers"]["requires_python"] == ">=3.8, <4"
    issues = {(i["code"], Path(i["path"]).parent.name) for i in snapshot["issues"]}
    assert issues == {
        ("corrupt-metadata", "corrupt_utf8-1.0.dist-info"),
        ("incomplete-metadata", "no_version-3.1.dist-info"),
    }
    assert "no-version" not in by_name  # no version made up from the folder name
    assert by_name["six"]["version"] == "1.16.0"  # the scan went on past the broken ones


def test_system_site_packages_are_seen_and_the_venv_copy_wins(envaudit: Runner) -> None:
    venv = recipes.system_site()
    snapshot = scan_json(envaudit, f"python:{venv.python}")
    locations = {d["location"] for d in snapshot["distributions"]}
    assert str(venv.site_packages) in locations
    # The base's own distributions are active where the venv lacks them (setuptools, before Python
    # 3.12) and shadowed where it has a copy (pip): either way, the base site-packages was read.
    seen = locations | {d["location"] for d in snapshot["shadowed"]}
    assert any(loc != str(venv.site_packages) for loc in seen), "base site-packages not scanned"
    pip_copies = [d for d in snapshot["shadowed"] if d["canonical_name"] == "pip"]
    assert all(d["shadowed_by"] == str(venv.site_packages) for d in pip_copies)


def test_runs_on_python_3_8(envaudit: Runner) -> None:
    # The real binary, not a pyenv shim: a shim for a non-global version refuses to run.
    candidates = sorted(Path("/root/.pyenv/versions").glob("3.8.*/bin/python3.8")) + [
        Path(p) for p in ("/usr/bin/python3.8", "/usr/local/bin/python3.8") if Path(p).exists()
    ]
    require(bool(candidates), "no Python 3.8 interpreter on this machine")
    py38 = str(candidates[0])
    snapshot = scan_json(envaudit, f"python:{py38}")
    assert snapshot["interpreter"]["version"].startswith("3.8.")


def test_nothing_of_envaudit_s_own_environment_leaks_into_the_target(
    envaudit: Runner, tmp_path: Path
) -> None:
    leak = tmp_path / "leak"
    (leak / "leaked_pkg-6.6.6.dist-info").mkdir(parents=True)
    (leak / "leaked_pkg-6.6.6.dist-info" / "METADATA").write_text("Name: leaked-pkg\nVersion: 6.6.6\n")
    other = recipes.origins()
    venv = recipes.pinned()
    env = {
        "PYTHONPATH": str(leak),
        "VIRTUAL_ENV": str(other.path),
        "PYTHONSTARTUP": str(tmp_path / "nope.py"),
        "PYTHONNOUSERSITE": "",
    }
    snapshot = scan_json(envaudit, f"python:{venv.python}", env=env)
    assert str(leak) not in snapshot["interpreter"]["sys_path"]
    assert "leaked-pkg" not in active(snapshot)
    assert active(snapshot) == venv.pip_list()
    # The variables are still *recorded* as the user's environment, just not applied to the target.
    recorded = {v["name"]: v for v in snapshot["environment"]}
    assert recorded["PYTHONPATH"]["value"] == str(leak) and recorded["PYTHONPATH"]["relevant"]


def test_local_follows_virtual_env(envaudit: Runner) -> None:
    venv = recipes.pinned()
    snapshot = scan_json(envaudit, "local", env={"VIRTUAL_ENV": str(venv.path)})
    assert snapshot["interpreter"]["prefix"] == str(venv.path)
    assert snapshot["provenance"]["target"] == "local"


def _blank_volatile(data: dict[str, Any], venv: Venv) -> dict[str, Any]:
    text = json.dumps(data)
    text = text.replace(str(venv.path), "<VENV>")
    base = data["interpreter"]["base_prefix"]
    text = text.replace(base, "<BASE>")
    blanked: dict[str, Any] = json.loads(text)
    for key in ("envaudit_version", "scanned_at", "scanned_on", "fingerprint_key_id", "project"):
        blanked["provenance"][key] = "<volatile>"
    if blanked.get("imports"):  # --project: the folder read (a temporary one)
        blanked["imports"]["project"] = "<volatile>"
    interp = blanked["interpreter"]
    for key in ("version", "os_release", "libc_version", "resolved_executable", "requested", "machine"):
        interp[key] = "<volatile>"
    interp["markers"] = dict.fromkeys(interp["markers"], "<volatile>")
    interp["sys_path"] = [p for p in interp["sys_path"] if p.startswith("<VENV>")]
    return blanked


@pytest.mark.skipif(sys.version_info[:2] != (3, 11), reason="the golden snapshot is of Python 3.11 venvs")
def test_golden_snapshot_of_a_pinned_venv(envaudit: Runner, tmp_path: Path) -> None:
    venv = recipes.pinned()
    project = tmp_path / "project"
    project.mkdir()
    (project / "requirements.txt").write_text("six==1.16.0\nattrs>=23\nidna\npackaging<24\nabsent-pkg==1.0\n")
    env = {"GOLDEN_PLAIN": "value", "GOLDEN_TOKEN": "hunter2", "PYTHONHASHSEED": "0"}
    snapshot = scan_json(
        envaudit,
        f"python:{venv.python}",
        "--project",
        str(project),
        "--env-include",
        "GOLDEN_*",
        "--env-include",
        "PYTHONHASHSEED",
        env=env,
    )
    got = _blank_volatile(snapshot, venv)
    golden = GOLDEN / "scan-pinned-venv.json"
    if os.environ.get("ENVAUDIT_UPDATE_GOLDEN"):
        golden.write_text(json.dumps(got, indent=2) + "\n")
    assert got == json.loads(golden.read_text())
