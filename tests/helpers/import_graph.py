"""The import graph of a package, read from its source with `ast`, and the cycles in it; the
imports of one file (what tests/test_layering.py checks).

Every import counts: at module level, inside functions, and under `if TYPE_CHECKING:`, since a
cycle hidden inside a function still ties the modules together.

    python -m tests.helpers.import_graph desktop_app/core     # prints each cycle; exit 1 if any
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def module_name(path: Path, root: Path = REPO) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported(node: ast.AST, importer: str, is_package: bool) -> list[str]:
    """Full names a single import statement refers to (modules or names inside modules)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if not isinstance(node, ast.ImportFrom):
        return []
    if node.level:  # relative: resolved against the importing module's package
        package = importer.split(".")
        package = package if is_package else package[:-1]
        base = ".".join(package[: len(package) - (node.level - 1)] + ([node.module] if node.module else []))
    else:
        base = node.module or ""
    return [f"{base}.{alias.name}" for alias in node.names] + [base]


def imports_of(path: Path, root: Path = REPO) -> set[str]:
    """Every full name one file imports (relative imports resolved), wherever the import sits."""
    name = module_name(path, root)
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    return {full for node in ast.walk(tree) for full in _imported(node, name, path.name == "__init__.py") if full}


def import_graph(package_dir: Path, root: Path = REPO) -> dict[str, set[str]]:
    """{module: modules of the same package it imports}; `from pkg import sub` points at pkg.sub
    when that is a module, otherwise at pkg itself."""
    files = {module_name(path, root): path for path in sorted(package_dir.rglob("*.py"))}
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        targets = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            imported = _imported(node, name, path.name == "__init__.py")
            if isinstance(node, ast.ImportFrom) and any(full in files for full in imported[:-1]):
                imported = imported[:-1]  # `from pkg import sub`: the submodules, not pkg's __init__
            for full in imported:
                while full and full not in files:  # a name inside a module: the module itself
                    full = full.rpartition(".")[0]
                if full and full != name:
                    targets.add(full)
        graph[name] = targets
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Each group of modules that import one another in a circle (Tarjan's strongly connected
    components of two or more), as sorted module names."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10 * len(graph) + 100))
    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def main(argv: list[str]) -> int:
    package_dir = (REPO / (argv[0] if argv else "desktop_app/core")).resolve()
    found = cycles(import_graph(package_dir))
    for group in found:
        print("cycle: " + " ↔ ".join(group))
    print(f"{len(found)} import cycle(s) in {package_dir.relative_to(REPO)}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
