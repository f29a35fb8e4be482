"""The HTML report opened in a real headless Chromium: it renders without console errors, its
matrix holds the expected cells, its filters work, a screenshot is not blank, and nothing a target
says ever runs as HTML or script. Pages from real runs: 2 venvs, and a fleet of 1,000 snapshots."""

from __future__ import annotations

import dataclasses
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from envaudit import snapshot_io
from envaudit.model import EnvVar
from tests.conftest import Runner, require
from tests.support import browser, fleet, recipes
from tests.support.venvs import FIXTURES

pytestmark = pytest.mark.integration

SHARED_DB = Path(__file__).resolve().parents[3] / "shared" / "advisory-database"


@pytest.fixture(scope="module")
def chrome() -> Iterator[Any]:
    require(browser.available(), "needs Debian's chromium and chromium-driver, and selenium")
    with browser.chromium() as driver:
        yield driver


def open_page(driver: Any, path: Path) -> None:
    driver.get_log("browser")  # what earlier pages logged is theirs
    driver.get(path.resolve().as_uri())
    assert driver.execute_script("return document.readyState") == "complete"


def cells(driver: Any, package: str) -> dict[str, str]:
    """The matrix row of ``package``: column key -> text."""
    from selenium.webdriver.common.by import By

    row = driver.find_element(By.CSS_SELECTOR, f'#matrix tr[data-package="{package}"]')
    return {
        td.get_attribute("data-column"): td.text
        for td in row.find_elements(By.CSS_SELECTOR, "td[data-column]")
    }


def test_two_venvs_diff_page(envaudit: Runner, chrome: Any, tmp_path: Path) -> None:
    base, drift = recipes.pinned(), recipes.drifted()
    page = tmp_path / "diff.html"
    result = envaudit("diff", f"dev={base.path}", f"prod={drift.path}", "--format", "html", "-o", str(page))
    assert result.returncode == 1, result.stderr
    open_page(chrome, page)
    assert browser.console_problems(chrome) == []
    assert cells(chrome, "attrs") == {"dev": "23.2.0", "prod": "24.2.0"}
    assert cells(chrome, "tomli") == {"dev": "absent", "prod": "2.0.2"}
    from selenium.webdriver.common.by import By

    attrs = chrome.find_element(By.CSS_SELECTOR, '#matrix tr[data-package="attrs"] td[data-column="prod"]')
    assert "sev-error" in attrs.get_attribute("class")  # a major change is an error
    assert "major" in attrs.get_attribute("title")
    assert "across 2 environments" in chrome.find_element(By.ID, "summary").text
    assert browser.distinct_colours(chrome.get_screenshot_as_png()) > 8


