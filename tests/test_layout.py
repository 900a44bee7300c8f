"""The package's layout holds: each stage imports only from its own stage or the ones below it, no import cycle
(module-level and function-level imports both counted), modules under 400 lines, functions under 50.

The stages, bottom to top (see src/newslabel/__init__.py):
core (config, errors, hashing, scoring, types, version) -> ingest -> labels -> data -> models -> tracking -> training -> predict
-> serve, bench -> cli and the package facade (`newslabel`, its lazy public API).
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "newslabel"
LAYERS = [("config", "errors", "hashing", "scoring", "types", "version"), ("ingest",), ("labels",), ("data",), ("models",), ("tracking",),
          ("training",), ("predict",), ("serve", "bench"), ("cli", "")]
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 50
# Longer on purpose, each one step a reader follows top to bottom (splitting it would scatter one procedure).
LONG_FUNCTIONS = {
    "cli/label.py::main": "the typer signature: one line an option; the body is 28 lines",
}


def modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The package modules `name` imports, wherever the import statement is (module level or in a function)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(up + ([node.module] if node.module else []))
            for alias in node.names:
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
    return {m for m in found if m in known and m != name}


def graph() -> dict[str, set[str]]:
    mods = modules()
    return {name: imports(name, path, set(mods)) for name, path in mods.items()}


def layer(name: str) -> int:
    stage = name.split(".")[1] if "." in name else ""
    return next(i for i, names in enumerate(LAYERS) if stage in names)


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan).

    >>> cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}})
    [['a', 'b']]
    """
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while not comp or comp[-1] != v:
                comp.append(stack.pop())
                on.discard(comp[-1])
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def test_every_module_belongs_to_a_stage():
    assert all(layer(name) >= 0 for name in modules())


def test_no_import_reaches_up_a_stage():
    upward = sorted(f"{a} -> {b}" for a, targets in graph().items() for b in targets if layer(b) > layer(a))
    assert upward == []


def test_no_import_cycle():
    assert cycles(graph()) == []


def test_modules_and_functions_fit_on_a_screen():
    long_modules, long_functions = [], []
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if len(text.splitlines()) > MAX_MODULE_LINES:
            long_modules.append(str(path.relative_to(PACKAGE)))
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                key = f"{path.relative_to(PACKAGE)}::{node.name}"
                if node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES and key not in LONG_FUNCTIONS:
                    long_functions.append(key)
    assert (long_modules, long_functions) == ([], [])


def test_the_checker_sees_function_level_imports(tmp_path):
    (tmp_path / "a.py").write_text("def f():\n    from pkg import b\n")
    assert imports("pkg.a", tmp_path / "a.py", {"pkg.a", "pkg.b"}) == {"pkg.b"}
