"""Loading model files: skops is imported without torch, and lists the same scikit-learn estimators."""

from __future__ import annotations

import os
import subprocess
import sys

NAMES = "import skops.io._trusted_types as t; print(len(t.SKLEARN_ESTIMATOR_TYPE_NAMES), hash(tuple(t.SKLEARN_ESTIMATOR_TYPE_NAMES)))"


def _run(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          env={**os.environ, "PYTHONHASHSEED": "0"})
    return done.stdout.strip()


def test_skops_loads_without_torch_and_trusts_the_same_estimators():
    ours = _run("import sys; from newslabel.tracking.model_files import _skops_io; _skops_io(); "
                f"print('torch' in sys.modules); {NAMES}")
    plain = _run(f"import skops.io; {NAMES}")
    assert ours.splitlines()[0] == "False"
    assert ours.splitlines()[1] == plain
    assert plain.split()[0] == "208"
