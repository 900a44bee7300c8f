"""Training on the real configs: metrics, MLflow params, datasets, artifacts, registry and champion rule."""

from __future__ import annotations

import mlflow
import numpy as np
import pytest
from mlflow import MlflowClient
from omegaconf import OmegaConf

from newslabel.config import compose
from newslabel.tracking import model_files

TASKS = ("role", "topic", "stance", "bias")


@pytest.fixture
def trained(trained_store):
    return trained_store


def child_run(task: str):
    exp = mlflow.get_experiment_by_name("newslabel-train")
    runs = MlflowClient().search_runs([exp.experiment_id], f"tags.task = '{task}'",
                                      order_by=["attributes.start_time ASC"])
    return runs[0]


def test_train_returns_metrics_for_every_task(trained):
    assert set(trained.results) == {*TASKS, "labeller"}
    from newslabel import load_labeller
    from newslabel.training.evaluate import coarse_view, metrics
    from newslabel.training.fit import frames, inputs
    from newslabel.training.run import labeller_headlines

    labeller = load_labeller(mlruns=trained.mlruns)
    for task in TASKS:
        r = trained.results[task]
        # The reported figures are the registered model's on the saved splits, recomputed here.
        data, _, labels = frames(task, trained.cfg)
        if task == "stance":  # with the sample headlines the stance run used (training.headlines)
            data, used = labeller_headlines(trained.cfg, data)
            assert used == "models:/newslabel-role/1"
        model = labeller.models[task]
        for split, prefix in (("test", "test_"), ("validation", "val_")):
            pred = model.classes_[model.predict_proba(inputs(data[split])).argmax(axis=1)]
            if task == "role":  # a row whose gold says only `boilerplate` takes any role but body as right
                pred = coarse_view(data[split]["label"].to_numpy(), pred)
            pred = pred.tolist()
            again = metrics(data[split]["label"].tolist(), pred, labels, prefix)
            assert (r[f"{prefix}macro_f1"], r[f"{prefix}accuracy"]) == pytest.approx(
                (again[f"{prefix}macro_f1"], again[f"{prefix}accuracy"]), abs=1e-12), (task, split)
        assert r["registered_version"] == 1 and r["promoted"] is True
        assert r["promotion_reason"] == "no champion yet"
    assert trained.results["role"]["test_body_f1"] > 0.8


def test_store_lives_under_mlruns(trained):
    assert (trained.mlruns / "mlflow.db").is_file()
    exp = mlflow.get_experiment_by_name("newslabel-train")
    assert exp.artifact_location == (trained.mlruns.resolve() / "artifacts" / "newslabel-train").as_uri()
    runs = MlflowClient().search_runs([exp.experiment_id])
    assert len(runs) == 5 and {r.info.artifact_uri.rsplit("/", 2)[0] for r in runs} == {exp.artifact_location}
    assert mlflow.get_experiment_by_name("newslabel-role") is None  # children live beside their parent


