"""The venvs the test suite uses, each named for what it exercises."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.support.venvs import FIXTURES, Recipe, Venv, build, cache_root, run

# Small pure-Python wheels at fixed versions: the golden snapshot depends on exactly these.
PINNED = ("six==1.16.0", "attrs==23.2.0", "idna==3.7", "iniconfig==2.0.0", "packaging==24.1")


def _fresh_copy(source: Path, name: str) -> Path:
    """A copy of a fixture project outside the checkout, so in-tree builds leave the repo clean."""
    dest = cache_root() / "projects" / name
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(source, dest)
    return dest


def git_repo_of(project: str) -> tuple[Path, str]:
    """A git repository holding a fixture project, with a deterministic commit id."""
    repo = _fresh_copy(FIXTURES / "projects" / project, f"git-{project}")
    identity = {
        "GIT_AUTHOR_NAME": "envaudit tests",
        "GIT_AUTHOR_EMAIL": "tests@example.invalid",
        "GIT_COMMITTER_NAME": "envaudit tests",
        "GIT_COMMITTER_EMAIL": "tests@example.invalid",
        "GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z",
        "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z",
    }
    run(["git", "init", "-q", "-b", "main", repo])
    run(["git", "-C", repo, "add", "-A"])
    run(
        ["git", "-C", repo, "-c", "commit.gpgsign=false", "commit", "-q", "-m", "fixture"], extra_env=identity
    )
    commit = run(["git", "-C", repo, "rev-parse", "HEAD"]).stdout.strip()
    return repo, commit


def _install_editable(venv: Venv) -> None:
    project = _fresh_copy(FIXTURES / "projects" / "editable_demo", "editable_demo")
    venv.pip("install", "--quiet", "-e", str(project))


def _install_vcs(venv: Venv) -> None:
    repo, commit = git_repo_of("vcs_demo")
    venv.pip("install", "--quiet", f"git+file://{repo}@{commit}")


def _copy_metadata_fixtures(venv: Venv) -> None:
    for item in (FIXTURES / "metadata").iterdir():
        if item.name == "README.md":
            continue
        dest = venv.site_packages / item.name
        if item.is_dir():
            shutil.copytree(item, dest)
        else:
            shutil.copy2(item, dest)


def _shadowing_copy(venv: Venv) -> None:
    """six 1.15.0 in a folder a .pth file appends to sys.path, behind site-packages' six 1.16.0."""
    extra = venv.path / "extra-site"
    venv.pip("install", "--quiet", "--only-binary=:all:", "--target", str(extra), "six==1.15.0")
    (venv.site_packages / "zz_extra.pth").write_text(f"{extra}\n")


PINNED_VENV = Recipe(name="pinned", packages=PINNED)
ORIGINS_VENV = Recipe(
    name="origins",
    packages=("six==1.16.0",),
    with_pip=True,
    steps=(
        ("editable install of editable_demo", _install_editable),
        ("git+file install of vcs_demo", _install_vcs),
        ("six 1.15.0 shadowed via .pth", _shadowing_copy),
    ),
)
BROKEN_METADATA_VENV = Recipe(
    name="broken-metadata",
    packages=("six==1.16.0",),
    steps=(("fixtures/metadata copied into site-packages", _copy_metadata_fixtures),),
)
SYSTEM_SITE_VENV = Recipe(
    name="system-site", packages=("iniconfig==2.0.0",), with_pip=True, system_site_packages=True
)


def pinned() -> Venv:
    return build(PINNED_VENV)


def origins() -> Venv:
    return build(ORIGINS_VENV)


def broken_metadata() -> Venv:
    return build(BROKEN_METADATA_VENV)


def system_site() -> Venv:
    return build(SYSTEM_SITE_VENV)


