from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from envaudit.diff import change_level, diff, diff_pair, matrix
from envaudit.findings import Finding, Labelled, Location, Severity
from envaudit.model import Origin, OriginKind, PinKind, RequirementStatus, Snapshot
from tests.support.snapshots import dist, requirement, secret, snapshot, var


@pytest.mark.parametrize(
    ("old", "new", "level"),
    [
        ("1.5.3", "2.2.3", "major"),
        ("2.1.0", "2.2.0", "minor"),
        ("2.2.2", "2.2.3", "patch"),
        ("2.2.3", "1.5.3", "downgrade"),
        ("2.0.0rc1", "2.0.0", "prerelease"),
        ("2.2.0", "2.3.0rc1", "prerelease"),
        ("2.1.0+cpu", "2.1.0+cu121", "local"),
        ("1.0", "1.0.0", None),
        ("1.0", "1.0", None),
        ("1.0.post1", "1.0.post2", "patch"),
        ("weird", "1.0", "invalid"),
        ("2", "2.1", "minor"),
        ("1.0.0", "1.0.0.1", "patch"),
    ],
)
def test_change_levels(old: str, new: str, level: str | None) -> None:
    assert change_level(old, new) == level


def by_rule(findings: list[Finding]) -> dict[str, list[Finding]]:
    out: dict[str, list[Finding]] = {}
    for f in findings:
        out.setdefault(f.rule, []).append(f)
    return out


def pair(a: Snapshot, b: Snapshot) -> list[Finding]:
    return diff_pair(Labelled("dev", a), Labelled("prod", b))


def test_each_version_change_is_classified_with_its_root_cause() -> None:
    reqs_dev = [
        requirement(
            "pandas", ">=1.5", PinKind.LOWER_BOUND_ONLY, RequirementStatus.SATISFIED, "1.5.3", line=2
        ),
        requirement("numpy", "==1.26.4", PinKind.PINNED, RequirementStatus.SATISFIED, "1.26.4", line=3),
    ]
    reqs_prod = [
        requirement(
            "pandas", ">=1.5", PinKind.LOWER_BOUND_ONLY, RequirementStatus.SATISFIED, "2.2.3", line=2
        ),
        requirement("numpy", "==1.26.4", PinKind.PINNED, RequirementStatus.WRONG_VERSION, "2.0.0", line=3),
    ]
    dev = snapshot(
        [
            dist("pandas", "1.5.3"),
            dist("numpy", "1.26.4"),
            dist("tzdata", "2024.1"),
            dist("mylib", "0.1", Origin(OriginKind.INDEX)),
        ],
        requirements=reqs_dev,
    )
    prod = snapshot(
        [
            dist("pandas", "2.2.3", requires=["tzdata>=2022.7"]),
            dist("numpy", "2.0.0"),
            dist("tzdata", "2024.2"),
            dist("mylib", "0.1", Origin(OriginKind.EDITABLE, "file:///src")),
        ],
        requirements=reqs_prod,
    )
    found = by_rule(pair(dev, prod))
    pandas = next(f for f in found["EA103"] if f.subject == "pandas")
    assert pandas.subject == "pandas" and pandas.detail("level") == "major"
    assert pandas.detail("cause") == "allowed because `pandas>=1.5` in requirements.txt:2 is lower-bound-only"
    assert pandas.location == Location("requirements.txt", 2)
    numpy = next(f for f in found["EA103"] if f.subject == "numpy")
    assert numpy.detail("cause") == "violates `numpy==1.26.4` in requirements.txt:3 here"
    tzdata = next(f for f in found["EA104"] if f.subject == "tzdata")  # 2024.1 -> 2024.2: a minor step
    assert tzdata.detail("cause") == "not declared anywhere (transitive; required by pandas)"
    assert found["EA110"][0].subject == "mylib"
    assert found["EA401"][0].location == Location("requirements.txt", 3)
    assert found["EA401"][0].severity is Severity.ERROR


def test_interpreter_and_environment() -> None:
    dev = snapshot(
        {},
        python="3.11.7",
        env=[
            var("LANG", "C.UTF-8", relevant=True),
            var("HOME", "/root"),
            secret("TOKEN", "hmac-sha256:aa"),
            secret("SAME", "hmac-sha256:bb"),
        ],
    )
    prod = snapshot(
        {},
        python="3.12.1",
        machine="aarch64",
        env=[
            var("LANG", "en_US.UTF-8", relevant=True),
            var("OMP_NUM_THREADS", "1", relevant=True),
            secret("TOKEN", "hmac-sha256:cc"),
            secret("SAME", "hmac-sha256:bb"),
        ],
    )
    found = by_rule(pair(dev, prod))
    assert found["EA201"][0].severity is Severity.ERROR and found["EA201"][0].detail("level") == "minor"
    assert found["EA203"][0].subject == "machine"
    lang = next(f for f in found["EA303"] if f.subject == "LANG")
    assert lang.severity is Severity.WARNING and "en_US.UTF-8" in lang.message
    token = next(f for f in found["EA303"] if f.subject == "TOKEN")
    assert token.detail("secret") == "true" and "hmac" not in token.message
    assert "SAME" not in {f.subject for f in found["EA303"]}
    assert found["EA301"][0].subject == "OMP_NUM_THREADS" and found["EA301"][0].severity is Severity.WARNING
    assert found["EA302"][0].subject == "HOME" and found["EA302"][0].severity is Severity.INFO


