"""The snapshot and its parts: frozen, slotted dataclasses holding only tuples and scalars.

Everything left of the snapshot produces one; everything right of it is a pure function of snapshots.
Field order here is the key order of the JSON form (see ``snapshot_io``), so keep it deliberate.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

SCHEMA_VERSION = 1

# A string-to-string mapping kept as sorted pairs so the model stays hashable and immutable.
# ``snapshot_io`` renders it as a JSON object.
StrPairs = tuple[tuple[str, str], ...]


class OriginKind(StrEnum):
    """Where a distribution came from, as recorded by its installer (PEP 610 direct_url.json)."""

    INDEX = "index"  # no direct_url.json: an index or a plain wheel/sdist from a resolver
    EDITABLE = "editable"
    VCS = "vcs"
    LOCAL = "local"  # a local directory, installed non-editable
    ARCHIVE = "archive"  # a wheel or sdist given by URL or path
    UNKNOWN = "unknown"  # no installer record at all (distro packages, hand-copied metadata)


class MetadataFormat(StrEnum):
    DIST_INFO = "dist-info"
    EGG_INFO = "egg-info"


class PinKind(StrEnum):
    PINNED = "pinned"
    BOUNDED = "bounded"
    LOWER_BOUND_ONLY = "lower-bound-only"
    UNPINNED = "unpinned"
    URL = "url"


class RequirementKind(StrEnum):
    REQUIREMENT = "requirement"
    CONSTRAINT = "constraint"
    LOCKED = "locked"  # an entry of a lock file, for this environment's markers


class RequirementStatus(StrEnum):
    SATISFIED = "satisfied"
    WRONG_VERSION = "wrong-version"
    MISSING = "missing"
    NOT_APPLICABLE = "not-applicable"  # its marker is false in this environment
    UNKNOWN = "unknown"  # e.g. the installed version is not a valid PEP 440 version


@dataclass(frozen=True, slots=True)
class Provenance:
    envaudit_version: str
    target: str  # as the user spelled it
    target_kind: str
    scanned_at: str  # ISO 8601, UTC
    scanned_on: str  # host name of the machine that ran envaudit
    fingerprint_key_id: str  # which key made the secret fingerprints; only equal ids compare
    project: str | None = None  # folder the declared requirements were read from
    chosen: str | None = None  # how the target was resolved, when it is not what was spelt ("local")


@dataclass(frozen=True, slots=True)
class Interpreter:
    requested: str  # what the target asked to run; may be a shim
    executable: str  # sys.executable of the running interpreter
    resolved_executable: str  # with symlinks resolved
    version: str
    implementation: str
    prefix: str
    base_prefix: str
    is_venv: bool
    os: str
    os_release: str
    machine: str
    libc: str
    libc_version: str
    markers: StrPairs
    sys_path: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Origin:
    kind: OriginKind
    url: str | None = None
    vcs: str | None = None
    commit: str | None = None
    requested_revision: str | None = None


@dataclass(frozen=True, slots=True)
class ChangelogFix:
    """A security id an OS package's changelog names: the entry's version, and the item quoted."""

    id: str  # upper case: CVE-2023-43804, GHSA-..., PYSEC-...
    version: str  # of the changelog entry that names it
    text: str


@dataclass(frozen=True, slots=True)
class OSPackage:
    """The OS package a distribution was installed by (``apt install python3-urllib3``)."""

    manager: str  # "dpkg", "apk" or "rpm"
    name: str  # the binary package: python3-urllib3
    version: str  # the OS package's full version: 1.26.12-1+deb12u4
    source: str  # the source package its advisories name: python-urllib3
    source_version: str
    architecture: str = ""
    fixes: tuple[ChangelogFix, ...] = ()


@dataclass(frozen=True, slots=True)
class Distro:
    """The OS distribution of an image or host (os-release), recorded when OS packages own
    distributions: its advisories are named by it (Debian:12, Alpine:v3.20, Ubuntu:22.04:LTS)."""

    id: str  # debian, ubuntu, alpine, fedora, ...
    version_id: str = ""
    codename: str = ""
    name: str = ""  # PRETTY_NAME
    id_like: str = ""


@dataclass(frozen=True, slots=True)
class Distribution:
    name: str
    version: str
    canonical_name: str
    location: str  # the sys.path folder it lives in
    metadata_path: str
    metadata_format: MetadataFormat
    installer: str | None
    origin: Origin
    requires_dist: tuple[str, ...] = ()
    requires_python: str | None = None
    shadowed_by: str | None = None  # set only in Snapshot.shadowed: the location that wins
    layer: str | None = None  # images: the digest of the layer that introduced it
    os_package: OSPackage | None = None  # the OS package that owns it, if one does


@dataclass(frozen=True, slots=True)
class EnvVar:
    name: str
    value: str | None  # None when redacted; a URL keeps its shape with the password masked
    redacted: bool
    relevant: bool  # changes how Python code behaves (PYTHONPATH, thread counts, locale, ...)
    fingerprint: str | None = None  # keyed hash of the clear value, only for redacted variables
    reason: str | None = None  # why it was redacted


@dataclass(frozen=True, slots=True)
class Requirement:
    """A declared requirement, and how the scanned environment stands against it."""

    name: str
    canonical_name: str
    text: str  # the requirement as written, without comments or options
    source: str  # the file it was declared in
    line: int | None
    kind: RequirementKind
    group: str | None  # e.g. "dependencies", "optional:dev", "group:test"
    pin: PinKind
    specifier: str = ""
    extras: tuple[str, ...] = ()
    marker: str | None = None
    url: str | None = None
    editable: bool = False
    hashes: tuple[str, ...] = ()
    status: RequirementStatus = RequirementStatus.UNKNOWN
    installed_version: str | None = None


@dataclass(frozen=True, slots=True)
class Issue:
    """Something that went wrong while scanning, kept as data: the scan goes on."""

    code: str
    message: str
    path: str | None = None


@dataclass(frozen=True, slots=True)
class Image:
    """The image a snapshot was read from (docker, docker-archive, oci and oci-archive targets)."""

    reference: str  # as given: an archive, a layout folder or an image name
    id: str  # the config's digest, what `docker images --digests` calls the image ID
    read: str  # "static": layers read as files, no code run; "engine": scanned in a container
    os: str = ""
    architecture: str = ""
    repo_tags: tuple[str, ...] = ()
    repo_digests: tuple[str, ...] = ()  # name@sha256:..., what the engine knows the image by in registries
    cmd: tuple[str, ...] = ()
    entrypoint: tuple[str, ...] = ()
    user: str = ""
    working_dir: str = ""
    labels: StrPairs = ()
    layers: tuple[str, ...] = ()  # layer digests, bottom first


class ProbeStatus(StrEnum):
    OK = "ok"
    ERROR = "error"  # it raised: the exception is the result
    TIMEOUT = "timeout"
    NOT_RUN = "not-run"  # it could not run here (a library its data or code needs is missing)


@dataclass(frozen=True, slots=True)
class ProbeWarning:
    category: str  # e.g. FutureWarning
    message: str  # first line, addresses and paths blanked


@dataclass(frozen=True, slots=True)
class ProbeCase:
    """One canonical case's outcome in one environment."""

    id: str
    status: ProbeStatus
    fingerprint: str = ""  # of the whole canonical result; equal results, equal fingerprints
    result: str = ""  # the canonical result as JSON (values capped), for reports to show side by side
    warnings: tuple[ProbeWarning, ...] = ()
    error_type: str = ""
    error: str = ""


