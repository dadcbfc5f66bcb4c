"""Measure the project's import graph from the source (AST), resolving the ``naswot_db.*`` mapping.

Prints the edges between sub-packages, every module- and sub-package-level cycle, and the
floor rules: nothing below the CLI imports the CLI, the ground floor imports nothing of the
project.  Exit status 1 when a rule is broken, so CI or a reviewer can run it.

Usage: python tools/import_graph.py [--edges]
"""

from __future__ import annotations

import ast
import sys
import tomllib
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "naswot_db"
CLI = "naswot_db.cli"
# the ground floor: vocabulary every layer imports; it may import nothing of the project
GROUND_FLOOR = ("naswot_db.core",)


def package_dirs() -> dict[str, Path]:
    """Import prefix -> source folder, from pyproject's ``package-dir``."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return {name: ROOT / folder for name, folder in
            config["tool"]["setuptools"]["package-dir"].items()}


def modules() -> dict[str, Path]:
    """Every project module by its import name (longest package-dir prefix wins)."""
    found: dict[str, Path] = {}
    for prefix, folder in sorted(package_dirs().items(), key=lambda item: len(item[0])):
        for path in folder.rglob("*.py"):
            relative = path.relative_to(folder).with_suffix("")
            parts = [part for part in relative.parts if part != "__init__"]
            name = ".".join([prefix, *parts])
            if any(part.startswith(".") or part == "__pycache__" for part in relative.parts):
                continue
            found[name] = path
    return found


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """Project modules that module ``name`` imports (relative imports resolved)."""
    is_package = path.name == "__init__.py"
    base = name.split(".") if is_package else name.split(".")[:-1]
    targets: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            anchor = base[:len(base) - node.level + 1] if node.level else []
            module = ".".join([*anchor, *(node.module.split(".") if node.module else [])])
            candidates = [module, *(f"{module}.{alias.name}" for alias in node.names)]
        else:
            continue
        for candidate in candidates:
            while candidate and candidate not in known:
                candidate = candidate.rpartition(".")[0]
            if candidate and candidate != name:
                targets.add(candidate)
    return targets


def group(module: str) -> str:
    """The sub-package a module belongs to (``naswot_db.query.searches.rea`` -> ...searches)."""
    if module.startswith(GROUND_FLOOR):  # one floor: its folders may import each other
        return GROUND_FLOOR[0]
    parts = module.split(".")
    return ".".join(parts[:3]) if len(parts) > 3 or module in SUBPACKAGES else ".".join(parts[:2])


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
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

    sys.setrecursionlimit(10_000)
    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


SUBPACKAGES: set[str] = set()


def main() -> int:
    found = modules()
    SUBPACKAGES.update(name for name, path in found.items() if path.name == "__init__.py")
    graph = {name: imports_of(name, path, set(found)) for name, path in found.items()}
    groups: dict[str, set[str]] = defaultdict(set)
    for source, targets in graph.items():
        for target in targets:
            if group(source) != group(target):
                groups[group(source)].add(group(target))
    problems = []
    for label, components in (("module", cycles(graph)), ("sub-package", cycles(groups))):
        for component in components:
            problems.append(f"{label} cycle: {' <-> '.join(component)}")
    for source, targets in sorted(graph.items()):
        if not source.startswith((CLI, "naswot_db.__main__")) and any(t.startswith(CLI) for t in targets):
            problems.append(f"{source} (below the CLI) imports the CLI")
        if source.startswith(GROUND_FLOOR):
            inner = sorted(t for t in targets if not t.startswith(GROUND_FLOOR))
            if inner:
                problems.append(f"ground-floor {source} imports {', '.join(inner)}")
    if "--edges" in sys.argv:
        for source in sorted(groups):
            print(f"{source} -> {', '.join(sorted(groups[source]))}")
    print(f"{len(found)} modules, {sum(map(len, graph.values()))} imports, "
          f"{len(groups)} sub-packages with outgoing edges")
    for problem in problems:
        print(problem)
    print("no cycles, floors respected" if not problems else f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
