"""The model lifecycle on the shared sample training: champions chosen on validation, only champions registered,
one published labeller that every engine serves, model files without pickle, per-task `--model` URIs.

The trainings here are conftest's `retrained`: bias trained twice more in a copy of the shared training's store.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from _trained import REPO

from newslabel import __version__, load_labeller
from newslabel.models.inputs import ROLE_INPUT
from newslabel.serve.spark import spark_problem

LABELS = ("doc_id", "index", "line", "text", "role", "role_score", "is_body", "topic", "topic_score", "stance",
          "stance_score", "bias", "bias_score", "model_version")
VALIDATION_METRIC = {"role": "val_body_f1", "topic": "val_macro_f1", "stance": "val_macro_f1", "bias": "val_macro_f1"}
ROLE_TYPES = ["newslabel.models.body_gate.BodyGate", "newslabel.models.dom_features.HtmlFeatures",
              "newslabel.models.role_context.RoleContext", "newslabel.models.sequence.SequenceSmoother",
              "newslabel.models.text.CompactTfidf", "newslabel.models.text.TextColumn",
              "sklearn.calibration._CalibratedClassifier", "sklearn.calibration._SigmoidCalibration",
              "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor"]


@pytest.fixture
def lifecycle(trained, retrained_store):
    """The shared training, then bias alone with model.C=1 forced champion, then the same again."""
    forced, again, store = retrained_store
    return trained, forced, again, store


@pytest.fixture
def client(lifecycle):
    from mlflow import MlflowClient

    return MlflowClient()


def runs_of(client, task: str):
    exp = client.get_experiment_by_name("newslabel-train")  # task runs nest under their parent there
    return client.search_runs([exp.experiment_id], f"tags.task = '{task}'", order_by=["attributes.start_time ASC"])


def test_forced_champion_then_identical_retrain_does_not_move(lifecycle, client):
    _, forced, again, _ = lifecycle
    f, a = forced["bias"], again["bias"]
    assert (f["promoted"], f["promotion_decision"], f["registered_version"]) == (True, "forced", 2)
    assert f["promotion_reason"] == "forced over champion v1 (tracking.force_promote)"
    value = a["val_macro_f1"]
    for key in ("test_accuracy", "test_macro_f1", "val_macro_f1"):  # the same training, the same figures
        assert a[key] == f[key], key
    assert (a["promoted"], a["registered_version"]) == (False, None)
    assert a["promotion_reason"] == (f"val_macro_f1 {value:.4f} vs {value:.4f}: difference +0.0000, 95% interval "
                                     "[+0.0000, +0.0000] over 1000 passage resamples: ties champion v2 (a tie never "
                                     "promotes)")
    assert str(client.get_model_version_by_alias("newslabel-bias", "champion").version) == "2"
    assert [v.version for v in client.search_model_versions("name='newslabel-bias'")] in (["2", "1"], [2, 1])
    tie = runs_of(client, "bias")[-1].data.tags
    assert {k: tie[k] for k in ("promotion_decision", "promotion_metric", "promotion_diff", "promotion_ci_low",
                                "promotion_ci_high", "promotion_resamples", "promotion_unit", "champion",
                                "previous_champion")} == {
        "promotion_decision": "tie", "promotion_metric": "val_macro_f1", "promotion_diff": "+0.000000",
        "promotion_ci_low": "+0.000000", "promotion_ci_high": "+0.000000", "promotion_resamples": "1000",
        "promotion_unit": "passage", "champion": "false", "previous_champion": "2"}


def test_champion_tag_is_on_the_current_champion_only(lifecycle, client):
    first, forced_run, tie_run = runs_of(client, "bias")
    assert [r.data.tags["champion"] for r in (first, forced_run, tie_run)] == ["false", "true", "false"]
    assert client.get_model_version("newslabel-bias", "1").tags["champion"] == "false"
    v2 = client.get_model_version("newslabel-bias", "2")
    assert v2.tags["champion"] == "true" and v2.run_id == forced_run.info.run_id
    assert client.get_model_version("newslabel", "1").tags["champion"] == "false"
    assert client.get_model_version("newslabel", "2").tags["champion"] == "true"


def test_champions_were_chosen_on_a_validation_metric(lifecycle, client):
    for task, metric in VALIDATION_METRIC.items():
        champ = client.get_model_version_by_alias(f"newslabel-{task}", "champion")
        run = client.get_run(champ.run_id)
        assert champ.tags["promotion_metric"] == metric == run.data.tags["promotion_metric"], task
        assert champ.tags["promotion_value"] == f"{run.data.metrics[metric]:.6f}", task
        assert champ.tags["dataset_digest"] == run.data.tags["dataset_digest"], task
    assert client.get_model_version_by_alias("newslabel-bias", "champion").tags["promotion_decision"] == "forced"


def test_single_task_training_republishes_the_labeller(lifecycle, client):
    _, forced, again, _ = lifecycle
    bundle = {"role": "1", "topic": "1", "stance": "1", "bias": "2"}
    assert forced["labeller"] == {"registered_version": "2", "promotion_reason": f"bundles champions {bundle}"}
    assert again["labeller"] == {"registered_version": "2",
                                 "promotion_reason": "unchanged (v2 bundles the same champions)"}
    champ = client.get_model_version_by_alias("newslabel", "champion")
    assert str(champ.version) == "2" and json.loads(champ.tags["bundle"]) == bundle


@pytest.fixture
def seed_page(seed_path) -> str:
    return seed_path.read_text(encoding="utf-8")


def local_and_pyfunc(store: Path, page: str) -> tuple[list[dict], list[dict]]:
    import mlflow.pyfunc

    local = load_labeller(mlruns=store).label_page(page, doc_id="seed")["passages"]
    served = mlflow.pyfunc.load_model("models:/newslabel@champion").predict(pd.DataFrame([{"id": "seed",
                                                                                           "text": page}]))
    return [{k: p[k] for k in LABELS} for p in local], [{k: r[k] for k in LABELS} for r in served.to_dict("records")]


def test_local_and_pyfunc_give_the_same_labels_on_the_seed(lifecycle, client, seed_page):
    local, served = local_and_pyfunc(lifecycle[3], seed_page)
    assert len(local) > 30 and local == served
    assert {p["model_version"] for p in local} == {"role:1,topic:1,stance:1,bias:2"}
    # the retrained bias champion (another C), not the shared training's: scores differ somewhere on the page
    before = load_labeller(mlruns=lifecycle[0].mlruns).label_page(seed_page, doc_id="seed")["passages"]
    assert [p["bias_score"] for p in before] != [p["bias_score"] for p in local]


@pytest.mark.skipif(spark_problem() is not None, reason=f"no Spark comparison: {spark_problem()}")
def test_spark_gives_the_same_labels_on_the_seed(lifecycle, client, seed_page, tmp_path):
    store = lifecycle[3]
    local, _ = local_and_pyfunc(store, seed_page)
    (tmp_path / "seed.jsonl").write_text(json.dumps({"id": "seed", "text": seed_page}) + "\n", encoding="utf-8")
    res = cli(store, "--engine", "spark", str(tmp_path / "seed.jsonl"), "--out", str(tmp_path / "out.parquet"),
              "--model", "models:/newslabel@champion", "--master", "local[1]")
    assert res.returncode == 0, res.stderr[-2000:]
    frame = pd.read_parquet(tmp_path / "out.parquet").sort_values("index").astype(object)
    rows = frame.where(frame.notna(), None).to_dict("records")
    spark = [{k: (int(r[k]) if k in ("index", "line") else r[k]) for k in LABELS} for r in rows]
    assert spark == local


def test_role_champion_is_skops_with_the_labeller_inputs(lifecycle, client, tmp_path):
    import mlflow
    import skops.io

    folder = Path(mlflow.artifacts.download_artifacts("models:/newslabel-role@champion", dst_path=str(tmp_path)))
    files = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    assert "model.skops" in files and not [f for f in files if f.endswith((".pkl", ".pickle"))]
    mlmodel = yaml.safe_load((folder / "MLmodel").read_text())
    assert mlmodel["flavors"]["sklearn"]["serialization_format"] == "skops"
    assert mlmodel["metadata"] == {"newslabel_version": __version__, "newslabel_kind": "sklearn", "newslabel_task": "role"}
    assert sorted(c["name"] for c in json.loads(mlmodel["signature"]["inputs"])) == sorted(ROLE_INPUT)  # what
    # the labeller passes (models.inputs.role_frame), so no gold_coverage
    requirements = (folder / "requirements.txt").read_text().splitlines()
    assert f"newslabel=={__version__}" in requirements and not [r for r in requirements if "cloudpickle" in r]
    assert sorted(skops.io.get_untrusted_types(file=folder / "model.skops")) == ROLE_TYPES  # no `src.` module
    labeller = Path(mlflow.artifacts.download_artifacts("models:/newslabel@champion", dst_path=str(tmp_path / "l")))
    top = {p.name for p in labeller.iterdir()}
    assert "python_model.pkl" not in top and (labeller / "labeller_code.py").is_file()
    assert f"newslabel=={__version__}" in (labeller / "requirements.txt").read_text().splitlines()


def test_inputs_leave_out_how_labels_were_made():
    from newslabel.training.fit import inputs

    df = pd.DataFrame({"doc_id": ["d"], "text": ["t"], "line": [None], "label": ["body"], "label_source": ["gold"],
                       "confidence": [1.0], "gold_coverage": [0.9], "native_label": ["x"]})
    assert list(inputs(df).columns) == ["doc_id", "text", "line"]


def test_per_task_model_uri_replaces_that_task(lifecycle, client):
    from newslabel.tracking.model_files import load_task_model

    labeller = load_labeller("models:/newslabel-bias/1", mlruns=lifecycle[3])
    assert labeller.versions == {"role": "1", "topic": "1", "stance": "1", "bias": "1"}
    texts = ["The reckless council wasted money again.", "The library opens at nine."]
    v1 = load_task_model("models:/newslabel-bias/1").predict_proba(pd.DataFrame({"text": texts}))
    assert [s for _, s in labeller.predict(texts, task="bias")] == [round(float(p.max()), 4) for p in v1]


def test_a_model_file_with_an_untrusted_type_is_refused_naming_it(lifecycle, client, tmp_path):
    import math

    import mlflow
    import skops.io
    from sklearn.preprocessing import FunctionTransformer

    from newslabel.errors import ModelLoadError
    from newslabel.tracking.model_files import load_task_model

    folder = Path(mlflow.artifacts.download_artifacts("models:/newslabel-bias/1", dst_path=str(tmp_path)))
    skops.io.dump(FunctionTransformer(func=math.sqrt), folder / "model.skops")  # a function: never loaded
    with pytest.raises(ModelLoadError) as err:
        load_task_model(str(folder))
    assert str(err.value) == f"{folder}: cannot load model (untrusted types in its skops file: math.sqrt)"


def cli(store: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true", "NEWSLABEL_MLRUNS": str(store)}
    env.pop("MLFLOW_TRACKING_URI", None)
    return subprocess.run([sys.executable, "-m", "src.label", *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=600)


def test_unusable_model_uris_are_one_line(lifecycle, client, tmp_path):
    import mlflow

    page = REPO / "tests" / "fixtures" / "unseen" / "dailyscope-01.txt"
    old = Path(mlflow.artifacts.download_artifacts("models:/newslabel-role/1", dst_path=str(tmp_path / "old")))
    mlmodel = yaml.safe_load((old / "MLmodel").read_text())
    mlmodel["metadata"]["newslabel_version"] = "0.0.1"
    (old / "MLmodel").write_text(yaml.safe_dump(mlmodel))
    expected = {
        "models:/newslabel-role/99": "models:/newslabel-role/99: cannot load model (Model Version (name=newslabel-role, "
                                     "version=99) not found)",
        str(old): f"{old}: cannot load model (saved by newslabel 0.0.1, incompatible with newslabel {__version__}; retrain "
                  "with `python -m src.train` or install newslabel==0.0.1)",
        str(page): f"{page}: cannot load model (No such artifact: 'MLmodel')",
    }
    for uri, line in expected.items():
        res = cli(lifecycle[3], str(page), "--out", str(tmp_path / "out.jsonl"), "--model", uri)
        assert (res.returncode, res.stderr) == (2, f"error: {line}\n"), uri
    assert not (tmp_path / "out.jsonl").exists()
