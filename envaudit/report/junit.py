"""JUnit XML: one test case per check that found nothing, one per finding, a failure for each that counts."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict

from envaudit.findings import Finding, Report
from envaudit.textsafe import xml


def _judged(report: Report) -> tuple[set[int], dict[int, str]]:
    """The findings (by id) that fail, and for the gate why each other one does not."""
    if report.verdict is None:  # diff and friends: every finding is drift, so every finding fails
        return {id(f) for f in report.findings}, {}
    failing = {id(f) for f in report.verdict.failing}
    reasons = {id(s.finding): s.reason for s in report.verdict.suppressed}
    below = f"below the gate's threshold ({report.verdict.fail_on})"
    return failing, {id(f): reasons.get(id(f), below) for f in report.findings if id(f) not in failing}


def render(report: Report, *, compact: bool = False) -> str:
    failing, reasons = _judged(report)
    by_check: dict[tuple[str, tuple[str, ...]], list[Finding]] = defaultdict(list)
    for f in report.findings:
        by_check[(f.check, f.environments)].append(f)
    checks = [(c.check, c.environments, c.name) for c in report.checks]
    declared = {(check, envs) for check, envs, _ in checks}
    # Findings of a check no command declared (e.g. scan issues) still get test cases.
    checks += [(c, e, f"{c}: {' → '.join(e)}") for (c, e) in by_check if (c, e) not in declared]

    root = ET.Element("testsuites", name=f"envaudit {report.command}")
    suites: dict[tuple[str, ...], ET.Element] = {}
    for check, envs, name in checks:
        suite = suites.get(envs)
        if suite is None:
            suite = suites[envs] = ET.SubElement(
                root, "testsuite", name=f"envaudit {report.command}: {' → '.join(envs)}"
            )
        found = by_check.get((check, envs), [])
        if not found:
            ET.SubElement(suite, "testcase", classname=f"envaudit.{check}", name=name)
        for f in found:
            case = ET.SubElement(
                suite, "testcase", classname=f"envaudit.{check}", name=f"{name}: {f.subject}"
            )
            if id(f) in failing:
                failure = ET.SubElement(case, "failure", type=f.rule, message=f.message)
                failure.text = f"{f.severity.value} {f.rule}: {f.message}" + (
                    f" ({f.location})" if f.location else ""
                )
            else:
                ET.SubElement(case, "skipped", message=reasons[id(f)])
    for element in (*suites.values(), root):
        element.set("tests", str(len(element.findall(".//testcase"))))
        element.set("failures", str(len(element.findall(".//failure"))))
        element.set("skipped", str(len(element.findall(".//skipped"))))
        element.set("errors", "0")
    for element in root.iter():  # values from targets: characters XML cannot hold are escaped
        if element.text:
            element.text = xml(element.text)
        for key, value in element.attrib.items():
            element.set(key, xml(value))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