@dataclass(frozen=True, slots=True)
class ColumnCount:
    column: str
    count: int


@dataclass(frozen=True, slots=True)
class UserProbe:
    """The user's function run on the user's data in one environment."""

    name: str  # FILE.py:FUNCTION
    data: str  # the data file's name
    data_sha256: str
    status: ProbeStatus
    rows_in: int | None = None
    rows_out: int | None = None
    nan_in: tuple[ColumnCount, ...] = ()
    nan_out: tuple[ColumnCount, ...] = ()
    missing_rows: str = ""  # JSON [[row label, [columns missing in the input]], ...]
    dtypes: StrPairs = ()  # of the output, by column
    columns: tuple[str, ...] = ()  # of the output, in order
    fingerprint: str = ""
    index: str = ""  # the output's index labels, JSON
    values: str = ""  # the output's values, JSON [[column, [values]], ...]
    truncated: bool = False  # values capped: only the fingerprint covers all of them
    warnings: tuple[ProbeWarning, ...] = ()
    error_type: str = ""
    error: str = ""
    kind: str = "table"  # table: rows and columns; values: named parts (a scalar, a list or dict of arrays)
    shapes: StrPairs = ()  # of array outputs, by part: "(3, 2)"


@dataclass(frozen=True, slots=True)
class PickledWith:
    """scikit-learn's unpickling warning: the estimator was pickled by another version."""

    estimator: str
    pickled: str  # the version that pickled it
    loaded: str  # the version loading it here


