"""The rule registry: every finding's stable id, default severity and help text.

Ids never change meaning; new rules get new ids. EA1xx distributions, EA2xx interpreter,
EA3xx environment variables, EA4xx declared requirements (and imports), EA5xx scan issues; later
families (vulnerabilities EA7xx, probes EA8xx, numerical runtime EA9xx) take the next hundreds.
"""

from __future__ import annotations

from dataclasses import dataclass

from envaudit.severity import Severity


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    name: str
    severity: Severity
    summary: str
    help: str


# Rule ids as names, so code says which rule it means; a test checks each against RULES.
DISTRIBUTION_ADDED = "EA101"
DISTRIBUTION_REMOVED = "EA102"
VERSION_MAJOR = "EA103"
VERSION_MINOR = "EA104"
VERSION_PATCH = "EA105"
VERSION_PRERELEASE = "EA106"
VERSION_LOCAL = "EA107"
VERSION_DOWNGRADE = "EA108"
VERSION_INVALID = "EA109"
ORIGIN_CHANGED = "EA110"
OS_PACKAGE_CHANGED = "EA111"
PYTHON_VERSION = "EA201"
PYTHON_IMPLEMENTATION = "EA202"
PLATFORM = "EA203"
LIBC = "EA204"
MARKERS = "EA205"
ENV_ADDED = "EA301"
ENV_REMOVED = "EA302"
ENV_CHANGED = "EA303"
ENV_INCOMPARABLE = "EA304"
REQUIREMENT_UNSATISFIED = "EA401"
REQUIREMENT_UNPINNED = "EA402"
REQUIREMENT_LOOSE = "EA403"
REQUIREMENT_FIXED = "EA404"
LOCK_MISMATCH = "EA410"
LOCK_MISSING = "EA411"
LOCK_UNLOCKED = "EA412"
LOCK_STALE = "EA413"
IMPORT_UNDECLARED = "EA420"
IMPORT_MISSING = "EA421"
IMPORT_UNOWNED = "EA422"
REQUIREMENT_UNUSED = "EA423"
SCAN_ISSUE = "EA501"
VULNERABILITY = "EA701"
NOT_CHECKED = "EA702"
FIXED_BY_DISTRIBUTION = "EA703"
NOT_DECIDED = "EA704"
PROBE_SILENT_DRIFT = "EA801"
PROBE_DRIFT = "EA802"
PROBE_EXCEPTION = "EA803"
PROBE_WARNINGS = "EA804"
PROBES_NOT_COMPARED = "EA806"
USER_PROBE_ROWS = "EA810"
USER_PROBE_MISSING_VALUES = "EA811"
USER_PROBE_DTYPES = "EA812"
USER_PROBE_VALUES = "EA813"
USER_PROBE_WARNINGS = "EA814"
USER_PROBE_FAILED = "EA815"
USER_PROBE_SHAPE = "EA816"
USER_PROBE_NOT_RUN = "EA817"
MODEL_NOT_LOADED = "EA820"
MODEL_PICKLED_WITH = "EA821"
MODEL_PREDICTIONS = "EA822"
MODEL_PROBABILITIES = "EA823"
RUNTIME_BLAS = "EA901"
RUNTIME_THREADS = "EA902"
RUNTIME_CPU = "EA903"
RUNTIME_LIMITS = "EA904"
RUNTIME_TIMEZONES = "EA905"
RUNTIME_LOCALE = "EA906"
RUNTIME_HASH_SEED = "EA907"
RUNTIME_NOT_COMPARED = "EA908"