def test_secrets_made_with_different_keys_are_not_compared() -> None:
    dev = snapshot({}, env=[secret("TOKEN", "hmac-sha256:aa")], key_id="k1")
    prod = snapshot({}, env=[secret("TOKEN", "hmac-sha256:aa")], key_id="k2")
    assert [f.rule for f in pair(dev, prod)] == ["EA304"]


def test_matrix_consensus_and_outliers() -> None:
    items = [
        Labelled(f"h{i}", snapshot({"pandas": v, "numpy": "1.26.4"}))
        for i, v in enumerate(["2.2.3", "2.2.3", "1.5.3", "2.2.3"])
    ]
    items.append(Labelled("h4", snapshot({"numpy": "1.26.4"})))
    rows = matrix(items)
    assert len(rows) == 1
    row = rows[0]
    assert (row.package, row.consensus, row.outliers) == ("pandas", "2.2.3", ("h2", "h4"))
    assert row.versions == ("2.2.3", "2.2.3", "1.5.3", "2.2.3", None)


# --- properties ---------------------------------------------------------------------------------

NAMES = st.sampled_from(["pandas", "numpy", "six", "attrs", "idna", "torch"])
VERSIONS = st.sampled_from(
    ["1.0", "1.0.1", "1.1.0", "2.0.0", "2.0.0rc1", "2.0.0+cpu", "2.0.0+cu121", "0.9", "bogus"]
)
ENV_NAMES = st.sampled_from(["LANG", "TZ", "HOME", "API_TOKEN", "OMP_NUM_THREADS"])


@st.composite
def snapshots(draw: st.DrawFn) -> Snapshot:
    dists = draw(st.dictionaries(NAMES, VERSIONS, max_size=6))
    env_items = draw(st.dictionaries(ENV_NAMES, st.sampled_from(["a", "b", "c"]), max_size=5))
    env = [
        secret(n, f"hmac-sha256:{v}") if n == "API_TOKEN" else var(n, v, relevant=n in ("TZ", "LANG"))
        for n, v in sorted(env_items.items())
    ]
    python = draw(st.sampled_from(["3.11.7", "3.11.9", "3.12.1"]))
    return snapshot(dists, env=env, python=python)


def key(f: Finding) -> tuple[str, str]:
    return (f.check, f.subject)


MIRROR = {
    "EA101": "EA102",
    "EA102": "EA101",
    "EA301": "EA302",
    "EA302": "EA301",
    "EA401": "EA404",
    "EA404": "EA401",
}
UPGRADES = {"EA103", "EA104", "EA105", "EA106"}  # an upgrade one way is a downgrade (EA108) the other


def mirrored(rule: str) -> set[str]:
    if rule in MIRROR:
        return {MIRROR[rule]}
    if rule in UPGRADES:
        return {"EA108"}
    if rule == "EA108":
        return UPGRADES
    return {rule}


@settings(max_examples=200)
@given(snapshots())
def test_a_snapshot_against_itself_finds_nothing(s: Snapshot) -> None:
    assert pair(s, s) == []


@settings(max_examples=200)
@given(snapshots(), snapshots())
def test_a_to_b_mirrors_b_to_a(a: Snapshot, b: Snapshot) -> None:
    forward = {key(f): f for f in diff_pair(Labelled("a", a), Labelled("b", b))}
    backward = {key(f): f for f in diff_pair(Labelled("b", b), Labelled("a", a))}
    assert forward.keys() == backward.keys()
    for k, f in forward.items():
        g = backward[k]
        assert g.rule in mirrored(f.rule)
        if f.detail("from") is not None and f.rule not in ("EA101", "EA102"):
            assert (f.detail("from"), f.detail("to")) == (g.detail("to"), g.detail("from"))


@settings(max_examples=100)
@given(st.lists(snapshots(), min_size=3, max_size=5))
def test_n_way_agrees_with_pairwise(items: list[Snapshot]) -> None:
    labelled = [Labelled(f"e{i}", s) for i, s in enumerate(items)]
    report = diff(labelled)
    pairwise = [f for other in labelled[1:] for f in diff_pair(labelled[0], other)]
    assert list(report.findings) == pairwise
    differing = {row.package for row in report.matrix}
    changed = {f.subject for f in pairwise if f.check == "distributions" and f.rule != "EA110"}
    assert changed <= differing