@dataclass(frozen=True, slots=True)
class ModelProbe:
    """The user's fitted model (``--model``), loaded in one environment and run on the user's data."""

    name: str  # the model file's name
    data: str
    data_sha256: str
    status: ProbeStatus  # of loading it; ERROR: it could not be loaded here (the error says why)
    estimator: str = ""  # module.Class of what was unpickled
    pickled_with: tuple[PickledWith, ...] = ()
    outputs: tuple[UserProbe, ...] = ()  # one per method run (predict, predict_proba, transform)
    warnings: tuple[ProbeWarning, ...] = ()  # while loading
    error_type: str = ""
    error: str = ""


# The libraries a probe run records, by its field name, with the name people know them by.
PROBED_LIBRARIES = {
    "pandas": "pandas",
    "numpy": "numpy",
    "sklearn": "scikit-learn",
    "scipy": "scipy",
    "pyarrow": "pyarrow",
}


@dataclass(frozen=True, slots=True)
class SuiteRun:
    """Whether one canonical suite ran in an environment, and if not, why (its library is missing)."""

    name: str  # pandas, numpy, sklearn
    ran: bool
    reason: str = ""


@dataclass(frozen=True, slots=True)
class ProbeRun:
    """Behavioural probes run inside an environment (``scan --probe``, ``probe``)."""

    suite_version: str
    applicable: bool  # False: no numpy (nor pandas) to probe (the reason says why); not an error
    reason: str = ""
    pandas: str | None = None
    numpy: str | None = None
    pyarrow: str | None = None
    cases: tuple[ProbeCase, ...] = ()
    user: tuple[UserProbe, ...] = ()
    seconds: float = 0.0
    sklearn: str | None = None
    scipy: str | None = None
    suites: tuple[SuiteRun, ...] = ()  # empty in snapshots saved before suites: the pandas suite ran
    models: tuple[ModelProbe, ...] = ()

    def version(self, key: str) -> str | None:
        """The version of a library by its field name (pandas, numpy, sklearn, scipy, pyarrow)."""
        value: str | None = getattr(self, key, None)
        return value

    def libraries(self) -> tuple[tuple[str, str], ...]:
        """The probed libraries found, as (name, version): pandas, numpy, scikit-learn, scipy, pyarrow."""
        pairs = ((name, self.version(key)) for key, name in PROBED_LIBRARIES.items())
        return tuple((name, version) for name, version in pairs if version)

    def suite_state(self, suite: str) -> bool | None:
        """True: the suite ran; False: it was to run and could not (its library missing, the reason
        in ``suites``); None: it was not asked for (--suite, --case). Snapshots from before suites
        ran pandas' (or could not: not applicable, the reason in ``reason``) and knew no other."""
        if not self.suites:
            return self.applicable if suite == "pandas" else None
        return next((s.ran for s in self.suites if s.name == suite), None)


class ModuleSource(StrEnum):
    """Where an imported top-level module comes from in one environment."""

    STDLIB = "stdlib"  # the standard library of this environment's Python
    DISTRIBUTION = "distribution"  # installed by a distribution (RECORD or top_level.txt says so)
    UNOWNED = "unowned"  # importable here, but no distribution installs it (copied, PYTHONPATH)
    MISSING = "missing"  # not importable here: the import fails