def test_findings_filter_by_severity_and_rule(envaudit: Runner, chrome: Any, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    base, drift = recipes.pinned(), recipes.drifted()
    page = tmp_path / "diff.html"
    envaudit("diff", f"dev={base.path}", f"prod={drift.path}", "--format", "html", "-o", str(page))
    data = json.loads(envaudit("diff", f"dev={base.path}", f"prod={drift.path}", "--format", "json").stdout)
    open_page(chrome, page)
    rows = chrome.find_elements(By.CSS_SELECTOR, "#findings tbody tr")
    assert len(rows) == len(data["findings"])

    def visible() -> list[str]:
        return [r.get_attribute("data-rule") for r in rows if r.is_displayed()]

    Select(chrome.find_element(By.ID, "f-severity")).select_by_value("error")
    errors = sorted(f["rule"] for f in data["findings"] if f["severity"] == "error")
    assert sorted(visible()) == errors and errors
    Select(chrome.find_element(By.ID, "f-severity")).select_by_value("")
    Select(chrome.find_element(By.ID, "f-rule")).select_by_value("EA101")
    assert visible() == ["EA101"]
    assert chrome.find_element(By.ID, "f-count").text == f"1 of {len(rows)} shown"
    assert browser.console_problems(chrome) == []


@pytest.fixture(scope="module")
def thousand(tmp_path_factory: pytest.TempPathFactory) -> tuple[fleet.Fleet, Path]:
    folder = tmp_path_factory.mktemp("fleet")
    scanned = folder / "template.json"
    venv = recipes.pinned()
    import subprocess
    import sys

    subprocess.run(
        [str(Path(sys.executable).parent / "envaudit"), "scan", f"python:{venv.python}", "-o", str(scanned)],
        check=True,
        capture_output=True,
    )
    made = fleet.make(folder, snapshot_io.load(scanned), count=1000)
    targets = folder / "targets.txt"
    targets.write_text("".join(f"{p}\n" for p in made.paths))
    return made, targets


def test_a_thousand_environments_page(
    envaudit: Runner, chrome: Any, thousand: tuple[fleet.Fleet, Path], tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    made, targets = thousand
    page = tmp_path / "fleet.html"
    result = envaudit("diff", "--targets-file", str(targets), "--format", "html", "-o", str(page))
    assert result.returncode == 1, result.stderr
    data = json.loads(envaudit("diff", "--targets-file", str(targets), "--format", "json").stdout)
    open_page(chrome, page)
    assert browser.console_problems(chrome) == []
    heads = [th.text for th in chrome.find_elements(By.CSS_SELECTOR, "#matrix thead th[data-column]")]
    groups = data["fleet"]["groups"]
    assert heads[0] == f"reference set: {len(made.identical)}"
    assert heads[1 : 1 + len(groups)] == [f"group {i}: {len(g['members'])}" for i, g in enumerate(groups, 1)]
    # Each group's column shows the versions its members have: check every cell against the JSON.
    labels = [e["label"] for e in data["environments"]]
    for row in data["matrix"][:20]:
        got = cells(chrome, row["package"])
        for i, g in enumerate(groups, 1):
            want = row["versions"][labels.index(g["members"][0])]
            assert got[f"set-{i}"] == (want or "absent"), (row["package"], i)
    assert len(chrome.find_elements(By.CSS_SELECTOR, "#matrix tbody tr")) == len(data["matrix"])
    assert browser.distinct_colours(chrome.get_screenshot_as_png()) > 8


def test_scan_audit_and_gate_pages_render(envaudit: Runner, chrome: Any, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    pinned, vulnerable = recipes.pinned(), recipes.vulnerable()
    scan = tmp_path / "scan.html"
    result = envaudit("scan", str(pinned.path), str(vulnerable.path), "--format", "html")
    scan.write_text(result.stdout)
    open_page(chrome, scan)
    assert browser.console_problems(chrome) == []
    assert sorted(cells(chrome, "idna").values()) == ["2.7", "3.7"]
    assert not chrome.find_elements(By.CSS_SELECTOR, '#matrix tr[data-package="six"]')  # the same in both
    assert chrome.find_elements(By.CSS_SELECTOR, "#dists-0 tr[data-package='attrs']")

    require(SHARED_DB.is_dir(), f"needs the shared advisory database at {SHARED_DB}")
    audit = tmp_path / "audit.html"
    result = envaudit(
        "audit", str(vulnerable.path), "--advisory-db", str(SHARED_DB), "--format", "html", "-o", str(audit)
    )
    assert result.returncode == 1, result.stderr
    open_page(chrome, audit)
    assert browser.console_problems(chrome) == []
    rules = {
        r.get_attribute("data-rule") for r in chrome.find_elements(By.CSS_SELECTOR, "#findings tbody tr")
    }
    assert "EA701" in rules

    (tmp_path / "requirements.txt").write_text("attrs>=23\n")
    gate = tmp_path / "gate.html"
    result = envaudit(
        "gate",
        "--baseline",
        str(pinned.path),
        "--target",
        str(recipes.drifted().path),
        "--format",
        "html",
        "-o",
        str(gate),
    )
    assert result.returncode == 1, result.stderr
    open_page(chrome, gate)
    assert browser.console_problems(chrome) == []
    assert "FAILED" in chrome.find_element(By.TAG_NAME, "header").text


def test_nothing_a_target_says_runs(envaudit: Runner, chrome: Any, tmp_path: Path) -> None:
    """Versions, variables and targets are data: markup in them is shown, never parsed or run."""
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By

    venv = recipes.pinned()
    saved = tmp_path / "real.json"
    assert envaudit("scan", str(venv.path), "-o", str(saved)).returncode == 0
    real = snapshot_io.load(saved)
    evil = "<img src=x onerror=alert(1)><script>alert(2)</script>"
    dists = tuple(
        dataclasses.replace(d, version=f"9{evil}") if d.canonical_name == "attrs" else d
        for d in real.distributions
    )
    env = (*real.environment, EnvVar("TZ", f"'\"><svg onload=alert(3)>{evil}", False, True))
    hostile = dataclasses.replace(real, distributions=dists, environment=env)
    snapshot_io.save(hostile, tmp_path / "hostile.json")
    page = tmp_path / "hostile.html"
    envaudit("diff", str(saved), str(tmp_path / "hostile.json"), "--format", "html", "-o", str(page))
    open_page(chrome, page)
    with pytest.raises(NoAlertPresentException):
        chrome.switch_to.alert.text  # noqa: B018 - reading it is the check
    assert (
        chrome.find_elements(By.CSS_SELECTOR, "#findings img, #findings script, #findings svg, #matrix img")
        == []
    )
    assert f"9{evil}" in chrome.find_element(By.ID, "matrix").text
    assert browser.console_problems(chrome) == []
    # The same page offline: nothing is fetched (the policy would refuse it and say so in the console).
    html = page.read_text()
    assert "http://" not in html and "https://" not in html and 'src="' not in html


def test_probe_page_shows_the_grid_and_the_user_probe_bars(
    envaudit: Runner, chrome: Any, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    from tests.support.recipes import pandas_venv

    for name in ("preprocess.py", "customers.csv"):
        shutil.copy(FIXTURES / "probes" / name, tmp_path / name)
    page = tmp_path / "probe.html"
    result = envaudit(
        "probe",
        f"train=python:{pandas_venv('2.2').path}",
        f"serve=python:{pandas_venv('3.0').path}",
        "--function",
        "preprocess.py:clean",
        "--data",
        "customers.csv",
        "--format",
        "html",
        "-o",
        str(page),
        cwd=tmp_path,
    )
    assert result.returncode == 1, result.stderr
    open_page(chrome, page)
    assert browser.console_problems(chrome) == []
    grid = chrome.find_elements(By.CSS_SELECTOR, "#probe-grid tbody tr")
    assert len(grid) >= 3
    first = grid[0].find_elements(By.CSS_SELECTOR, "td")[-1]
    assert "sev-" in first.get_attribute("class")
    first.find_element(By.TAG_NAME, "summary").click()  # expand: the pandas change behind it
    assert "pandas 2.2" in first.text and "3.0" in first.text
    bars = chrome.find_elements(By.CSS_SELECTOR, "#user-probes svg.bars rect")
    assert [int(float(r.get_attribute("width"))) > 0 for r in bars] == [True, True, True]
    labels = [t.text for t in chrome.find_elements(By.CSS_SELECTOR, "#user-probes svg.bars text")]
    assert labels[:2] == ["rows in", "12"] and "out: serve" in labels
