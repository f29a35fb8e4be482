"""The import reader held to a full ``ast`` walk over real code, and its edge cases."""

from __future__ import annotations

import ast
import json
import sysconfig
from pathlib import Path

import pytest

from envaudit.codeimports import GUARDS, ImportConfig, imports_of, notebook_source, read_imports
from envaudit.importcheck import place


def _caught(handler: ast.ExceptHandler) -> bool:
    if handler.type is None:
        return True
    types = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return any(getattr(t, "id", None) in GUARDS or getattr(t, "attr", None) in GUARDS for t in types)


def reference(tree: ast.Module) -> set[tuple[str, int, bool]]:
    """What a full ast walk says: (module, line, conditional) for every absolute import."""
    out: set[tuple[str, int, bool]] = set()

    def visit(body: list[ast.stmt], guarded: bool) -> None:
        for node in body:
            if isinstance(node, ast.Import):
                out.update((a.name.split(".")[0], node.lineno, guarded) for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                if not node.level and node.module and node.module != "__future__":
                    out.add((node.module.split(".")[0], node.lineno, guarded))
            elif isinstance(node, ast.Try | ast.TryStar):
                visit(node.body, guarded or any(_caught(h) for h in node.handlers))
                for h in node.handlers:
                    visit(h.body, guarded)
                visit(node.orelse, guarded)
                visit(node.finalbody, guarded)
            elif isinstance(node, ast.If):
                checking = ast.unparse(node.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING")
                visit(node.body, guarded or checking)
                visit(node.orelse, guarded)
            else:
                for name in ("body", "orelse", "finalbody"):
                    inner = getattr(node, name, None)
                    if isinstance(inner, list):
                        visit(inner, guarded)
                for case in getattr(node, "cases", None) or []:
                    visit(case.body, guarded)

    visit(tree.body, False)
    return out


def corpus() -> list[Path]:
    """Real code: the standard library and what is installed beside envaudit (thousands of files)."""
    files = []
    for key in ("stdlib", "purelib"):
        root = Path(sysconfig.get_paths()[key])
        files += [p for p in sorted(root.rglob("*.py")) if "/test/" not in p.as_posix()]
    return files[::5]


def test_agrees_with_a_full_ast_walk_on_real_code() -> None:
    checked, differ = 0, []
    for path in corpus():
        source = path.read_text(encoding="utf-8", errors="replace")
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError):
            continue
        checked += 1
        if reference(tree) != set(imports_of(source)):
            differ.append(str(path))
    assert checked > 800
    assert differ == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import os, numpy.linalg as la\n", {("os", 1, False), ("numpy", 1, False)}),
        ("from . import x\nfrom .y import z\nfrom __future__ import annotations\n", set()),
        ("from pandas import (\n    DataFrame,\n    Series,\n)\n", {("pandas", 1, False)}),
        ("from sklearn.model_selection \\\n    import train_test_split\n", {("sklearn", 1, False)}),
        ("import os; import sys\n", {("os", 1, False), ("sys", 1, False)}),
        ('"""\nimport tensorflow\n"""\nx = 1  # import torch\n', set()),
        ("s = '''\nfrom keras import layers\n'''\n", set()),
        (
            "try:\n    import ujson\nexcept (ValueError, ImportError):\n    ujson = None\n",
            {("ujson", 2, True)},
        ),
        ("try:\n    import a\nexcept ValueError:\n    pass\n", {("a", 2, False)}),
        ("try:\n    import a\nexcept RecognitionException:\n    pass\n", {("a", 2, False)}),
        ("try: import a\nexcept: pass\n", {("a", 1, True)}),
        ("if TYPE_CHECKING:\n    import a\nelse:\n    import b\n", {("a", 2, True), ("b", 4, False)}),
        ("def f():\n    import lazy\n    return lazy\n", {("lazy", 2, False)}),
        ("from the docs import nothing\nfrom import_helpers import x\n", {("import_helpers", 2, False)}),
    ],
)
def test_statements(source: str, expected: set[tuple[str, int, bool]]) -> None:
    assert set(imports_of(source)) == expected


def test_notebook_code_cells_only_and_magics_blanked() -> None:
    notebook = {
        "cells": [
            {"cell_type": "markdown", "source": ["import not_code"]},
            {"cell_type": "code", "source": ["%matplotlib inline\n", "!pip install x\n", "import numpy"]},
            {"cell_type": "code", "source": "%%bash\nimport not_python\n"},
        ]
    }
    cells = notebook_source(json.dumps(notebook).encode())
    assert [(n, set(imports_of(text))) for n, text in cells] == [(2, {("numpy", 3, False)})]
    assert notebook_source(b"{not json") == [] and notebook_source(b'{"cells": 3}') == []


def test_project_modules_environments_and_excludes_are_left_out(tmp_path: Path) -> None:
    (tmp_path / "src" / "app").mkdir(parents=True)
    (tmp_path / "src" / "app" / "__init__.py").write_text(
        "import app.util\nimport helpers\nimport requests\n"
    )
    (tmp_path / "src" / "app" / "helpers.py").write_text("import yaml\n")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_app.py").write_text("import pytest\n")
    (tmp_path / "myenv" / "lib").mkdir(parents=True)
    (tmp_path / "myenv" / "pyvenv.cfg").write_text("home = /usr\n")
    (tmp_path / "myenv" / "lib" / "x.py").write_text("import never_read\n")
    (tmp_path / "big.py").write_bytes(b"import big\n" + b"#" * (5 * 1024 * 1024))
    found = read_imports(tmp_path, ImportConfig(exclude=("tests",), local=("requests",)))
    assert sorted(found.modules) == ["yaml"]
    assert found.modules["yaml"].places == ["src/app/helpers.py:1"]
    assert [i.code for i in found.issues] == ["source-too-large"]


def test_finding_locations() -> None:
    assert str(place("src/app.py:12")) == "src/app.py:12"
    assert str(place("nb/explore.ipynb[cell 3]:2")) == "nb/explore.ipynb"
