"""Numerical runtime facts: what changes a model's numbers without changing a package version.

Collected by the in-target scanner when asked (``scan --runtime``): the BLAS/LAPACK numpy really
loaded and its thread count, the CPU's SIMD features, cgroup CPU and memory limits, the time-zone
databases (the OS's, the ``tzdata`` package's, pytz's), the locale and ``PYTHONHASHSEED``.

Runs inside targets, spliced into the scanner like ``metadata.py``: standard library only, Python
3.8 syntax and APIs. Only numpy is imported, and only because its BLAS is chosen when it loads;
scipy's build is read from its ``__config__.py`` without importing scipy (``scipy.linalg`` alone
costs more than numpy). Loaded libraries are found as threadpoolctl finds them (the process's
memory map) and asked for their version and threads through the same C entry points.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs start-up time in every target; annotations are never evaluated
    from typing import Any, Dict, List, Optional

# Variables that set how many threads a numerical library starts (read when it loads).
THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "GOTO_NUM_THREADS",
    "MKL_DYNAMIC",
    "OMP_DYNAMIC",
)
LOCALE_VARIABLES = ("LC_ALL", "LC_NUMERIC", "LC_CTYPE", "LC_COLLATE", "LC_TIME", "LANG")
# The variables the facts depend on; a local target's scanner runs in a minimal environment, so
# envaudit sends the user's values of these (``environ`` in the options) to be put back first.
RUNTIME_VARIABLES = THREAD_VARIABLES + LOCALE_VARIABLES + ("TZ", "PYTHONHASHSEED")
# CPU features numpy, OpenBLAS and MKL choose kernels by (x86 and Arm names as /proc/cpuinfo spells them).
SIMD_FLAGS = (
    "sse2", "sse3", "ssse3", "sse4_1", "sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512cd",
    "avx512bw", "avx512dq", "avx512vl", "avx512_vnni", "avx512_bf16", "avx512_fp16", "amx_tile",
    "asimd", "asimdhp", "asimddp", "sve", "sve2", "fphp",
)  # fmt: skip
SYSTEM_ZONEINFO = ("/usr/share/zoneinfo", "/usr/lib/zoneinfo", "/usr/share/lib/zoneinfo", "/etc/zoneinfo")
MAX_SMALL_FILE = 64 * 1024
# Shared libraries asked for their version and threads: (kind, file name fragment).
LIBRARIES = (
    ("openblas", "openblas"),
    ("mkl", "libmkl_rt"),
    ("blis", "libblis"),
    ("flexiblas", "libflexiblas"),
    ("blas", "libblas.so"),  # Debian's alternatives: netlib's reference BLAS (no version to ask)
    ("blas", "libcblas.so"),
    ("openmp", "libgomp"),
    ("openmp", "libiomp"),
    ("openmp", "libomp"),
)


def _read(path: str, limit: int = MAX_SMALL_FILE) -> Optional[str]:
    try:
        with open(path, "rb") as fh:
            return fh.read(limit).decode("utf-8", "replace")
    except (OSError, ValueError):
        return None


def apply_environ(environ: Any) -> None:
    """Put back the user's runtime variables (a local target's scanner runs without them);
    a null value means the user had it unset."""
    if not isinstance(environ, dict):
        return
    for name in RUNTIME_VARIABLES:
        if name not in environ:
            continue
        value = environ[name]
        if isinstance(value, str):
            os.environ[name] = value
        else:
            os.environ.pop(name, None)


def cpu() -> Dict[str, Any]:
    facts = {"count": os.cpu_count(), "usable": None, "model": "", "flags": []}  # type: Dict[str, Any]
    if hasattr(os, "sched_getaffinity"):
        try:
            facts["usable"] = len(os.sched_getaffinity(0))
        except OSError:  # not allowed to ask: the count alone is said
            facts["usable"] = None
    text = _read("/proc/cpuinfo", 1024 * 1024) or ""
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        key = key.strip().lower()
        if not sep:
            continue
        if key in ("model name", "cpu model", "hardware") and not facts["model"]:
            facts["model"] = value.strip()[:120]
        elif key in ("flags", "features") and not facts["flags"]:
            present = set(value.split())
            facts["flags"] = [f for f in SIMD_FLAGS if f in present]
    return facts


def _cgroup_v2_folder() -> Optional[str]:
    text = _read("/proc/self/cgroup") or ""
    for line in text.splitlines():
        if line.startswith("0::"):
            path = line[3:].strip()
            for candidate in ("/sys/fs/cgroup" + path, "/sys/fs/cgroup"):
                if os.path.isfile(os.path.join(candidate, "cgroup.controllers")):
                    return candidate
    return None


def cgroup() -> Dict[str, Any]:
    """The CPU and memory limits a container or systemd unit puts on this process (None: none)."""
    limits = {"version": None, "cpus": None, "memory": None}  # type: Dict[str, Any]
    folder = _cgroup_v2_folder()
    if folder is not None:
        limits["version"] = 2
        quota = (_read(os.path.join(folder, "cpu.max")) or "").split()
        if len(quota) == 2 and quota[0] != "max" and quota[0].isdigit() and quota[1].isdigit():
            limits["cpus"] = round(int(quota[0]) / max(1, int(quota[1])), 3)
        memory = (_read(os.path.join(folder, "memory.max")) or "").strip()
        if memory.isdigit():
            limits["memory"] = int(memory)
        return limits
    quota_text = _read("/sys/fs/cgroup/cpu/cpu.cfs_quota_us")
    if quota_text is None:
        quota_text = _read("/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us")
    if quota_text is not None:
        limits["version"] = 1
        period = _read("/sys/fs/cgroup/cpu/cpu.cfs_period_us") or _read(
            "/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us"
        )
        quota_v1 = quota_text.strip()  # -1: no limit
        if quota_v1.isdigit() and period and period.strip().isdigit():
            limits["cpus"] = round(int(quota_v1) / max(1, int(period.strip())), 3)
        memory = (_read("/sys/fs/cgroup/memory/memory.limit_in_bytes") or "").strip()
        # v1 says "no limit" with a huge number (the page-rounded maximum of a signed 64-bit int)
        if memory.isdigit() and int(memory) < (1 << 62):
            limits["memory"] = int(memory)
    return limits


def _zi_version(folder: str) -> Optional[str]:
    """The IANA release of a compiled zoneinfo folder: tzdata.zi's first line, else +VERSION."""
    first = (_read(os.path.join(folder, "tzdata.zi"), 256) or "").split("\n", 1)[0]
    if first.startswith("# version "):
        version = first[len("# version ") :].strip()
        if version and version != "unknown":
            return version[:20]
    plus = (_read(os.path.join(folder, "+VERSION"), 256) or "").strip()
    return plus[:20] or None


