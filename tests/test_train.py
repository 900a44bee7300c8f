"""Training on the real configs: metrics, MLflow params, datasets, artifacts, registry and champion rule."""

from __future__ import annotations

import mlflow
import numpy as np
import pytest
from _trained import overrides, trained_sample
from mlflow import MlflowClient

from newslabel import tracking
from newslabel.config import compose

TASKS = ("role", "topic", "stance", "bias")


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    t = trained_sample(tmp_path_factory)
    tracking.configure(t.mlruns)
    return t


def child_run(task: str):
    exp = mlflow.get_experiment_by_name(f"newslabel-{task}")
    runs = MlflowClient().search_runs([exp.experiment_id], order_by=["attributes.start_time ASC"])
    return runs[0]


def test_train_returns_metrics_for_every_task(trained):
    assert set(trained.results) == {*TASKS, "labeller"}
    for task in TASKS:
        r = trained.results[task]
        assert 0.0 <= r["test_macro_f1"] <= 1.0 and 0.0 <= r["val_accuracy"] <= 1.0
        assert r["registered_version"] == 1 and r["promoted"] is True
        assert r["promotion_reason"] == "no champion yet"
    assert trained.results["role"]["test_body_f1"] > 0.8


def test_store_lives_under_mlruns(trained):
    assert (trained.mlruns / "mlflow.db").is_file()
    assert mlflow.get_tracking_uri() == f"sqlite:///{trained.mlruns.resolve() / 'mlflow.db'}"
    exp = mlflow.get_experiment_by_name("newslabel-role")
    assert exp.artifact_location == (trained.mlruns.resolve() / "artifacts" / "newslabel-role").as_uri()


def test_child_runs_log_config_metrics_dataset_and_artifacts(trained):
    parent = MlflowClient().search_runs([mlflow.get_experiment_by_name("newslabel-train").experiment_id])[0]
    labels = {"role": ["title", "byline", "body", "related", "promo", "chrome"], "stance": ["agree", "disagree",
              "discuss", "unrelated"], "bias": ["biased", "neutral"]}
    for task in TASKS:
        run = child_run(task)
        assert run.data.tags["mlflow.parentRunId"] == parent.info.run_id
        assert run.data.params["model.C"] == "4.0" and run.data.params["data.name"] == "sample"
        assert run.data.params["tasks.role.smoothing"] == "hmm"
        assert run.data.tags["git_commit"] == run.data.tags["mlflow.source.git.commit"]
        for split in ("test", "val"):
            assert {f"{split}_accuracy", f"{split}_macro_f1"} <= set(run.data.metrics)
        for label in labels.get(task, []):
            assert f"test_f1_{label}" in run.data.metrics
        inputs = {(i.dataset.name, i.dataset.digest) for i in run.inputs.dataset_inputs}
        assert (f"{task}-sample", run.data.tags["dataset_digest"]) in inputs
        names = {a.path for a in MlflowClient().list_artifacts(run.info.run_id)}
        assert {"confusion_matrix.png", "classification_report.txt", "misclassified.csv"} <= names
    assert "test_body_f1" in child_run("role").data.metrics


def test_models_are_registered_with_signature(trained):
    client = MlflowClient()
    for task in TASKS:
        champ = client.get_model_version_by_alias(f"newslabel-{task}", "champion")
        assert str(champ.version) == "1"
        info = mlflow.models.get_model_info(f"models:/newslabel-{task}@champion")
        assert info.signature is not None and info.saved_input_example_info is not None
    assert str(client.get_model_version_by_alias("newslabel", "champion").version) == "1"


def test_champion_rule_compares_with_the_champion_on_validation(trained):
    """registry.decide against the real bias champion, with predictions of its validation split made up."""
    from newslabel import registry
    from newslabel.train import frames, inputs

    data, summary, _ = frames("bias", trained.cfg)
    val = data["validation"]
    frame = inputs(val).assign(label=val["label"].to_numpy())
    champ = tracking.load_task_model("models:/newslabel-bias@champion")
    same = champ.classes_[champ.predict_proba(inputs(val)).argmax(axis=1)]
    value, rule = trained.results["bias"]["val_macro_f1"], trained.cfg.tracking.promotion

    def decide(pred, digest=summary["digest"]):
        return registry.decide("newslabel-bias", "val_macro_f1", value, digest, frame, pred, None, rule)

    tie = decide(same)
    assert (tie.promoted, tie.decision, tie.comparison.new, tie.comparison.champion) == (False, "tie", value, value)
    gold = decide(val["label"].to_numpy())
    assert (gold.promoted, gold.decision, gold.comparison.new) == (True, "better", 1.0)
    assert gold.comparison.champion == pytest.approx(value) and gold.comparison.low > 0
    right = int(np.flatnonzero(same == val["label"].to_numpy())[0])
    one_worse = same.copy()
    one_worse[right] = "neutral" if same[right] == "biased" else "biased"
    worse = decide(one_worse)
    assert (worse.promoted, worse.decision) == (False, "not better") and worse.comparison.diff < 0
    assert worse.reason.endswith("does not beat champion v1 beyond noise (lower bound <= 0.0)")
    other = decide(val["label"].to_numpy(), digest="another-digest")
    assert (other.promoted, other.decision) == (False, "not comparable")
    assert str(MlflowClient().get_model_version_by_alias("newslabel-bias", "champion").version) == "1"


def test_training_is_deterministic(trained, tmp_path):
    from newslabel.train import train

    cfg = compose("train", overrides(tmp_path, "task=stance", f"paths.processed={trained.processed}"))
    again = train(cfg)["stance"]
    for key in ("test_accuracy", "test_macro_f1", "val_macro_f1"):
        assert again[key] == trained.results["stance"][key]
    tracking.configure(trained.mlruns)


def test_sweep_override_composes(tmp_path):
    cfg = compose("train", ["task=topic", "data=bbc", "model=linear_svc", "model.C=10"])
    assert list(cfg.task.names) == ["topic"] and cfg.data.importer == "bbc"
    assert cfg.model.classifier == "linear_svc" and cfg.model.C == 10
