"""`mlflow models serve` on the registered `newslabel` champion answers POST /invocations."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from _trained import seed_gold, trained_sample

SHARED = Path(__file__).resolve().parents[2] / "shared"
STARTUP_SECONDS = 120


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post(url: str, payload: dict) -> dict:
    req = urllib.request.Request(url, data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as resp:
        return json.loads(resp.read())


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    store = trained_sample(tmp_path_factory).mlruns
    port = free_port()
    bindir = str(Path(sys.executable).parent)
    env = {**os.environ, "MLFLOW_TRACKING_URI": f"sqlite:///{store.resolve() / 'mlflow.db'}",
           "MLFLOW_DISABLE_TELEMETRY": "true", "PATH": bindir + os.pathsep + os.environ.get("PATH", "")}
    proc = subprocess.Popen([str(Path(bindir) / "mlflow"), "models", "serve", "-m", "models:/newslabel@champion",
                             "--env-manager", "local", "-h", "127.0.0.1", "-p", str(port)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + STARTUP_SECONDS
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"{url}/ping", timeout=2)
            break
        except OSError:
            if proc.poll() is not None:
                pytest.fail(f"mlflow models serve exited with {proc.returncode}")
            time.sleep(1)
    else:
        proc.kill()
        pytest.fail(f"server not ready after {STARTUP_SECONDS} s")
    yield url
    proc.terminate()
    proc.wait(timeout=30)


def test_server_labels_the_seed_page(server):
    seed = SHARED / "seeds" / "000_0eff458de775143f.txt"
    if not seed.exists():
        pytest.skip("../shared/seeds not found")
    payload = {"dataframe_records": [{"id": "seed", "text": seed.read_text(encoding="utf-8")}, {"id": "bad", "text": ""}]}
    rows = post(f"{server}/invocations", payload)["predictions"]
    seed_rows = [r for r in rows if r["doc_id"] == "seed"]
    gold = seed_gold(SHARED)
    assert [r["line"] for r in seed_rows] == [line for line, _ in gold]
    assert sum(r["is_body"] == (role == "body") for r, (_, role) in zip(seed_rows, gold)) >= 0.95 * len(gold)
    assert all(r["error"] is None for r in seed_rows)
    assert [r["error"] for r in rows if r["doc_id"] == "bad"] == ["bad: empty page"]
