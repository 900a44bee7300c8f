"""The package's layout holds: the stages import in the pipeline's order with no import cycle (import-linter's
contracts in pyproject.toml, checked here by `lint-imports`), modules under 400 lines, functions under 50.

The stages, bottom to top (see src/newslabel/__init__.py):
core (config, errors, hashing, scoring, types, version) -> ingest -> labels -> data -> models -> tracking -> training -> predict
-> serve, bench -> cli and the package facade (`newslabel`, its lazy public API).
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "src" / "newslabel"
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 50
CONTRACTS = 2  # pyproject.toml's [[tool.importlinter.contracts]]: the layers and acyclic_siblings


def lint_imports(cwd: Path, src: Path) -> subprocess.CompletedProcess:
    """`lint-imports` (import-linter, the dev extra) on the newslabel package under `src`, with the contracts of
    `cwd`'s pyproject.toml."""
    pytest.importorskip("importlinter")
    env = {**os.environ, "PYTHONPATH": str(src)}
    code = "from importlinter.cli import lint_imports_command; lint_imports_command()"
    return subprocess.run([sys.executable, "-c", code, "--no-cache"], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120)


def test_import_contracts_are_kept():
    res = lint_imports(REPO, PACKAGE.parent)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-2000:]
    assert f"Contracts: {CONTRACTS} kept, 0 broken." in res.stdout


def test_modules_and_functions_fit_on_a_screen():
    long_modules, long_functions = [], []
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if len(text.splitlines()) > MAX_MODULE_LINES:
            long_modules.append(str(path.relative_to(PACKAGE)))
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                key = f"{path.relative_to(PACKAGE)}::{node.name}"
                if node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES:
                    long_functions.append(key)
    assert (long_modules, long_functions) == ([], [])



def test_an_upward_function_level_import_breaks_the_contracts(tmp_path):
    """The contracts see an import inside a function: models reaching up to training is reported, by line."""
    (tmp_path / "pyproject.toml").write_text((REPO / "pyproject.toml").read_text(encoding="utf-8"), encoding="utf-8")
    pkg = tmp_path / "src"
    shutil.copytree(PACKAGE, pkg / "newslabel", ignore=shutil.ignore_patterns("__pycache__"))
    (pkg / "newslabel" / "models" / "zz_up.py").write_text("def f():\n    from newslabel.training import fit\n")
    res = lint_imports(tmp_path, pkg)
    assert res.returncode == 1
    assert "newslabel.models is not allowed to import newslabel.training" in res.stdout
    assert "newslabel.models.zz_up -> newslabel.training.fit (l.2)" in res.stdout