# Rule for each version-change level; the level names are what ``allow_drift`` in the gate takes.
LEVEL_RULES = {
    "downgrade": VERSION_DOWNGRADE,
    "major": VERSION_MAJOR,
    "prerelease": VERSION_PRERELEASE,
    "minor": VERSION_MINOR,
    "patch": VERSION_PATCH,
    "local": VERSION_LOCAL,
    "invalid": VERSION_INVALID,
}
RULE_LEVELS = {v: k for k, v in LEVEL_RULES.items()}


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
        "EA111",
        "os-package-changed",
        Severity.WARNING,
        "The same upstream version comes from different OS packages",
        "Distributions patch what they package (1.26.12-1+deb12u1 and 1.26.12-1+deb12u4 carry different "
        "backported fixes), and a pip-installed copy has none of them: the code differs though the "
        "version does not.",
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
        "EA410",
        "lock-mismatch",
        Severity.ERROR,
        "A package is installed at another version than its lock file says",
        "The environment was not installed from the lock (or was changed since). Sync it from the lock "
        "(uv sync, poetry install --sync, pip install -r with hashes, pipenv sync), or lock again.",
    ),
    Rule(
        "EA411",
        "lock-missing",
        Severity.ERROR,
        "A package the lock installs in this environment is not installed",
        "Only what a plain sync installs counts: packages of extras and dependency groups may be absent.",
    ),
    Rule(
        "EA412",
        "lock-unlocked",
        Severity.WARNING,
        "A package is installed that the lock does not list for this environment",
        "Installed by hand or by another tool; the next deploy from the lock will not have it. "
        "The installed package that pulls it in is named. pip, setuptools and wheel are not reported.",
    ),
    Rule(
        "EA413",
        "lock-stale",
        Severity.WARNING,
        "A lock file no longer matches the project file it was made from",
        "uv.lock (recorded requirements), poetry.lock (content-hash) and Pipfile.lock (_meta.hash) can "
        "tell; pylock.toml and hashed requirements files cannot. Lock again.",
    ),
    Rule(
        "EA420",
        "import-undeclared",
        Severity.WARNING,
        "The code imports a package the project does not declare",
        "It works by accident: present only as another package's dependency (the finding names it and "
        "the constraint that holds it) or installed by hand. The next resolve may drop it or move it to "
        "another major version. Declare it.",
    ),
    Rule(
        "EA421",
        "import-missing",
        Severity.ERROR,
        "The code imports a module nothing in this environment provides",
        "The import fails here: the deploy breaks at the first code path that reaches it. Info only when "
        "every import of it is guarded (try/except ImportError, if TYPE_CHECKING).",
    ),
    Rule(
        "EA422",
        "import-unowned",
        Severity.WARNING,
        "The code imports a module no installed distribution provides, found on the path anyway",
        "A file copied into site-packages or a folder on PYTHONPATH: no installer knows it, so no rebuild "
        "of the environment brings it back.",
    ),
    Rule(
        "EA423",
        "requirement-unused",
        Severity.INFO,
        "A declared package is never imported by the project's code",
        "Dead weight, or used without an import (a plugin, a command-line tool, a database driver named "
        "in a URL): list those in [tool.envaudit.imports] ignore_unused.",
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
    Rule(
        "EA703",
        "fixed-by-distribution",
        Severity.INFO,
        "An OS package's upstream version is in an advisory's range, and the distribution fixed it",
        "Distributions backport security fixes without changing the upstream version. The "
        "distribution's own advisory (an OSV record of Debian:N, Ubuntu:N, Alpine:vN in the advisory "
        "database) or the OS package's changelog says the installed OS package carries the fix; "
        "the evidence is quoted.",
    ),
    Rule(
        "EA704",
        "not-decided",
        Severity.WARNING,
        "An OS package's upstream version is in an advisory's range; whether it is fixed is not decided",
        "The OS package may carry a backported fix: neither the distribution's advisories (add its OSV "
        "records to --advisory-db) nor the package's changelog (often removed from slim images) say. "
        "Counted as not checked; --strict makes it an error.",
    ),
    Rule(
        "EA801",
        "probe-silent-drift",
        Severity.ERROR,
        "A canonical probe gives a different result here, and neither environment warns",
        "The worst kind of drift: the same code computes something else and nothing in the logs says so. "
        "The finding names the pandas change behind it; pin pandas, or change the code to the form that "
        "behaves the same in both.",
    ),
    Rule(
        "EA802",
        "probe-drift",
        Severity.WARNING,
        "A canonical probe gives a different result here, announced by a warning",
        "A deprecation has come due (or was announced): the result differs, and one environment warned.",
    ),
    Rule(
        "EA803",
        "probe-exception",
        Severity.ERROR,
        "A canonical probe raises in one environment and not in the other",
        "Code that ran in the reference fails here (or the reverse): an API was removed or made strict.",
    ),
    Rule(
        "EA804",
        "probe-warnings",
        Severity.INFO,
        "A canonical probe gives the same result but warns differently",
        "Usually a deprecation: the result will change in a later pandas. Fix it now, while both agree.",
    ),
    Rule(
        "EA806",
        "probes-not-compared",
        Severity.INFO,
        "Behaviour could not be compared",
        "One side was not probed (scan it with --probe), or lacks the library a suite probes (a suite "
        "that ran on one side only). --strict (or [tool.envaudit.probe] strict) makes it an error.",
    ),
    Rule(
        "EA810",
        "user-probe-rows",
        Severity.ERROR,
        "Your function returns a different number of rows here",
        "Rows dropped (or kept) differently: typically a fill that did not happen before a dropna.",
    ),
    Rule(
        "EA811",
        "user-probe-missing-values",
        Severity.ERROR,
        "Your function leaves a different number of missing values in a column",
        "An imputation that fills in one environment and silently does not in the other.",
    ),
    Rule(
        "EA812",
        "user-probe-dtypes",
        Severity.WARNING,
        "Your function's output has different dtypes here",
        "Downstream code (a model, a serializer) may treat the columns differently.",
    ),
    Rule(
        "EA813",
        "user-probe-values",
        Severity.ERROR,
        "Your function's output values differ beyond the tolerance",
        "The first differing rows and columns are listed; raise --tolerance for float noise only.",
    ),
    Rule(
        "EA814",
        "user-probe-warnings",
        Severity.INFO,
        "Your function warns differently here",
        "A deprecation in what your function calls: its result will change in a later version.",
    ),
    Rule(
        "EA815",
        "user-probe-failed",
        Severity.ERROR,
        "Your function failed in an environment (an exception or the time limit)",
        "The other environments still report; the error names the exception and its message.",
    ),
    Rule(
        "EA816",
        "user-probe-shape",
        Severity.WARNING,
        "Your function's output (or a part of it) has another shape here",
        "An array with other dimensions: a column dropped (an imputer skipping an all-NaN column), or "
        "an inverse that is no longer flattened. Code indexing it downstream reads something else.",
    ),
    Rule(
        "EA817",
        "user-probe-not-run",
        Severity.INFO,
        "Your probe could not run in an environment",
        "A library its data or code needs is missing there (pandas to read Parquet, scikit-learn for "
        "its code): nothing was compared, which is not the same as nothing found. --strict (or "
        "[tool.envaudit.probe] strict) makes it an error.",
    ),
    Rule(
        "EA820",
        "model-not-loaded",
        Severity.ERROR,
        "Your model cannot be loaded in an environment",
        "Unpickling failed there (the exception is named): a module or class that moved or is missing, "
        "or a version whose pickles it cannot read. Serving would fail on start-up.",
    ),
    Rule(
        "EA821",
        "model-pickled-with",
        Severity.WARNING,
        "Your model was pickled with another scikit-learn than the one loading it",
        "scikit-learn's InconsistentVersionWarning: estimators are not guaranteed to behave the same "
        "across versions. Retrain (or re-export) the model with the serving version, or pin it.",
    ),
    Rule(
        "EA822",
        "model-predictions",
        Severity.ERROR,
        "Your model predicts other values on the same data here",
        "Rows whose prediction changed are counted and the first few named, with both values.",
    ),
    Rule(
        "EA823",
        "model-probabilities",
        Severity.WARNING,
        "Your model's probabilities (or transformed values) move beyond the tolerance here",
        "The largest shift is named with its row and column; predictions may still agree. Raise "
        "--tolerance if shifts this small do not matter to you.",
    ),
    Rule(
        "EA901",
        "runtime-blas",
        Severity.WARNING,
        "numpy or scipy uses another BLAS/LAPACK (library or version) here",
        "Same package versions, different kernels: float reductions (sums, dot products, matrix "
        "products, solvers) may differ in the last bits, and iterative fits amplify them.",
    ),
    Rule(
        "EA902",
        "runtime-threads",
        Severity.WARNING,
        "Numerical libraries run with another thread count here",
        "BLAS splits a reduction across its threads and adds the parts in another order: results move "
        "in the last bits (the probe case numpy-dot-threads shows it). Set OMP_NUM_THREADS and "
        "OPENBLAS_NUM_THREADS (or MKL_NUM_THREADS) the same in both.",
    ),
    Rule(
        "EA903",
        "runtime-cpu",
        Severity.INFO,
        "The CPU offers other SIMD features here (or BLAS chose another kernel)",
        "numpy and BLAS choose kernels at run time by CPU feature (AVX2, AVX-512, SVE): float results may "
        "differ in the last bits. Warning when OpenBLAS's chosen kernel differs.",
    ),
    Rule(
        "EA904",
        "runtime-limits",
        Severity.INFO,
        "The CPU or memory limit (cgroup) differs here",
        "A container's --cpus sets how many threads libraries start by default, and --memory what fits: "
        "thread counts, speed and out-of-memory failures follow.",
    ),
    Rule(
        "EA905",
        "runtime-timezones",
        Severity.WARNING,
        "Another time-zone database (IANA release) or local zone here",
        "pandas and Python's zoneinfo convert times with the OS zoneinfo or the tzdata package, pytz with "
        "its own: a release changes offsets and DST rules for the zones it touches.",
    ),
    Rule(
        "EA906",
        "runtime-locale",
        Severity.WARNING,
        "Another locale here",
        "Number parsing and formatting (decimal point, thousands separator), string collation and the "
        "default encoding follow the locale in code that calls setlocale.",
    ),
    Rule(
        "EA907",
        "runtime-hash-seed",
        Severity.WARNING,
        "PYTHONHASHSEED differs (or is unset, random per process) here",
        "Set and dict-of-set iteration order over strings follows the hash seed: feature lists built from "
        "sets change column order between runs and between environments.",
    ),
    Rule(
        "EA908",
        "runtime-not-compared",
        Severity.INFO,
        "Numerical runtime facts could not be compared",
        "One side was scanned without --runtime: scan both with it.",
    ),
]

RULES: dict[str, Rule] = {r.id: r for r in _RULES}


def rule(rule_id: str) -> Rule:
    return RULES[rule_id]
