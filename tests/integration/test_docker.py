"""docker:IMAGE through a real engine, and its agreement with the static readers, on fixture images
built here from Debian packages and from wheels (fixtures/images/)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ENVAUDIT, Runner, require
from tests.support.docker_images import FixtureImage, engine_problem, fixture_images

pytestmark = pytest.mark.integration

LABEL = "io.envaudit.scan"


@pytest.fixture(scope="module")
def images() -> dict[str, FixtureImage]:
    problem = engine_problem()
    require(problem is None, problem or "")
    return fixture_images()


def scan(envaudit: Runner, *args: str) -> dict[str, Any]:
    result = envaudit("scan", *args, "--format", "json")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    data = json.loads(result.stdout)
    assert isinstance(data, dict)
    return data


def versions(snapshot: dict[str, Any]) -> dict[str, str]:
    return {d["canonical_name"]: d["version"] for d in snapshot["distributions"]}


def oracle(image: FixtureImage, python: str) -> dict[str, str]:
    """What the image's own interpreter says is installed: importlib.metadata, run by the docker CLI."""
    code = (
        "import json, re, importlib.metadata as m; "
        "print(json.dumps({re.sub(r'[-_.]+', '-', d.metadata['Name']).lower(): d.version "
        "for d in m.distributions()}))"
    )
    out = subprocess.run(
        ["docker", "run", "--rm", "--network", "none", "--entrypoint", python, image.tag, "-I", "-c", code],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found = json.loads(out)
    assert isinstance(found, dict)
    return found


def leftover_containers() -> list[str]:
    out = subprocess.run(
        ["docker", "ps", "-aq", "--filter", f"label={LABEL}"], capture_output=True, text=True, check=True
    ).stdout
    return out.split()


@pytest.mark.parametrize(
    ("name", "python"),
    [
        ("base", "/usr/bin/python3"),
        ("debian-pandas", "/usr/bin/python3"),
        ("app", "/opt/venv/bin/python"),
        ("multilayer", "/opt/venv/bin/python"),
    ],
)
def test_engine_static_and_archive_agree_with_the_image(
    envaudit: Runner, images: dict[str, FixtureImage], name: str, python: str
) -> None:
    image = images[name]
    engine = scan(envaudit, image.target)
    through_engine = scan(envaudit, image.target, "--static")
    archive = scan(envaudit, image.archive_target)
    truth = oracle(image, python)
    # The engine scan is what the interpreter itself reports (pip is outside sys.path for Debian's
    # python3 with python3-venv only; importlib.metadata sees exactly sys.path too).
    assert versions(engine) == truth
    assert versions(through_engine) == truth
    assert versions(archive) == truth
    for snapshot in (through_engine, archive):
        for key in ("executable", "version", "prefix", "base_prefix", "is_venv", "libc", "libc_version"):
            assert snapshot["interpreter"][key] == engine["interpreter"][key], key
        assert [(v["name"], v["redacted"]) for v in snapshot["environment"]] == [
            (v["name"], v["redacted"]) for v in engine["environment"]
        ]
        assert snapshot["image"]["layers"] == engine["image"]["layers"]
        assert snapshot["image"]["read"] == "static"
    assert engine["image"]["read"] == "engine"
    assert engine["image"]["id"] == through_engine["image"]["id"] == archive["image"]["id"]
    assert engine["provenance"]["target_kind"] == "docker"


def test_debian_system_python_with_debian_pandas(envaudit: Runner, images: dict[str, FixtureImage]) -> None:
    snapshot = scan(envaudit, images["debian-pandas"].target)
    dists = {d["canonical_name"]: d for d in snapshot["distributions"]}
    assert dists["pandas"]["version"] == "1.5.3"
    assert dists["numpy"]["version"].startswith("1.24.")
    assert dists["pandas"]["location"] == "/usr/lib/python3/dist-packages"
    assert dists["pandas"]["metadata_format"] == "egg-info"
    interp = snapshot["interpreter"]
    assert interp["executable"] == "/usr/bin/python3" and interp["version"].startswith("3.11.")
    assert not interp["is_venv"] and interp["libc"] == "glibc"
    # Statically, each distribution is attributed to the layer that installed it: apt's, not the base.
    static = scan(envaudit, images["debian-pandas"].archive_target)
    layers = static["image"]["layers"]
    assert {d["layer"] for d in static["distributions"]} == {layers[-1]}


def test_app_image_record_secrets_and_project_in_the_image(
    envaudit: Runner, images: dict[str, FixtureImage]
) -> None:
    app = images["app"]
    for args in ((app.target,), (app.target, "--static"), (app.archive_target,)):
        result = envaudit("scan", *args, "--project", "/app", "--format", "json")
        assert result.returncode == 0, result.stderr
        assert "hunter2" not in result.stdout and "wJalrXUtnFEMI" not in result.stdout
        snapshot = json.loads(result.stdout)
        env = {v["name"]: v for v in snapshot["environment"]}
        assert env["AWS_SECRET_ACCESS_KEY"]["redacted"] and env["DATABASE_URL"]["redacted"]
        assert env["MODEL_NAME"]["value"] == "churn-v3"
        image = snapshot["image"]
        assert image["cmd"] == ["python", "train.py"] and image["user"] == "1000:1000"
        assert image["working_dir"] == "/app"
        assert image["labels"]["org.opencontainers.image.title"] == "envaudit fixture: app venv"
        assert app.tag in image["repo_tags"]
        requirements = {r["name"]: r for r in snapshot["requirements"]}
        pandas = requirements["pandas"]
        assert (pandas["pin"], pandas["source"], pandas["line"]) == ("unpinned", "requirements.txt", 2)
        assert requirements["numpy"]["pin"] == "lower-bound-only"
        assert requirements["attrs"]["pin"] == "pinned" and requirements["attrs"]["status"] == "satisfied"
        assert snapshot["provenance"]["project"] == "/app"
        assert any(
            i["code"] == "other-interpreter" and i["path"] == "/usr/bin/python3" for i in snapshot["issues"]
        )


def test_project_missing_in_the_image(envaudit: Runner, images: dict[str, FixtureImage]) -> None:
    for target in (images["app"].target, images["app"].archive_target):
        result = envaudit("scan", target, "--project", "/nowhere")
        assert result.returncode == 3, result.stderr
        assert "--project /nowhere: no such folder in the image" in result.stderr


def test_multilayer_image_removes_and_adds(envaudit: Runner, images: dict[str, FixtureImage]) -> None:
    static = scan(envaudit, images["multilayer"].archive_target)
    dists = {d["canonical_name"]: d for d in static["distributions"]}
    assert "attrs" not in dists  # whited out by a later layer
    assert dists["six"]["version"] == "1.17.0"
    layers = static["image"]["layers"]
    # six came back in a layer above the app's, which installed pandas
    assert layers.index(dists["six"]["layer"]) > layers.index(dists["pandas"]["layer"])


def test_diff_docker_image_with_a_venv(
    envaudit: Runner, images: dict[str, FixtureImage], tmp_path: Path
) -> None:
    from tests.support.venvs import Recipe, build

    venv = build(Recipe("docker-diff", packages=("six==1.16.0", "attrs==23.2.0")))
    result = envaudit(
        "diff", f"image={images['multilayer'].target}", f"venv=python:{venv.path}", "--format", "json"
    )
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    subjects = {f["subject"]: f for f in report["findings"]}
    assert "six" in subjects and "attrs" in subjects and "pandas" in subjects


def test_missing_image_is_never_pulled(envaudit: Runner, images: dict[str, FixtureImage]) -> None:
    result = envaudit("scan", "docker:envaudit-fixture/no-such-image:1")
    assert result.returncode == 3
    assert "no image 'envaudit-fixture/no-such-image:1' in the Docker engine" in result.stderr
    assert "tip: docker pull envaudit-fixture/no-such-image:1" in result.stderr
    assert "Traceback" not in result.stderr


def test_no_engine_is_exit_3_and_other_targets_still_report(envaudit: Runner, tmp_path: Path) -> None:
    result = envaudit(
        "scan",
        "docker:anything",
        "local",
        "--format",
        "json",
        env={"DOCKER_HOST": f"unix://{tmp_path}/no-engine.sock"},
    )
    assert result.returncode == 3
    assert "cannot reach the Docker engine at unix://" in result.stderr
    assert len(json.loads(result.stdout)) == 1  # the local scan is still there


def test_timeout_removes_the_container(envaudit: Runner, images: dict[str, FixtureImage]) -> None:
    result = envaudit(
        "scan", images["multilayer"].target, "--python", "/usr/local/bin/hang", "--timeout", "2"
    )
    assert result.returncode == 3
    assert "timed out after 2s" in result.stderr
    assert leftover_containers() == []


def test_no_network_and_read_only_root(envaudit: Runner, images: dict[str, FixtureImage]) -> None:
    """The container the scanner runs in can neither reach a network nor write to the image."""
    result = envaudit("scan", images["multilayer"].target, "--python", "/usr/local/bin/sandbox-report")
    assert result.returncode == 3
    assert "exited with status 3: network=none write=denied" in result.stderr
    assert leftover_containers() == []


@pytest.fixture(autouse=True)
def no_leftovers() -> None:
    """Each test starts with no scan container (a test killed half-way may have left one)."""
    ids = leftover_containers() if engine_problem() is None else []
    if ids:
        subprocess.run(["docker", "rm", "-f", *ids], capture_output=True, check=False)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_interrupt_removes_the_container(images: dict[str, FixtureImage], sig: signal.Signals) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    proc = subprocess.Popen(
        [str(ENVAUDIT), "scan", images["multilayer"].target, "--python", "/usr/local/bin/hang"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    before = set(leftover_containers())
    deadline = time.monotonic() + 30
    while not set(leftover_containers()) - before:
        assert time.monotonic() < deadline, "the scan container never started"
        time.sleep(0.1)
    proc.send_signal(sig)
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 130, stderr
    assert b"interrupted" in stderr
    assert leftover_containers() == []


def test_several_images_at_once(envaudit: Runner, images: dict[str, FixtureImage]) -> None:
    """One engine client shared by concurrent scans: every image reports, in the order given."""
    targets = [f"{name}={image.target}" for name, image in images.items()]
    result = envaudit("scan", *targets, "--jobs", "4", "--format", "json")
    assert result.returncode == 0, result.stderr
    snapshots = json.loads(result.stdout)
    assert [s["image"]["id"] for s in snapshots] == [
        scan(envaudit, image.target)["image"]["id"] for image in images.values()
    ]
    assert leftover_containers() == []
