"""The package's shape: folders by concept, imports that point down, each dependency in one place."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "triage"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """Every triage module ``name`` imports anywhere in its text: at the top, inside functions
    and under TYPE_CHECKING alike (a cycle hidden in a function is still a cycle)."""
    is_package = path.name == "__init__.py"
    here = name.split(".") if is_package else name.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[: len(here) - (node.level - 1)]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            # `from pkg import mod` names a module when mod is one; otherwise the package itself
            targets = [f"{module}.{alias.name}" if f"{module}.{alias.name}" in known else module
                       for alias in node.names]
        else:
            continue
        found.update(t for t in targets if t in known and t != name)
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(name, path, set(modules)) for name, path in modules.items()}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_import_graph_has_no_cycle() -> None:
    """No module imports, directly or through others, a module that imports it."""
    cycle = _cycle(_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_the_cycle_finder_finds_a_planted_cycle() -> None:
    """The check above can fail: a three-module loop is reported in order."""
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_the_top_level_holds_only_the_package_face() -> None:
    """src/triage/ holds the public face and folders; no module name carries another's prefix."""
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert top == ["__init__.py", "__main__.py", "api.py"]
    for folder in (p for p in PACKAGE.iterdir() if p.is_dir() and p.name != "__pycache__"):
        names = [p.stem for p in folder.glob("*.py") if p.stem != "__init__"]
        for name in names:
            assert not name.startswith(folder.name + "_"), f"{folder.name}/{name}.py repeats its folder's name"
            prefix = name.split("_")[0]
            assert not (prefix != name and prefix in names), f"{folder.name}/{name}.py carries {prefix}.py's prefix"


def _third_party_importers(package: str) -> set[str]:
    out = set()
    for name, path in _modules().items():
        for node in ast.walk(ast.parse(path.read_text())):
            mods = ([a.name for a in node.names] if isinstance(node, ast.Import)
                    else [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else [])
            if any(m == package or m.startswith(package + ".") for m in mods):
                out.add(name)
    return out


def test_each_dependency_is_imported_in_one_place() -> None:
    """durable-rules (its host or its C core) in the engine adapter, sqlite-utils in the log store, Jinja2 in one environment
    builder, python-docx in letters/word.py, click in cli/ only, Starlette in server/ only."""
    assert _third_party_importers("durable") | _third_party_importers("durable_rules_engine") == {"triage.rules.engine"}
    assert _third_party_importers("sqlite_utils") == {"triage.log.store"}
    assert _third_party_importers("jinja2") == {"triage.letters.environment"}
    assert _third_party_importers("docx") == {"triage.letters.word"}
    assert {m.split(".")[1] for m in _third_party_importers("click")} == {"cli"}
    assert {m.split(".")[1] for m in _third_party_importers("starlette")} == {"server"}