def _on_path(relative: str) -> Optional[str]:
    for entry in sys.path:
        if entry and os.path.isdir(os.path.join(entry, relative)):
            return os.path.join(entry, relative)
    return None


def timezone() -> Dict[str, Any]:
    """Each time-zone database a pipeline may read, and its IANA release. Python's zoneinfo reads
    the OS's first and the ``tzdata`` package's only without one; pytz and dateutil carry their own."""
    system = next((f for f in SYSTEM_ZONEINFO if os.path.isdir(f)), None)
    localtime = ""
    try:
        target = os.path.realpath("/etc/localtime")
        if os.path.exists("/etc/localtime"):
            marker = "/zoneinfo/"
            localtime = target.split(marker, 1)[1] if marker in target else target
    except OSError:
        pass
    package = _on_path(os.path.join("tzdata", "zoneinfo"))
    pytz_folder = _on_path(os.path.join("pytz", "zoneinfo"))
    pytz_version = None
    if pytz_folder is not None:
        pytz_version = _zi_version(pytz_folder)
        if pytz_version is None:  # pytz writes "# version unknown"; its __init__ names the release
            init = _read(os.path.join(os.path.dirname(pytz_folder), "__init__.py"), 16 * 1024) or ""
            for line in init.splitlines():
                if line.startswith("OLSON_VERSION"):
                    pytz_version = line.partition("=")[2].strip().strip("'\"")[:20] or None
                    break
    return {
        "tz": os.environ.get("TZ"),
        "localtime": localtime[:120],
        "system": _zi_version(system) if system else None,
        "system_path": system,
        "tzdata_package": _zi_version(package) if package else None,
        "pytz": pytz_version,
    }


