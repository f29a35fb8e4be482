"""The package's layering, checked on its import graph (read with ``ast``, nothing imported).

Lower layers never import higher ones: severity < rules < findings < diff/policy/probe < report
formats < verbs < api < cli, and the in-target scripts import nothing of envaudit but each other.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from envaudit.targets.scripts import PROBE_SPLICED, SPLICED

PACKAGE = Path(__file__).resolve().parents[2] / "envaudit"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def imports(path: Path, *, lazy: bool) -> set[str]:
    """envaudit modules ``path`` imports: at the top level, and with ``lazy`` inside functions too.
    Imports under ``if TYPE_CHECKING`` are for type checkers only and never run."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and getattr(child.test, "id", "") == "TYPE_CHECKING":
                continue
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef) and not lazy:
                continue
            if isinstance(child, ast.Import):
                found.update(a.name for a in child.names if a.name.startswith("envaudit"))
            elif isinstance(child, ast.ImportFrom) and (child.module or "").startswith("envaudit"):
                module = child.module or ""
                for alias in child.names:
                    full = f"{module}.{alias.name}"
                    found.add(full if full in MODULES else module)
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return {m for m in found if m in MODULES and m != module_name(path)}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            connect(v)
    return found


@pytest.mark.parametrize("lazy", [False, True], ids=["top-level", "with-lazy-imports"])
def test_no_import_cycles(lazy: bool) -> None:
    graph = {name: imports(path, lazy=lazy) for name, path in MODULES.items()}
    assert cycles(graph) == []


def test_the_cycle_check_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


HIGHER = (
    "envaudit.diff",
    "envaudit.probe",
    "envaudit.report",
    "envaudit.verbs",
    "envaudit.api",
    "envaudit.cli",
)
LOWER = ("envaudit.severity", "envaudit.rules", "envaudit.findings", "envaudit.model", "envaudit.config")


@pytest.mark.parametrize("module", LOWER)
def test_the_findings_layer_imports_nothing_above_it(module: str) -> None:
    above = {m for m in imports(MODULES[module], lazy=True) if m.startswith(HIGHER)}
    assert above == set()


def test_policy_judges_without_the_report_formats() -> None:
    assert not {m for m in imports(MODULES["envaudit.policy"], lazy=True) if m.startswith("envaudit.report")}


def test_the_in_target_scripts_import_nothing_of_envaudit_but_the_spliced_readers() -> None:
    for name, path in MODULES.items():
        if name.startswith("envaudit.inprocess."):
            spliced = {f"envaudit.inprocess.{m[:-3]}" for m in (*SPLICED, *PROBE_SPLICED)}
            assert imports(path, lazy=True) <= spliced | {"envaudit.inprocess"}, name


def test_only_the_registry_knows_the_kinds_of_target() -> None:
    # Kinds are decided in targets/registry.py (and named in targets/__init__.py): nothing else asks.
    allowed = {"envaudit.targets", "envaudit.targets.registry"}
    for name, path in MODULES.items():
        if name not in allowed:
            assert "TargetKind" not in path.read_text(encoding="utf-8"), name


def test_formats_never_import_the_family_s_index() -> None:
    # report/__init__.py names the formats (by string, imported on use); they never import it back.
    for name, path in MODULES.items():
        if name.startswith("envaudit.report."):
            assert "envaudit.report" not in imports(path, lazy=True), name
