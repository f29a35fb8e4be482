"""The rule registry: every finding's stable id, default severity and help text.

Ids never change meaning; new rules get new ids. EA1xx distributions, EA2xx interpreter,
EA3xx environment variables, EA4xx declared requirements, EA5xx scan issues; later families
(probes, vulnerabilities, images) take the next hundreds.
"""

from __future__ import annotations

from dataclasses import dataclass

from envaudit.findings import Severity


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    name: str
    severity: Severity
    summary: str
    help: str


_RULES = [
    Rule(
        "EA101",
        "distribution-added",
        Severity.WARNING,
        "A distribution is installed here but not in the reference",
        "Code may import something the reference environment lacks, or a plugin may be picked up only here.",
    ),
    Rule(
        "EA102",
        "distribution-removed",
        Severity.ERROR,
        "A distribution of the reference is missing here",
        "Imports of it fail here; optional integrations silently switch off.",
    ),
    Rule(
        "EA103",
        "version-major",
        Severity.ERROR,
        "Major version change",
        "A major version change is where libraries make breaking changes; behaviour may differ silently.",
    ),
    Rule(
        "EA104",
        "version-minor",
        Severity.WARNING,
        "Minor version change",
        "Minor releases deprecate, change defaults and fix bugs: results can differ.",
    ),
    Rule(
        "EA105",
        "version-patch",
        Severity.INFO,
        "Patch version change",
        "Patch releases fix bugs; a fixed bug can still change results.",
    ),
    Rule(
        "EA106",
        "version-prerelease",
        Severity.WARNING,
        "A pre-release version on one side",
        "Pre-releases are unfinished; one side runs code that was never released as final.",
    ),
    Rule(
        "EA107",
        "version-local",
        Severity.WARNING,
        "Only the local version label differs (e.g. +cpu vs +cu121)",
        "Local labels mark different builds of the same release: a CPU and a CUDA wheel behave differently.",
    ),
    Rule(
        "EA108",
        "version-downgrade",
        Severity.ERROR,
        "Version is lower than in the reference",
        "A downgrade reintroduces fixed bugs and removes features the code may rely on.",
    ),
    Rule(
        "EA109",
        "version-invalid",
        Severity.WARNING,
        "Versions differ and one is not a valid PEP 440 version",
        "The change cannot be classified; compare the two builds by hand.",
    ),
    Rule(
        "EA110",
        "origin-changed",
        Severity.WARNING,
        "Same distribution installed from a different origin",
        "An editable checkout or a VCS commit is not the released wheel, even with the same version number.",
    ),
    Rule(
        "EA201",
        "python-version",
        Severity.ERROR,
        "Python version differs",
        "Different Python versions change semantics, available features and which wheels install.",
    ),
    Rule(
        "EA202",
        "python-implementation",
        Severity.ERROR,
        "Python implementation differs (e.g. CPython vs PyPy)",
        "Different implementations differ in C extensions, performance and details of behaviour.",
    ),
    Rule(
        "EA203",
        "platform",
        Severity.ERROR,
        "Operating system or machine architecture differs",
        "Different platforms get different wheels and native code.",
    ),
    Rule(
        "EA204",
        "libc",
        Severity.WARNING,
        "C library or its version differs",
        "Native extensions and numeric libraries built against another libc may behave differently.",
    ),
    Rule(
        "EA205",
        "markers",
        Severity.INFO,
        "Another PEP 508 marker value differs",
        "Requirement markers may select different dependencies here.",
    ),
    Rule(
        "EA301",
        "env-added",
        Severity.INFO,
        "An environment variable is set here but not in the reference",
        "Relevant variables (PYTHON*, thread counts, locale, TZ, PIP_*) change behaviour: warnings.",
    ),
    Rule(
        "EA302",
        "env-removed",
        Severity.INFO,
        "An environment variable of the reference is not set here",
        "Relevant variables (PYTHON*, thread counts, locale, TZ, PIP_*) change behaviour: warnings.",
    ),
    Rule(
        "EA303",
        "env-changed",
        Severity.INFO,
        "An environment variable has a different value",
        "Secrets are compared by keyed fingerprint only and never shown.",
    ),
    Rule(
        "EA304",
        "env-incomparable",
        Severity.INFO,
        "A secret cannot be compared: fingerprints made with other keys",
        "Set the same ENVAUDIT_FINGERPRINT_KEY for the scans you want to compare.",
    ),
    Rule(
        "EA401",
        "requirement-unsatisfied",
        Severity.ERROR,
        "A declared requirement is satisfied in the reference but not here",
        "The environment no longer matches what the project declares.",
    ),
    Rule(
        "EA402",
        "requirement-unpinned",
        Severity.INFO,
        "A declared requirement has no version constraint",
        "Any version can be installed, so environments drift apart. `envaudit pin` proposes pins.",
    ),
    Rule(
        "EA403",
        "requirement-loose",
        Severity.INFO,
        "A declared requirement has only a lower bound",
        "Every future major release is allowed. `envaudit pin` proposes pins.",
    ),
    Rule(
        "EA404",
        "requirement-fixed",
        Severity.INFO,
        "A declared requirement failing in the reference holds here",
        "The mirror of EA401: this environment matches the declaration where the reference does not.",
    ),
    Rule(
        "EA501",
        "scan-issue",
        Severity.INFO,
        "Something could not be read during the scan",
        "Unreadable or corrupt metadata; the distribution's facts may be incomplete.",
    ),
    Rule(
        "EA701",
        "vulnerability",
        Severity.ERROR,
        "An installed version has a known vulnerability",
        "Upgrade to the fixed version shown, or ignore it in [tool.envaudit.gate] with a reason and expiry.",
    ),
    Rule(
        "EA702",
        "not-checked",
        Severity.INFO,
        "A distribution could not be checked for vulnerabilities",
        "Unknown is not clean: the service did not answer for it (not found, timeout, bad response). "
        "--strict makes this an error.",
    ),
]

RULES: dict[str, Rule] = {r.id: r for r in _RULES}


def rule(rule_id: str) -> Rule:
    return RULES[rule_id]