def locale_facts() -> Dict[str, Any]:
    """What a program that calls ``setlocale(LC_ALL, "")`` gets (pandas and numpy's text parsing and
    formatting, sorted strings), from the locale variables; "unavailable" when the named locale is
    not installed (the C library then stays in "C")."""
    import locale

    variables = {k: os.environ[k] for k in LOCALE_VARIABLES if k in os.environ}
    facts = {"variables": variables, "effective": "", "decimal_point": "", "encoding": ""}  # type: Dict[str, Any]
    try:
        facts["effective"] = locale.setlocale(locale.LC_ALL, "")[:200]
        conventions = locale.localeconv()
        facts["decimal_point"] = str(conventions.get("decimal_point", ""))
        facts["thousands_sep"] = str(conventions.get("thousands_sep", ""))
        facts["encoding"] = locale.getpreferredencoding(False)
    except locale.Error as exc:
        facts["effective"] = "unavailable"
        facts["error"] = str(exc)[:200]
    finally:  # the scanner's own output must not follow the user's locale
        locale.setlocale(locale.LC_ALL, "C")
    return facts


def _loaded_libraries() -> List[str]:
    """Paths of the shared libraries loaded in this process (Linux's memory map)."""
    text = _read("/proc/self/maps", 16 * 1024 * 1024) or ""
    seen = []  # type: List[str]
    for line in text.splitlines():
        path = line.split(None, 5)[-1] if line.count(" ") >= 5 else ""
        if path.startswith("/") and ".so" in path and path not in seen:
            seen.append(path)
    return seen


def _symbol(lib: Any, names: List[str]) -> Any:
    for name in names:
        try:
            return getattr(lib, name)
        except AttributeError:
            continue
    return None


def _variants(base: str) -> List[str]:
    """OpenBLAS's entry points as vendored builds rename them (scipy-openblas: prefix and 64_ suffix)."""
    return [p + base + s for p in ("", "scipy_") for s in ("", "64_", "_64")]


def _c_text(function: Any) -> str:
    import ctypes

    function.restype = ctypes.c_char_p
    return (function() or b"").decode("utf-8", "replace")[:200]


def _buffer_text(function: Any) -> str:
    import ctypes

    buffer = ctypes.create_string_buffer(200)
    function(buffer, 200)
    return buffer.value.decode("utf-8", "replace")[:200]


def _threads(lib: Any, names: List[str], info: Dict[str, Any]) -> None:
    """The library's thread count, from the first of ``names`` it exports."""
    threads = _symbol(lib, names)
    if threads is not None:
        info["threads"] = int(threads())


def _openblas(lib: Any, info: Dict[str, Any]) -> None:
    config = _symbol(lib, _variants("openblas_get_config"))
    core = _symbol(lib, _variants("openblas_get_corename"))
    _threads(lib, _variants("openblas_get_num_threads"), info)
    if config is not None:
        info["config"] = _c_text(config)  # "OpenBLAS 0.3.27 DYNAMIC_ARCH NO_AFFINITY Haswell MAX_THREADS=64"
        words = info["config"].split()
        if len(words) > 1 and words[0] == "OpenBLAS":
            info["version"] = words[1]
    if core is not None:
        info["architecture"] = _c_text(core)[:40]


def _mkl(lib: Any, info: Dict[str, Any]) -> None:
    version = _symbol(lib, ["MKL_Get_Version_String"])
    _threads(lib, ["MKL_Get_Max_Threads"], info)
    if version is not None:
        # "Intel(R) oneAPI Math Kernel Library Version 2024.1-Product Build ..."
        info["config"] = _buffer_text(version)
        words = [w for w in info["config"].split() if w[:1].isdigit()]
        info["version"] = words[0].rstrip(",") if words else None


def _blis(lib: Any, info: Dict[str, Any]) -> None:
    version = _symbol(lib, ["bli_info_get_version_str"])
    _threads(lib, ["bli_thread_get_num_threads"], info)
    if version is not None:
        info["version"] = _c_text(version)[:40]


def _flexiblas(lib: Any, info: Dict[str, Any]) -> None:
    backend = _symbol(lib, ["flexiblas_current_backend"])
    if backend is not None:
        info["config"] = _buffer_text(backend)


def _openmp(lib: Any, info: Dict[str, Any]) -> None:
    _threads(lib, ["omp_get_max_threads"], info)


def _any_blas(lib: Any, info: Dict[str, Any]) -> None:
    """libblas.so.3 is whatever the OS's alternatives point to: OpenBLAS says so when asked."""
    _openblas(lib, info)
    if info.get("config"):
        info["kind"] = "openblas"


ASK = {
    "blas": _any_blas,
    "openblas": _openblas,
    "mkl": _mkl,
    "blis": _blis,
    "flexiblas": _flexiblas,
    "openmp": _openmp,
}


