"""`make ui` on a trained store shows what the README's MLflow UI section promises, checked through the REST API
of the running UI server: described experiments, parent runs with their task runs nested under them, distinct
names for different configs, a description on every run, the metrics the README names, described registered
models with a `champion` alias."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from _trained import REPO, RETRAIN

TASKS = ("role", "topic", "stance", "bias")
README_METRICS = {"test_macro_f1", "test_accuracy", "val_macro_f1"}  # all tasks; role and stance add their own
STARTUP_SECONDS = 90


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def store(trained, retrained):
    """conftest's `retrained` store: the shared training's runs plus two bias runs with another C."""
    return retrained[2], trained.cfg.data.name


@pytest.fixture(scope="module")
def ui(store):
    """`make ui` on the store at a free port; the server's process group is always stopped."""
    store, _ = store
    port = free_port()
    venv = Path(sys.executable).parent.parent
    cmd = ["make", "-s", "-C", str(REPO), "-o", f"{venv}/.installed", "ui", f"VENV={venv}",
           f"UI_MLRUNS={store}", f"UI_PORT={port}"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true"}, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            try:
                with urllib.request.urlopen(f"{base}/health", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"`make ui` did not start: {proc.stderr.read()[-2000:] if proc.poll() is not None else ''}")
            time.sleep(0.5)
        yield base
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def api(base: str, path: str, body: dict | None = None, **query) -> dict:
    url = f"{base}/api/2.0/mlflow/{path}" + (f"?{urllib.parse.urlencode(query)}" if query else "")
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read())


def tags(obj: dict) -> dict:
    return {t["key"]: t["value"] for t in obj.get("tags", [])}


@pytest.fixture(scope="module")
def runs(ui):
    exp = api(ui, "experiments/get-by-name", experiment_name="newslabel-train")["experiment"]
    found = api(ui, "runs/search", {"experiment_ids": [exp["experiment_id"]], "max_results": 1000})["runs"]
    return exp, found


def test_ui_serves_the_page(ui):
    with urllib.request.urlopen(f"{ui}/", timeout=30) as resp:
        assert resp.status == 200 and "<title>MLflow</title>" in resp.read().decode()


def test_experiment_is_described_and_opens_as_model_training(runs):
    exp, _ = runs
    note = tags(exp)["mlflow.note.content"]
    assert note.startswith("Training runs of newslabel (`python -m src.train`, `make train`).")
    for metric in (*README_METRICS, "test_body_f1", "test_fnc_score"):
        assert f"`{metric}`" in note
    assert tags(exp)["mlflow.experimentKind"] == "custom_model_development"


def test_task_runs_nest_under_their_parent_in_the_same_experiment(runs):
    _, found = runs
    by_id = {r["info"]["run_id"]: r for r in found}
    parents = [r for r in found if "mlflow.parentRunId" not in tags(r["data"])]
    children = [r for r in found if "mlflow.parentRunId" in tags(r["data"])]
    assert len(parents) == 3 and len(children) == 6  # the shared training (4 tasks) and the two bias runs
    for child in children:
        assert tags(child["data"])["mlflow.parentRunId"] in by_id  # the parent is in this experiment
    full = next(p for p in parents if tags(p["data"])["tasks"] == "role,topic,stance,bias")
    nested = sorted(tags(c["data"])["task"] for c in children
                    if tags(c["data"])["mlflow.parentRunId"] == full["info"]["run_id"])
    assert nested == sorted(TASKS)


def test_names_differ_when_configs_differ_and_every_run_is_described(runs, store):
    _, found = runs
    data = store[1]
    bias = [r for r in found if tags(r["data"]).get("task") == "bias"]
    names = sorted({r["info"]["run_name"] for r in bias})  # the two C=1 runs have one config, so one name
    assert [n.rsplit(" · ", 1)[0] for n in names] == [f"bias · logreg · {data}", f"bias · logreg · {data} · {RETRAIN[1]}"]
    configs = {}  # a task run's name -> the config digests of the runs that carry it
    for r in found:
        if "task" in tags(r["data"]):
            configs.setdefault(r["info"]["run_name"], set()).add(tags(r["data"])["config_digest"])
    assert len(configs) == len(set().union(*configs.values())) == 5  # 4 tasks and bias with C=1: one name a config
    assert all(len(d) == 1 for d in configs.values())
    for r in found:
        note = tags(r["data"])["mlflow.note.content"]
        assert len(note) > 80, r["info"]["run_name"]
    again = max(bias, key=lambda r: int(r["info"]["start_time"]))  # the retraining that tied its champion
    assert "Against the champion: val_macro_f1 " in tags(again["data"])["mlflow.note.content"]


def test_readme_metrics_datasets_and_params_are_there(runs):
    _, found = runs
    for r in found:
        t = tags(r["data"])
        if "task" not in t:
            continue
        metrics = {m["key"] for m in r["data"]["metrics"]}
        assert README_METRICS <= metrics
        assert {"role": "test_body_f1", "stance": "test_fnc_score"}.get(t["task"], "test_accuracy") in metrics
        contexts = {tags(i)["mlflow.data.context"] for i in r["inputs"]["dataset_inputs"]}
        assert contexts == {"training", "validation", "test"}, r["info"]["run_name"]
        params = {p["key"] for p in r["data"]["params"]}
        assert "paths.root" not in params and {"model.name", "data.name", "task"} <= params and len(params) <= 12


def test_registered_models_are_described_with_a_champion(ui):
    models = {m["name"]: m for m in api(ui, "registered-models/search", max_results=100)["registered_models"]}
    assert set(models) == {f"newslabel-{t}" for t in TASKS} | {"newslabel"}
    for name, m in models.items():
        assert len(m.get("description", "")) > 40, name
        assert "champion" in {a["alias"] for a in m.get("aliases", [])}, name
