"""JUnit XML, valid against the Jenkins xunit schema (junit-10.xsd): a test case per check that found
nothing and per finding, a failure for exactly the findings that fail the run, an error per target
that could not be scanned. Test names use report labels, never paths, and are unique."""

from __future__ import annotations

import posixpath
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict

from envaudit.findings import Finding, Report
from envaudit.severity import FailOn
from envaudit.textsafe import xml


def _short(label: str) -> str:
    """A label fit for a test name: a path-like target is named by its last part."""
    scheme, sep, rest = label.rpartition(":") if "/" in label else ("", "", label)
    if "/" not in rest:
        return label
    tail = posixpath.basename(rest.rstrip("/")) or rest
    return f"{scheme}{sep}…/{tail}" if scheme else f"…/{tail}"


def _not_failing_reasons(report: Report, failing: set[int]) -> dict[int, str]:
    """Why each finding that does not fail the run does not."""
    if report.verdict is not None:
        reasons = {id(s.finding): s.reason for s in report.verdict.suppressed}
        below = f"below the gate's threshold ({report.verdict.fail_on})"
    else:
        reasons = {}
        fail_on = report.fail_on or FailOn.INFO
        below = (
            "reported, never failing (--fail-on never)"
            if fail_on is FailOn.NEVER
            else (f"below the threshold (--fail-on {fail_on.value})")
        )
    return {id(f): reasons.get(id(f), below) for f in report.findings if id(f) not in failing}


def _case_name(name: str, f: Finding, seen: Counter[str]) -> str:
    base = f"{name}: {f.rule} {f.subject}"
    seen[base] += 1
    return base if seen[base] == 1 else f"{base} #{seen[base]}"


def render(report: Report, *, compact: bool = False) -> str:
    failing = {id(f) for f in report.failing()}
    reasons = _not_failing_reasons(report, failing)
    by_check: dict[tuple[str, tuple[str, ...]], list[Finding]] = defaultdict(list)
    for f in report.findings:
        by_check[(f.check, f.environments)].append(f)
    checks = [(c.check, c.environments, c.name) for c in report.checks]
    declared = {(check, envs) for check, envs, _ in checks}
    # Findings of a check no command declared (e.g. scan issues) still get test cases.
    checks += [(c, e, f"{c}: {' → '.join(e)}") for (c, e) in by_check if (c, e) not in declared]

    root = ET.Element("testsuites", name=f"envaudit {report.command}")
    suites: dict[tuple[str, ...], ET.Element] = {}
    seen: Counter[str] = Counter()
    for check, envs, check_name in checks:
        shown = [_short(e) for e in envs]
        suite = suites.get(envs)
        if suite is None:
            suite = suites[envs] = ET.SubElement(
                root, "testsuite", name=f"envaudit {report.command}: {' → '.join(shown)}"
            )
        name = check_name
        for label, short in zip(envs, shown, strict=True):
            name = name.replace(label, short)
        found = by_check.get((check, envs), [])
        if not found:
            ET.SubElement(suite, "testcase", classname=f"envaudit.{check}", name=name)
        for f in found:
            case = ET.SubElement(
                suite, "testcase", classname=f"envaudit.{check}", name=_case_name(name, f, seen)
            )
            if id(f) in failing:
                failure = ET.SubElement(case, "failure", type=f.rule, message=f.message)
                failure.text = f"{f.severity.value} {f.rule}: {f.message}" + (
                    f" ({f.location})" if f.location else ""
                )
            else:
                ET.SubElement(case, "skipped", message=reasons[id(f)])
    if report.unscanned:
        suite = ET.SubElement(root, "testsuite", name=f"envaudit {report.command}: targets")
        for u in report.unscanned:
            case = ET.SubElement(suite, "testcase", classname="envaudit.scan", name=f"scan {_short(u.label)}")
            error = ET.SubElement(case, "error", type=f"exit {u.exit_code}", message=u.error)
            error.text = u.error
    for element in (*root.findall("testsuite"), root):
        element.set("tests", str(len(element.findall(".//testcase"))))
        element.set("failures", str(len(element.findall(".//failure"))))
        element.set("errors", str(len(element.findall(".//error"))))
        if element is not root:  # the schema has no skipped count on <testsuites>
            element.set("skipped", str(len(element.findall(".//skipped"))))
        element.set("time", "0")  # envaudit does not time checks; the schema's readers want the field
    for element in root.iter():  # values from targets: characters XML cannot hold are escaped
        if element.text:
            element.text = xml(element.text)
        for key, value in element.attrib.items():
            element.set(key, xml(value))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