def _ask(kind: str, path: str) -> Dict[str, Any]:
    """A loaded library's version and threads, through the entry points threadpoolctl uses."""
    import ctypes

    info = {"kind": kind, "file": os.path.basename(path), "version": None, "threads": None}  # type: Dict[str, Any]
    try:  # RTLD_NOLOAD: a handle on the copy already loaded, never a second one
        lib = ctypes.CDLL(path, mode=getattr(os, "RTLD_NOLOAD", 0) | ctypes.RTLD_GLOBAL)
    except OSError:
        return info
    ASK[kind](lib, info)
    return info


def loaded_math_libraries() -> List[Dict[str, Any]]:
    found = []  # type: List[Dict[str, Any]]
    for path in _loaded_libraries():
        name = os.path.basename(path).lower()
        for kind, fragment in LIBRARIES:
            if fragment in name:
                try:
                    found.append(_ask(kind, path))
                except Exception as exc:  # a library that misbehaves when asked: said, not fatal
                    found.append({"kind": kind, "file": os.path.basename(path), "error": repr(exc)[:200]})
                break
    return found


def _build_dependencies(config: Any) -> Dict[str, Any]:
    """numpy's own account of its BLAS and LAPACK (``numpy.show_config`` data, numpy 1.26+)."""
    out = {}  # type: Dict[str, Any]
    if not isinstance(config, dict):
        return out
    deps = config.get("Build Dependencies")
    if not isinstance(deps, dict):
        return out
    for api in ("blas", "lapack"):
        entry = deps.get(api)
        if isinstance(entry, dict):
            out[api] = {
                "name": str(entry.get("name") or "")[:80],
                "version": str(entry.get("version") or "")[:40],
            }
    return out


def numpy_facts(issues: List[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
    """numpy's version, declared build BLAS/LAPACK and the libraries it really loaded."""
    try:
        import numpy  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return None
    except Exception as exc:  # numpy present but broken: the scan goes on
        issues.append({"code": "runtime-numpy", "message": "numpy failed to import: %r" % (exc,)})
        return None
    facts = {"version": str(getattr(numpy, "__version__", "")), "build": {}, "libraries": []}  # type: Dict[str, Any]
    try:
        config_module = getattr(numpy, "__config__", None)
        facts["build"] = _build_dependencies(getattr(config_module, "CONFIG", None))
    except Exception as exc:  # an older numpy's __config__ of another shape: the loaded libraries say more
        issues.append({"code": "runtime-numpy", "message": "numpy's build configuration: %r" % (exc,)})
    facts["libraries"] = loaded_math_libraries()
    return facts


def _literal_entries(text: str) -> Dict[str, Any]:
    """The ``blas`` and ``lapack`` entries of a meson-built ``__config__.py`` (numpy's and scipy's),
    read with ``ast`` rather than imported: only their string literals are taken."""
    import ast

    out = {}  # type: Dict[str, Any]
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return out
    for node in ast.walk(tree):
        if not isinstance(node, ast.Dict):
            continue
        for key, value in zip(node.keys, node.values):
            api = getattr(key, "value", None)
            if api in ("blas", "lapack") and isinstance(value, ast.Dict) and api not in out:
                entry = {}  # type: Dict[str, str]
                for k, v in zip(value.keys, value.values):
                    field = getattr(k, "value", None)
                    literal = getattr(v, "value", None)
                    if field in ("name", "version") and isinstance(literal, str):
                        entry[field] = literal[:80]
                out[api] = entry
    return out


def scipy_facts() -> Optional[Dict[str, Any]]:
    folder = _on_path("scipy")
    if folder is None:
        return None
    text = _read(os.path.join(folder, "__config__.py"), 256 * 1024)
    return {"build": _literal_entries(text) if text else {}}


def runtime_facts(options: Dict[str, Any], issues: List[Dict[str, Any]]) -> Dict[str, Any]:
    apply_environ(options.get("environ"))
    threads = {k: os.environ[k] for k in THREAD_VARIABLES if k in os.environ}
    facts = {
        "threads": threads,
        "hash_seed": os.environ.get("PYTHONHASHSEED"),
        "cpu": cpu(),
        "cgroup": cgroup(),
        "timezone": timezone(),
        "locale": locale_facts(),
        "numpy": None,
        "scipy": scipy_facts(),
    }  # type: Dict[str, Any]
    if options.get("numpy", True):
        facts["numpy"] = numpy_facts(issues)
    return facts