BENCH_100_VENV = Recipe(
    name="bench-100",
    # The pins themselves (not the file name) are the packages, so editing the file rebuilds the venv.
    packages=tuple(
        line.strip()
        for line in (FIXTURES / "bench" / "requirements-100.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ),
    with_pip=True,
)


def bench_100() -> Venv:
    return build(BENCH_100_VENV)


# PINNED with known drift: attrs major up, idna minor up, packaging down, iniconfig gone, tomli new.
DRIFTED = ("six==1.16.0", "attrs==24.2.0", "idna==3.10", "packaging==24.0", "tomli==2.0.2")
DRIFTED_VENV = Recipe(name="drifted", packages=DRIFTED)


def drifted() -> Venv:
    return build(DRIFTED_VENV)


# Old releases with well-known advisories; --no-deps keeps exactly these versions.
VULNERABLE = ("--no-deps", "requests==2.19.1", "urllib3==1.24.1", "jinja2==2.10", "idna==2.7", "six==1.16.0")
VULNERABLE_VENV = Recipe(name="vulnerable", packages=VULNERABLE)


def vulnerable() -> Venv:
    return build(VULNERABLE_VENV)


# One venv per pandas line the probes know about, every version pinned (numpy too: results depend on
# it). --no-deps keeps exactly these; each line's own dependencies are listed.
PANDAS_LINES: dict[str, tuple[str, ...]] = {
    "1.5": ("pandas==1.5.3", "numpy==1.26.4", "python-dateutil==2.9.0.post0", "pytz==2024.2", "six==1.16.0"),
    "2.0": (
        "pandas==2.0.3",
        "numpy==1.26.4",
        "python-dateutil==2.9.0.post0",
        "pytz==2024.2",
        "six==1.16.0",
        "tzdata==2024.2",
    ),
    "2.1": (
        "pandas==2.1.4",
        "numpy==1.26.4",
        "python-dateutil==2.9.0.post0",
        "pytz==2024.2",
        "six==1.16.0",
        "tzdata==2024.2",
    ),
    "2.2": (
        "pandas==2.2.3",
        "numpy==2.1.3",
        "python-dateutil==2.9.0.post0",
        "pytz==2024.2",
        "six==1.16.0",
        "tzdata==2024.2",
    ),
    "2.3": (
        "pandas==2.3.3",
        "numpy==2.3.5",
        "python-dateutil==2.9.0.post0",
        "pytz==2024.2",
        "six==1.16.0",
        "tzdata==2025.2",
    ),
    "3.0": ("pandas==3.0.6", "numpy==2.3.5", "python-dateutil==2.9.0.post0", "six==1.16.0", "tzdata==2025.2"),
    "3.1": ("pandas==3.1.1", "numpy==2.4.6", "python-dateutil==2.9.0.post0", "six==1.16.0", "tzdata==2025.2"),
}


def pandas_venv(line: str) -> Venv:
    return build(Recipe(name=f"pandas-{line}", packages=("--no-deps", *PANDAS_LINES[line])))


# numpy-only venvs (no pandas): the numpy suite's segments and the pandas-free probe runner.
NUMPY_LINES: dict[str, tuple[str, ...]] = {
    "1.26": ("numpy==1.26.4",),
    "2.0": ("numpy==2.0.2",),
    "2.4": ("numpy==2.4.6",),
}


def numpy_venv(line: str) -> Venv:
    return build(Recipe(name=f"numpy-{line}", packages=("--no-deps", *NUMPY_LINES[line])))


# scikit-learn venvs (no pandas), each with the numpy and scipy of its time, every version pinned.
SKLEARN_LINES: dict[str, tuple[str, ...]] = {
    "1.2": ("scikit-learn==1.2.2", "numpy==1.24.4", "scipy==1.10.1", "joblib==1.2.0", "threadpoolctl==3.1.0"),
    "1.3": ("scikit-learn==1.3.2", "numpy==1.26.4", "scipy==1.11.4", "joblib==1.3.2", "threadpoolctl==3.2.0"),
    "1.4": ("scikit-learn==1.4.2", "numpy==1.26.4", "scipy==1.12.0", "joblib==1.3.2", "threadpoolctl==3.4.0"),
    "1.5": ("scikit-learn==1.5.2", "numpy==2.0.2", "scipy==1.13.1", "joblib==1.4.2", "threadpoolctl==3.5.0"),
    "1.6": ("scikit-learn==1.6.1", "numpy==2.2.6", "scipy==1.15.3", "joblib==1.4.2", "threadpoolctl==3.5.0"),
    "1.7": ("scikit-learn==1.7.2", "numpy==2.3.5", "scipy==1.16.3", "joblib==1.5.2", "threadpoolctl==3.6.0"),
    "1.8": (
        "scikit-learn==1.8.0",
        "numpy==2.3.5",
        "scipy==1.16.3",
        "joblib==1.5.2",
        "threadpoolctl==3.6.0",
        "narwhals==2.29.0",
    ),
    "1.9": (
        "scikit-learn==1.9.1",
        "numpy==2.4.6",
        "scipy==1.17.1",
        "joblib==1.5.2",
        "threadpoolctl==3.6.0",
        "narwhals==2.29.0",
    ),
}


def sklearn_venv(line: str) -> Venv:
    return build(Recipe(name=f"sklearn-{line}", packages=("--no-deps", *SKLEARN_LINES[line])))
