"""Each report as the client that reads it in CI sees it: GitHub code scanning (SARIF), Jenkins and
GitLab (JUnit), GitHub comments and job summaries (Markdown), and all of them agreeing with the exit
code, including about targets that could not be scanned."""

from __future__ import annotations

import dataclasses
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import xmlschema
from markdown_it import MarkdownIt

from envaudit.findings import Finding, Location, Report, Severity, Unscanned, judged
from envaudit.report import FINDINGS_FORMATS, ReportFormat, render
from envaudit.rules import VULNERABILITY
from envaudit.severity import FailOn
from tests.support.schemas import valid_sarif
from tests.unit.test_reports import diff_report, gate_report, probe_report

SCHEMAS = Path(__file__).resolve().parents[2] / "fixtures" / "schemas"
UNREACHABLE = Unscanned("web-7", "ssh://web-7.internal", "ssh://web-7.internal: connection refused", 3)
REPORTS = {"diff": diff_report, "gate": gate_report, "probe": probe_report}


def sarif(report: Report) -> dict[str, Any]:
    return valid_sarif(render(report, ReportFormat.SARIF))


@pytest.mark.parametrize("name", list(REPORTS))
def test_sarif_follows_github_s_rules(name: str) -> None:
    report = dataclasses.replace(REPORTS[name](), base="services/api")
    run = sarif(report)["runs"][0]
    assert run["automationDetails"]["id"] == f"envaudit/{report.command}/"
    fingerprints = [r["partialFingerprints"]["envaudit/v2"] for r in run["results"]]
    assert len(set(fingerprints)) == len(fingerprints) == len(report.findings)
    for result in run["results"]:
        (location,) = result["locations"]
        physical = location["physicalLocation"]
        uri = physical["artifactLocation"]["uri"]
        # Relative to the repository root (the project is services/api in it), never absolute.
        assert uri.startswith("services/api/") and not uri.startswith("/") and "\\" not in uri
        assert physical["region"]["startLine"] >= 1
        assert result["message"]["text"] and result["ruleId"]


def test_sarif_fingerprints_survive_renamed_targets_and_differ_by_place() -> None:
    report = diff_report()
    renamed_envs = tuple(dataclasses.replace(e, label=f"x-{e.label}") for e in report.environments)
    names = {e.label: f"x-{e.label}" for e in report.environments}
    renamed = dataclasses.replace(
        report,
        environments=renamed_envs,
        findings=tuple(
            dataclasses.replace(f, environments=tuple(names[e] for e in f.environments))
            for f in report.findings
        ),
    )

    def prints(r: Report) -> list[str]:
        return [x["partialFingerprints"]["envaudit/v2"] for x in sarif(r)["runs"][0]["results"]]

    assert prints(report) == prints(renamed)
    twin = dataclasses.replace(report.findings[0], location=Location("requirements.txt", 2))
    moved = dataclasses.replace(twin, location=Location("requirements.txt", 99))
    both = dataclasses.replace(report, findings=(twin, moved))
    assert len(set(prints(both))) == 2


def test_sarif_suppresses_what_the_gate_ignored() -> None:
    report = gate_report()
    assert report.verdict is not None and report.verdict.suppressed
    results = sarif(report)["runs"][0]["results"]
    suppressed = [r for r in results if "suppressions" in r]
    assert len(suppressed) == len(report.verdict.suppressed)
    reasons = {s["justification"] for r in suppressed for s in r["suppressions"]}
    assert "ignored until 2027-03-01: numpy 2 verified in staging" in reasons


