"""The import graph: layers only import downward and no modules import each other in a circle.

Every import is counted, function-local ones included, so a lazy import cannot hide an arrow
that runs back up. docs/architecture.md explains the layers.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("assistant", "ingest", "eval", "web", "tools", "hindsight", "testing", "bench")

# Bottom to top. A module may import from its own layer or any layer below it.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("core", ("assistant.core", "assistant")),
    ("text", ("assistant.text",)),
    ("models", ("assistant.embed", "assistant.index", "assistant.llm")),
    ("store", ("assistant.store",)),
    ("ingest", ("ingest",)),
    ("retrieve", ("assistant.retrieve",)),
    ("answer", ("assistant.answer",)),
    ("service", ("assistant.service",)),
    ("surfaces", ("assistant.surfaces", "web")),
    ("eval", ("eval", "tools")),
    ("app", ("hindsight",)),  # composition root: create_app, the CLI, the document library
    ("harness", ("testing", "bench")),
]


def layer_of(module: str) -> int:
    """Index of the layer owning a module: the longest matching package prefix wins."""
    best, best_len = -1, -1
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best_len:
                best, best_len = index, len(prefix)
    return best


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, known: set[str]) -> set[str]:
    """Project modules a file imports anywhere in it (resolved to the longest known module)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [f"{node.module}.{alias.name}" for alias in node.names] + [node.module]
        for name in names:
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name:
                found.add(name)
    return found


def project_graph() -> dict[str, set[str]]:
    files = {module_name(p): p for pkg in PACKAGES for p in (REPO / pkg).rglob("*.py")}
    known = set(files)
    return {mod: imports_of(path, known) - {mod} for mod, path in files.items()}


def upward_arrows(graph: dict[str, set[str]]) -> list[str]:
    return sorted(
        f"{src} ({LAYERS[layer_of(src)][0]}) -> {dst} ({LAYERS[layer_of(dst)][0]})"
        for src, targets in graph.items() for dst in targets
        if layer_of(dst) > layer_of(src) and not _package_init_reexport(src, dst)
    )


def _package_init_reexport(src: str, dst: str) -> bool:
    # `import assistant.x` also binds the root package; that is not an arrow up.
    return dst == "assistant"


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_every_module_has_a_layer() -> None:
    assert [m for m in project_graph() if layer_of(m) < 0] == []


def test_no_import_runs_up_a_layer() -> None:
    assert upward_arrows(project_graph()) == []


def test_no_import_circles() -> None:
    assert circles(project_graph()) == []


def test_nothing_imports_tests() -> None:
    graph = project_graph()
    offenders = []
    for pkg in PACKAGES:
        for path in (REPO / pkg).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                mod = node.module if isinstance(node, ast.ImportFrom) else None
                if mod and (mod == "tests" or mod.startswith("tests.")):
                    offenders.append(f"{module_name(path)} -> {mod}")
    assert graph and offenders == []


@pytest.mark.parametrize(("src", "dst", "up"), [
    ("assistant.core.types", "assistant.service.pipeline", True),
    ("hindsight.cli", "ingest.build", False),
    ("ingest.build", "assistant.retrieve.retriever", True),
])
def test_the_checker_sees_direction(src: str, dst: str, up: bool) -> None:
    # The rule itself must be able to fail: an injected arrow is reported exactly when it runs up.
    assert bool(upward_arrows({src: {dst}, dst: set()})) is up


def test_the_checker_sees_circles() -> None:
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
