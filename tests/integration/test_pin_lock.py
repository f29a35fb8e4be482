"""pin --lock: a PEP 751 lock of a working venv, synced by uv into a fresh venv, diffed: no difference."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.conftest import Runner
from tests.support import recipes
from tests.support.venvs import base_python, cache_root, run

pytestmark = pytest.mark.integration
UV = Path(sys.executable).parent / "uv"


def test_a_lock_of_a_venv_rebuilds_it_with_uv(envaudit: Runner, tmp_path: Path) -> None:
    venv = recipes.pinned()
    result = envaudit("pin", "--lock", "pylock.toml", "--from", str(venv.path))
    assert result.returncode == 0, result.stderr
    assert f"wrote pylock.toml: {len(venv.pip_list())} packages" in result.stderr
    text = (tmp_path / "pylock.toml").read_text()
    assert 'lock-version = "1.0"' in text and text.count("[[packages]]") == len(venv.pip_list())
    assert "sha256 = " in text and "https://files.pythonhosted.org/" in text

    fresh = tmp_path / "fresh"
    env = {"UV_CACHE_DIR": str(cache_root() / "uv")}
    run([UV, "venv", "--quiet", "--python", base_python(), fresh], extra_env=env)
    # The real installer is the judge of the lock: uv refuses a lock it does not understand.
    run(
        [UV, "pip", "sync", "--quiet", "--python", fresh / "bin" / "python", tmp_path / "pylock.toml"],
        extra_env=env,
    )
    same = envaudit("diff", str(venv.path), str(fresh), "--format", "json")
    assert same.returncode == 0, same.stdout
    assert json.loads(same.stdout)["findings"] == []
    # And envaudit reads its own lock as the declared truth.
    as_target = envaudit("diff", "pylock.toml", str(fresh), "--format", "json")
    assert [f for f in json.loads(as_target.stdout)["findings"] if f["check"] == "distributions"] == []


def test_what_the_index_cannot_vouch_for_is_recorded_and_exits_1(envaudit: Runner, tmp_path: Path) -> None:
    venv = recipes.origins()  # an editable install, a git+file install, six from the index
    result = envaudit("pin", "--lock", "pylock.toml", "--from", str(venv.path))
    assert result.returncode == 1, result.stderr
    assert "not vouched for: editable-demo" in result.stderr and "not vouched for: vcs-demo" in result.stderr
    text = (tmp_path / "pylock.toml").read_text()
    assert "directory = {path = " in text and "editable = true" in text
    assert 'vcs = {type = "git"' in text and "commit-id = " in text


def test_bad_lock_names_and_an_unreachable_index_write_nothing(envaudit: Runner, tmp_path: Path) -> None:
    venv = recipes.pinned()
    named = envaudit("pin", "--lock", "lock.toml", "--from", str(venv.path))
    assert named.returncode == 2 and "pylock.toml or pylock.NAME.toml" in named.stderr
    down = envaudit(
        "pin", "--lock", "pylock.toml", "--from", str(venv.path), "--index-url", "http://127.0.0.1:9/simple"
    )
    assert down.returncode == 3, down.stderr
    assert "cannot reach the index" in down.stderr and "Traceback" not in down.stderr
    assert not (tmp_path / "pylock.toml").exists()
    neither = envaudit("pin", "--from", str(venv.path))
    assert neither.returncode == 2 and "--lock" in neither.stderr