def test_sarif_rates_vulnerabilities_for_github() -> None:
    finding = Finding(
        VULNERABILITY,
        Severity.ERROR,
        "vulnerabilities",
        "urllib3",
        "urllib3 1.26.12: GHSA-v845-jxx5-vc9f",
        ("prod",),
        details=(("id", "GHSA-v845-jxx5-vc9f"), ("severity", "moderate")),
    )
    report = dataclasses.replace(diff_report(), command="audit", findings=(finding,))
    run = sarif(report)["runs"][0]
    rule = next(r for r in run["tool"]["driver"]["rules"] if r["id"] == VULNERABILITY)
    assert "security" in rule["properties"]["tags"] and float(rule["properties"]["security-severity"]) > 0
    assert run["results"][0]["properties"]["security-severity"] == "5.5"  # from GitHub's rating
    scored = dataclasses.replace(finding, details=(*finding.details, ("cvss", "9.8")))
    rated = sarif(dataclasses.replace(report, findings=(scored,)))["runs"][0]["results"][0]
    assert rated["properties"]["security-severity"] == "9.8"  # the CVSS score, where there is one


def test_an_unscanned_target_makes_the_sarif_run_unsuccessful() -> None:
    run = sarif(judged(diff_report(), FailOn.INFO, [UNREACHABLE]))["runs"][0]
    (invocation,) = run["invocations"]
    assert invocation["executionSuccessful"] is False
    (note,) = invocation["toolExecutionNotifications"]
    assert "web-7" in note["message"]["text"] and note["level"] == "error"
    assert sarif(diff_report())["runs"][0]["invocations"][0]["executionSuccessful"] is True


JUNIT = xmlschema.XMLSchema(SCHEMAS / "junit-10.xsd")


@pytest.mark.parametrize("name", list(REPORTS))
@pytest.mark.parametrize("fail_on", list(FailOn))
def test_junit_is_valid_and_counts_exactly_what_fails(name: str, fail_on: FailOn) -> None:
    report = judged(REPORTS[name](), fail_on, [UNREACHABLE])
    text = render(report, ReportFormat.JUNIT)
    JUNIT.validate(text)
    root = ET.fromstring(text)
    assert int(root.get("failures", "")) == len(root.findall(".//failure")) == len(report.failing())
    assert int(root.get("errors", "")) == 1 and root.find(".//error") is not None
    names = [c.get("name") for c in root.iter("testcase")]
    assert len(names) == len(set(names)), "test names must be unique"
    assert not any(re.search(r"(^|[\s:])/\w", n or "") for n in names), "no absolute paths in test names"


def test_junit_of_a_diff_judged_never_has_no_failures() -> None:
    text = render(judged(diff_report(), FailOn.NEVER), ReportFormat.JUNIT)
    assert 'failures="0"' in text.split("\n")[1] and "--fail-on never" in text


def md_html(text: str) -> str:
    html: str = MarkdownIt("commonmark").enable("table").render(text)
    return html


def test_markdown_values_render_as_written() -> None:
    report = diff_report()
    tricky = dataclasses.replace(
        report.findings[0],
        subject="x",
        message="value <NA> and *stars* and __dunder__ and [link](http://x) ~~s~~",
    )
    html = md_html(render(dataclasses.replace(report, findings=(tricky,)), ReportFormat.MARKDOWN))
    (cell,) = [c for c in re.findall(r"<td>(.*?)</td>", html) if c.startswith("value")]
    assert cell == "value &lt;NA&gt; and *stars* and __dunder__ and [link](http://x) ~~s~~"


def test_markdown_stays_under_github_s_limit_and_says_what_it_left_out() -> None:
    report = diff_report()
    long = dataclasses.replace(report.findings[0], message="x" * 2000)
    many = dataclasses.replace(
        report, findings=tuple(dataclasses.replace(long, subject=f"p{i}") for i in range(150))
    )
    text = render(many, ReportFormat.MARKDOWN)
    assert len(text) <= 60_000 < len(long.message) * 150
    assert re.search(r"… and \d+ more \(see the JSON or SARIF report\)", text)
    md_html(text)  # still a document a CommonMark renderer reads


@pytest.mark.parametrize("fmt", FINDINGS_FORMATS)
def test_every_format_names_the_targets_it_could_not_scan(fmt: ReportFormat) -> None:
    text = render(judged(gate_report(), FailOn.WARNING, [UNREACHABLE]), fmt)
    assert "web-7" in text
