"""Requirements files read exactly as pip reads them: pip's own parser (pip._internal, the code
``pip install -r`` runs) is the oracle, on a corpus of real-world files and on edge cases
(fixtures/requirements-corpus/README.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from envaudit.errors import InputError
from envaudit.model import RequirementKind
from envaudit.requirements import read_file
from tests.support.pip_oracle import pip_reads

CORPUS = Path(__file__).resolve().parents[2] / "fixtures" / "requirements-corpus"
FILES = sorted([*CORPUS.glob("*.txt"), *(CORPUS / "edge").glob("*.txt")])


def envaudit_reads(path: Path) -> list[tuple[str, str]] | str:
    try:
        requirements, _ = read_file(path, allow_outside=True)
    except InputError as exc:
        return str(exc).splitlines()[0]
    return sorted(
        (r.canonical_name, r.specifier) for r in requirements if r.kind is RequirementKind.REQUIREMENT
    )


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.relative_to(CORPUS).as_posix())
def test_envaudit_reads_the_file_as_pip_does(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENVAUDIT_EDGE_VERSION", "2.5")  # env-var-expanded.txt: ${VAR} as pip expands it
    monkeypatch.delenv("ENVAUDIT_EDGE_UNSET", raising=False)
    pip = pip_reads(path)
    ours = envaudit_reads(path)
    if isinstance(pip, str):
        assert isinstance(ours, str), f"pip refuses {path.name} ({pip}); envaudit read it"
        return
    assert not isinstance(ours, str), f"pip reads {path.name}; envaudit refused it: {ours}"
    pip_named = {(r.name, r.specifier) for r in pip if r.name and not r.constraint}
    unnamed = sum(1 for r in pip if not r.name and not r.constraint)
    assert pip_named <= set(ours)
    # The one liberty: what pip names only once it has fetched or built it (an sdist URL, a local
    # project), envaudit names from the file name or the project's pyproject.toml.
    assert len(set(ours) - pip_named) <= unnamed


def test_the_corpus_covers_what_the_issue_found() -> None:
    assert len(FILES) >= 90
    refused = [p.name for p in FILES if isinstance(pip_reads(p), str)]
    assert len(refused) >= 15  # refusals are checked, not only acceptances


def test_expanded_variables_are_never_what_is_stored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INDEX_TOKEN", "s3cr3t-value")
    monkeypatch.setenv("PKG_VERSION", "1.2")
    (tmp_path / "requirements.txt").write_text(
        "foo==${PKG_VERSION}\nbar @ https://user:${INDEX_TOKEN}@example.com/bar-1.0.tar.gz\n"
    )
    requirements, _ = read_file(tmp_path / "requirements.txt")
    foo, bar = requirements
    assert (foo.specifier, foo.text) == ("==1.2", "foo==${PKG_VERSION}")
    assert bar.url == "https://user:${INDEX_TOKEN}@example.com/bar-1.0.tar.gz"


def test_a_name_from_a_variable_is_never_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRET_NAME", "hunter2abc")
    monkeypatch.setenv("SECRET_BAD", "hunter2 not a requirement")
    (tmp_path / "requirements.txt").write_text("${SECRET_NAME}==1\nsix\n")
    requirements, _ = read_file(tmp_path / "requirements.txt")
    assert [r.name for r in requirements] == ["six"]
    (tmp_path / "bad.txt").write_text("${SECRET_BAD}\n")
    with pytest.raises(InputError) as caught:
        read_file(tmp_path / "bad.txt")
    assert "hunter2" not in str(caught.value)
    assert "s3cr3t" not in repr(requirements)