@dataclass(frozen=True, slots=True)
class ImportedModule:
    """A top-level module the project's code imports (its own modules left out)."""

    module: str
    source: ModuleSource
    distributions: tuple[str, ...] = ()  # canonical names of the distributions providing it here
    places: tuple[str, ...] = ()  # where it is imported, "path:line" (the first few)
    count: int = 0  # import statements naming it
    conditional: bool = False  # every import is guarded (try/except ImportError, TYPE_CHECKING)


@dataclass(frozen=True, slots=True)
class Imports:
    """The project's imports against this environment (``scan --project``): read with ``ast``,
    no code run."""

    project: str  # the folder read
    files: int  # Python files and notebooks read
    modules: tuple[ImportedModule, ...] = ()
    unused: tuple[str, ...] = ()  # declared distributions (canonical names) whose modules no code imports


@dataclass(frozen=True, slots=True)
class MathLibrary:
    """A numerical library loaded in the process, asked through its C entry points."""

    kind: str  # openblas, mkl, blis, flexiblas, openmp
    file: str
    version: str | None = None
    threads: int | None = None
    architecture: str = ""  # the kernel OpenBLAS chose for this CPU (Haswell, SkylakeX, ...)
    config: str = ""


@dataclass(frozen=True, slots=True)
class BuildLibrary:
    """The BLAS or LAPACK a package says it was built against (``numpy.show_config()``)."""

    api: str  # blas, lapack
    name: str
    version: str = ""


@dataclass(frozen=True, slots=True)
class NumericPackage:
    name: str  # numpy, scipy
    version: str = ""
    build: tuple[BuildLibrary, ...] = ()
    loaded: tuple[MathLibrary, ...] = ()  # numpy only: scipy is read, not imported


@dataclass(frozen=True, slots=True)
class CPU:
    count: int | None = None
    usable: int | None = None  # the CPUs this process may run on (affinity)
    model: str = ""
    flags: tuple[str, ...] = ()  # the SIMD features kernels are chosen by (avx2, avx512f, sve, ...)


@dataclass(frozen=True, slots=True)
class Limits:
    """cgroup limits on the process: what a container's --cpus and --memory set."""

    cgroup: int | None = None  # 1 or 2; None: no cgroup file system
    cpus: float | None = None  # None: no limit
    memory: int | None = None  # bytes; None: no limit


@dataclass(frozen=True, slots=True)
class TimeZones:
    """Each time-zone database a pipeline may read, by its IANA release (2024b)."""

    tz: str | None = None  # $TZ
    localtime: str = ""  # the zone /etc/localtime names
    system: str | None = None  # the OS's zoneinfo, what Python's zoneinfo reads first
    system_path: str | None = None
    tzdata_package: str | None = None  # the tzdata distribution's, zoneinfo's fallback
    pytz: str | None = None  # pytz carries its own


@dataclass(frozen=True, slots=True)
class Locale:
    variables: StrPairs = ()  # LC_ALL, LC_NUMERIC, ..., LANG as set
    effective: str = ""  # what setlocale(LC_ALL, "") gives; "unavailable": not installed here
    decimal_point: str = ""
    thousands_sep: str = ""
    encoding: str = ""
    error: str = ""


@dataclass(frozen=True, slots=True)
class Runtime:
    """Facts that change numbers without a version change (``scan --runtime``)."""

    threads: StrPairs = ()  # OMP_NUM_THREADS, OPENBLAS_NUM_THREADS, ... as set
    hash_seed: str | None = None  # PYTHONHASHSEED; None: unset (random per process)
    cpu: CPU = CPU()
    limits: Limits = Limits()
    timezones: TimeZones = TimeZones()
    locale: Locale = Locale()
    numpy: NumericPackage | None = None
    scipy: NumericPackage | None = None


@dataclass(frozen=True, slots=True)
class Snapshot:
    schema_version: int
    provenance: Provenance
    interpreter: Interpreter
    distributions: tuple[Distribution, ...]
    shadowed: tuple[Distribution, ...] = ()
    environment: tuple[EnvVar, ...] = ()
    requirements: tuple[Requirement, ...] = ()
    issues: tuple[Issue, ...] = ()
    image: Image | None = None
    probes: ProbeRun | None = None
    distro: Distro | None = None
    imports: Imports | None = None  # scan --project
    runtime: Runtime | None = None  # scan --runtime