def test_child_runs_log_config_metrics_dataset_and_artifacts(trained):
    client = MlflowClient()
    parent = client.search_runs([mlflow.get_experiment_by_name("newslabel-train").experiment_id],
                                "tags.tasks = 'role,topic,stance,bias'")[0]
    data, model = trained.cfg.data.name, trained.cfg.model
    assert parent.info.run_name.startswith(f"train role+topic+stance+bias · logreg · {data} · defaults · ")
    labels = {"role": ["title", "byline", "body", "related", "promo", "chrome"], "stance": ["agree", "disagree",
              "discuss", "unrelated"], "bias": ["biased", "neutral"]}
    for task in TASKS:
        run = child_run(task)
        assert run.data.tags["mlflow.parentRunId"] == parent.info.run_id
        assert run.info.run_name == f"{task} · logreg · {data} · {run.data.tags['config_digest']}"
        # the config's key params (tracking.key_params), as the config says them
        assert run.data.params == {"data.name": data, "model.name": model.name, "model.kind": model.kind,
                                   "model.C": str(model.C), "model.class_weight": str(model.class_weight),
                                   "model.calibration": str(model.calibration), "seed": str(trained.cfg.seed),
                                   "task": task}
        config = OmegaConf.create(mlflow.artifacts.load_text(f"runs:/{run.info.run_id}/config.yaml"))
        assert config.tasks.role == trained.cfg.tasks.role  # the whole config, as trained
        assert run.data.tags["git_commit"] == run.data.tags["mlflow.source.git.commit"]
        for split in ("test", "val"):
            assert {f"{split}_accuracy", f"{split}_macro_f1"} <= set(run.data.metrics)
        for label in labels.get(task, []):
            assert f"test_f1_{label}" in run.data.metrics
        inputs = {(i.dataset.name, {t.key: t.value for t in i.tags}["mlflow.data.context"],
                   {t.key: t.value for t in i.tags}["dataset_digest"]) for i in run.inputs.dataset_inputs}
        digest = run.data.tags["dataset_digest"]
        assert inputs == {(f"{task}-{data}-train", "training", digest), (f"{task}-{data}-validation", "validation",
                          digest), (f"{task}-{data}-test", "test", digest)}
        names = {a.path for a in client.list_artifacts(run.info.run_id)}
        assert {"confusion_matrix.png", "classification_report.txt", "misclassified.csv", "config.yaml"} <= names
        card = mlflow.artifacts.load_text(f"runs:/{run.info.run_id}/dataset/README.md")
        assert card.startswith(f"# newslabel dataset: {task} from {data}")
        note = run.data.tags["mlflow.note.content"]
        assert note.startswith(f"**{task}** classifier `{model.name}` (C={model.C}, class_weight={model.class_weight}, "
                               f"calibration={model.calibration}), trained on data `{data}`")
        assert "Against the champion: no champion yet: this run's model is now the champion." in note
    assert "test_body_f1" in child_run("role").data.metrics


def test_run_names_follow_the_overrides(tmp_path):
    """Names carry task, model, data and the overrides that change the model; paths are left out."""
    from omegaconf import OmegaConf

    from newslabel.tracking import runinfo

    names = []
    for extra in ([], ["model.C=10"], ["model=linear_svc"]):
        cfg = compose("train", ["task=bias", *extra])
        settings = runinfo.task_settings(OmegaConf.to_container(cfg, resolve=True), "bias")
        digest = runinfo.config_digest(settings, str(cfg.paths.root))
        overrides = runinfo.clean_overrides([f"paths.mlruns={tmp_path}", "task=bias", *extra])
        names.append(runinfo.child_name("bias", cfg.model.name, cfg.data.name, overrides, digest))
    assert len(set(names)) == 3
    assert [n.rsplit(" · ", 1)[0] for n in names] == [
        "bias · logreg · mix", "bias · logreg · mix · model.C=10", "bias · linear_svc · mix · model=linear_svc"]


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
    from newslabel.tracking import registry
    from newslabel.training.fit import frames, inputs

    data, summary, _ = frames("bias", trained.cfg)
    val = data["validation"]
    frame = inputs(val).assign(label=val["label"].to_numpy())
    champ = model_files.load_task_model("models:/newslabel-bias@champion")
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


def test_sweep_override_composes(tmp_path):
    cfg = compose("train", ["task=topic", "data=bbc", "model=linear_svc", "model.C=10"])
    assert list(cfg.task.names) == ["topic"] and cfg.data.importer == "bbc"
    assert cfg.model.classifier == "linear_svc" and cfg.model.C == 10


def test_summary_says_which_version_is_champion(capsys):
    from newslabel.training.run import print_summary

    won = {"test_accuracy": 0.8, "test_macro_f1": 0.7, "registered_version": 3, "promoted": True,
           "champion_version": "3", "promotion_reason": "test_macro_f1 0.7000 beats champion v1 (0.6500)"}
    lost = {"test_accuracy": 0.2, "test_macro_f1": 0.1, "registered_version": None, "promoted": False,
            "champion_version": "1", "promotion_reason": "test_macro_f1 0.1000 does not beat champion v1 (0.1600)"}
    print_summary({"bias": won, "topic": lost})
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith(("│ bias", "│ topic"))]
    assert [[c.strip() for c in r.split("│")[5:7]] for r in rows] == [["3", "v3 (new)"], ["—", "v1 (kept)"]]
