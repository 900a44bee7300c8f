"""Fine-tuned transformer encoders (MiniLM by default) as scikit-learn-like classifiers.

The only module that imports torch and transformers. `TransformerClassifier` has the estimator API that
training and prediction use for the scikit-learn pipelines (`fit(X, y)`, `predict_proba(X)`, `predict`,
`classes_`), where X is the dataset's DataFrame:

- topic, bias: the passage (`text`);
- stance: the pair (`headline`, `text`);
- role: the pair (passage, its page context as text: position on the page, HTML tag and link density,
  the page title and the neighbouring passages), built from the frame's rows of the same page.

Training is transformers' `Trainer`: dynamic padding, length-grouped batches, a step cap or a training subset
for CPU, early stopping on the validation split (`fit(..., eval_set=(X_val, y_val))`), class-weighted loss
where labels are skewed, mixed precision on CUDA. Inference sorts passages by length, pads each batch to its
own longest and runs under `torch.inference_mode()`, in bf16 autocast on CPUs with AMX (`cpu_bf16`) and fp16 on
CUDA. Role's page context is in its input text, so the scikit-learn role model's HMM smoothing
(`tasks.role.smoothing`) does not apply here.

Saved through MLflow's transformers flavour as the Hugging Face model and tokenizer; the model config carries
`newslabel` (task, label order, input settings) so `from_components` rebuilds the classifier.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import asdict, fields

import numpy as np
import pandas as pd

from newslabel.models.transformer_inputs import (
    Settings,
    _offline_env,
    _sample,
    class_weights,
    encoder_path,
    model_texts,
)
from newslabel.scoring import accuracy, macro_f1

FLAVOR = "transformers"


class TransformerClassifier:
    """A sequence-classification head on a pretrained encoder, with the scikit-learn classifier API."""

    mlflow_flavor = FLAVOR
    uses_eval_set = True  # training passes the validation split as fit(..., eval_set=(X, y))

    def __init__(self, settings: Settings | None = None, **kwargs):
        self.settings = settings or Settings(**kwargs)

    @classmethod
    def from_config(cls, task: str, cfg, seed: int) -> TransformerClassifier:
        return cls(Settings.from_config(task, cfg, seed))

    # ---- devices -------------------------------------------------------------------------------
    def _device(self):
        _offline_env()
        import torch

        want = self.settings.device
        if want == "auto":
            return torch.device("cuda" if torch.cuda.is_available() else "cpu")
        return torch.device(want)

    def _mixed_precision(self, device) -> bool:
        fp16 = self.settings.fp16
        return device.type == "cuda" if fp16 == "auto" else bool(fp16) and device.type == "cuda"

    def _inference_autocast(self, device):
        """(enabled, dtype) of autocast for inference: fp16 on CUDA, bf16 on CPUs with AMX (see Settings)."""
        _offline_env()
        import torch

        if device.type == "cuda":
            return self._mixed_precision(device), torch.float16
        want = self.settings.cpu_bf16
        amx = getattr(torch.cpu, "_is_amx_tile_supported", lambda: False)()
        return (amx if want == "auto" else bool(want)), torch.bfloat16

    # ---- encoding ------------------------------------------------------------------------------
    def _encode(self, X: pd.DataFrame) -> dict:
        s = self.settings
        texts = model_texts(s.task, X, s.context_words, char_cap=s.max_length * 10)
        return self.tokenizer_(texts.first, texts.second, truncation="longest_first", max_length=s.max_length,
                               padding=False)

    @staticmethod
    def _rows(enc: dict, labels: np.ndarray | None = None) -> list[dict]:
        keys = [k for k in ("input_ids", "attention_mask", "token_type_ids") if k in enc]
        rows = [{k: enc[k][i] for k in keys} for i in range(len(enc["input_ids"]))]
        if labels is not None:
            for r, lab in zip(rows, labels):
                r["labels"] = int(lab)
        return rows

    # ---- training ------------------------------------------------------------------------------
    def fit(self, X: pd.DataFrame, y, eval_set: tuple[pd.DataFrame, object] | None = None) -> TransformerClassifier:
        _offline_env()
        from transformers import (
            DataCollatorWithPadding,
            EarlyStoppingCallback,
            Trainer,
            TrainingArguments,
        )

        s = self.settings
        y = np.asarray(y).astype(str)
        model = self._start(np.array(sorted(set(y)), dtype=object))
        lookup = {c: k for k, c in enumerate(self.classes_)}

        keep = _sample(y, s.train_subset, s.seed)
        X_train, y_train = X.iloc[keep].reset_index(drop=True), y[keep]
        train_rows = self._rows(self._encode(X_train), np.array([lookup[v] for v in y_train]))
        eval_rows = self._eval_rows(eval_set, lookup)

        device = self._device()
        steps_per_epoch = max(1, -(-len(train_rows) // s.batch_size))
        total = s.max_steps if s.max_steps and s.max_steps > 0 else int(np.ceil(s.epochs * steps_per_epoch))
        every = max(1, min(s.eval_steps, total))
        weights = class_weights(y_train, self.classes_, s.class_weights, s.skew_ratio)
        self.class_weights_ = None if weights is None else weights.round(4).tolist()

        with tempfile.TemporaryDirectory(prefix="newslabel-trainer-") as out:
            args = self._training_args(TrainingArguments, out, total, every, bool(eval_rows), device)
            trainer = Trainer(
                model=model, args=args, train_dataset=train_rows, eval_dataset=eval_rows,
                data_collator=DataCollatorWithPadding(self.tokenizer_), processing_class=self.tokenizer_,
                compute_metrics=_compute_metrics if eval_rows else None,
                compute_loss_func=_weighted_loss(weights) if weights is not None else None,
                callbacks=[EarlyStoppingCallback(early_stopping_patience=s.patience)] if eval_rows else [],
            )
            start = time.perf_counter()
            trainer.train()
            self.fit_seconds_ = time.perf_counter() - start
            self.history_, self.steps_ = list(trainer.state.log_history), trainer.state.global_step
            self.best_metric_, self.best_step_ = trainer.state.best_metric, _best_step(trainer.state)
            self.model_ = trainer.model.to(device).eval()
        self.device_ = device
        return self

    def _start(self, classes: np.ndarray):
        """Seeds, threads and quiet logs set; the tokenizer and the encoder with a fresh head for `classes`."""
        _offline_env()
        import torch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer, set_seed

        s = self.settings
        if not s.progress:
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()
        set_seed(s.seed)
        if s.threads > 0:
            torch.set_num_threads(s.threads)
        self.classes_ = classes
        path = encoder_path(s.encoder)
        self.tokenizer_ = AutoTokenizer.from_pretrained(path)
        id2label = {k: str(c) for k, c in enumerate(classes)}
        return AutoModelForSequenceClassification.from_pretrained(
            path, num_labels=len(classes), id2label=id2label, label2id={v: k for k, v in id2label.items()})

    def _eval_rows(self, eval_set, lookup: dict) -> list[dict] | None:
        """The early-stopping rows: known labels only, a sample of `eval_subset`, shortest first (less padding)."""
        s = self.settings
        if eval_set is None or not len(eval_set[0]):
            return None
        X_val, y_val = eval_set[0], np.asarray(eval_set[1]).astype(str)
        known = np.isin(y_val, self.classes_)
        X_val, y_val = X_val[known].reset_index(drop=True), y_val[known]
        pick = _sample(y_val, s.eval_subset, s.seed)
        X_val, y_val = X_val.iloc[pick].reset_index(drop=True), y_val[pick]
        rows = self._rows(self._encode(X_val), np.array([lookup[v] for v in y_val]))
        rows.sort(key=lambda r: len(r["input_ids"]))
        return rows or None

    def _training_args(self, TrainingArguments, out: str, total: int, every: int, evaluate: bool, device):
        s = self.settings
        return TrainingArguments(
            output_dir=out, per_device_train_batch_size=s.batch_size, per_device_eval_batch_size=s.eval_batch_size,
            learning_rate=s.learning_rate, weight_decay=s.weight_decay, warmup_steps=float(s.warmup_ratio),
            num_train_epochs=float(s.epochs), max_steps=int(s.max_steps) if s.max_steps and s.max_steps > 0 else -1,
            eval_strategy="steps" if evaluate else "no", eval_steps=every,
            save_strategy="steps" if evaluate else "no", save_steps=every, save_total_limit=1, save_only_model=True,
            load_best_model_at_end=evaluate, metric_for_best_model=s.early_stopping_metric,
            greater_is_better=True, logging_steps=max(1, min(s.logging_steps, total)), report_to="none",
            seed=s.seed, data_seed=s.seed, use_cpu=device.type == "cpu", fp16=self._mixed_precision(device),
            dataloader_pin_memory=device.type == "cuda", dataloader_num_workers=0, disable_tqdm=not s.progress,
            train_sampling_strategy="group_by_length" if s.group_by_length else "random",
            remove_unused_columns=False,
        )

    # ---- inference -----------------------------------------------------------------------------
    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Class probabilities (columns in `classes_` order), by length-sorted batches, without gradients."""
        _offline_env()
        import torch

        if len(X) == 0:
            return np.zeros((0, len(self.classes_)))
        enc = self._encode(X.reset_index(drop=True))
        rows = self._rows(enc)
        order = np.argsort([len(r["input_ids"]) for r in rows], kind="stable")
        out = np.zeros((len(rows), len(self.classes_)), dtype=np.float64)
        device = self.device_
        amp, dtype = self._inference_autocast(device)
        bs = self.settings.eval_batch_size
        start = time.perf_counter()
        with torch.inference_mode():
            for b in range(0, len(order), bs):
                idx = order[b:b + bs]
                batch = self.tokenizer_.pad([rows[i] for i in idx], return_tensors="pt")
                batch = {k: v.to(device) for k, v in batch.items()}
                with torch.autocast(device.type, dtype=dtype, enabled=amp):
                    logits = self.model_(**batch).logits
                out[idx] = torch.softmax(logits.float(), dim=-1).cpu().numpy()
        seconds = time.perf_counter() - start
        self.last_predict_ = {"passages": len(rows), "seconds": seconds, "passages_per_second": len(rows) / seconds}
        return out

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return self.classes_[self.predict_proba(X).argmax(axis=1)]

    def training_summary(self) -> dict:
        """What training did, for the run's tags: device, steps, the early-stopping pick, loss weights, speed."""
        rate = getattr(self, "last_predict_", {}).get("passages_per_second")
        amp, dtype = self._inference_autocast(self.device_)
        return {"device": self.device_.type, "steps": self.steps_, "best_step": self.best_step_,
                "best_val_metric": self.best_metric_, "class_weights": self.class_weights_,
                "inference_autocast": str(dtype) if amp else "none", "fit_seconds": round(self.fit_seconds_, 1),
                "inference_passages_per_second": None if rate is None else round(rate, 1)}

    # ---- persistence ---------------------------------------------------------------------------
    def metadata(self) -> dict:
        return {"settings": asdict(self.settings), "classes": [str(c) for c in self.classes_]}

    def components(self) -> dict:
        """{"model", "tokenizer"} for `mlflow.transformers.log_model`; the model config carries `newslabel`."""
        self.model_.config.newslabel = self.metadata()
        return {"model": self.model_, "tokenizer": self.tokenizer_}

    @classmethod
    def from_components(cls, model, tokenizer, device: str | None = None) -> TransformerClassifier:
        """Rebuild the classifier from a saved model and tokenizer (see `components`)."""
        meta = getattr(model.config, "newslabel", None)
        if not meta:
            raise ValueError("not a newslabel transformer model (its config has no `newslabel` entry)")
        known = {f.name for f in fields(Settings)}
        self = cls(Settings(**{k: v for k, v in meta["settings"].items() if k in known}))
        if device is not None:
            self.settings.device = device
        self.classes_ = np.array(meta["classes"], dtype=object)
        self.tokenizer_ = tokenizer
        self.device_ = self._device()
        self.model_ = model.to(self.device_).eval()
        return self

    def pipeline_example(self, X: pd.DataFrame) -> list:
        """X as the transformers pipeline reads it: texts, or {"text", "text_pair"} records for pairs."""
        t = model_texts(self.settings.task, X, self.settings.context_words, char_cap=self.settings.max_length * 10)
        if t.second is None:
            return t.first
        return [{"text": a, "text_pair": b} for a, b in zip(t.first, t.second)]

    def __repr__(self) -> str:
        s = self.settings
        return f"TransformerClassifier(task={s.task!r}, encoder={s.encoder!r}, max_length={s.max_length})"


def quiet_loading() -> None:
    """No progress bars or load reports from transformers while a saved model loads (batch labelling, serving)."""
    _offline_env()
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()


def _compute_metrics(pred) -> dict[str, float]:
    logits = pred.predictions[0] if isinstance(pred.predictions, tuple) else pred.predictions
    y_pred, y_true = np.asarray(logits).argmax(axis=1).tolist(), np.asarray(pred.label_ids).tolist()
    return {"macro_f1": macro_f1(y_true, y_pred), "accuracy": accuracy(y_true, y_pred)}


def _weighted_loss(weights: np.ndarray):
    _offline_env()
    import torch

    w = torch.tensor(weights, dtype=torch.float32)

    def loss(outputs, labels, num_items_in_batch=None):
        logits = outputs["logits"] if isinstance(outputs, dict) else outputs[0]
        return torch.nn.functional.cross_entropy(logits.float(), labels, weight=w.to(logits.device))

    return loss


def _best_step(state) -> int | None:
    ckpt = state.best_model_checkpoint
    if not ckpt:
        return None
    try:
        return int(str(ckpt).rstrip("/").rsplit("-", 1)[1])
    except (IndexError, ValueError):
        return None


def pip_requirements() -> list[str]:
    """The packages a logged transformer model needs beside the project's own."""
    from importlib.metadata import PackageNotFoundError, version

    out = []
    for p in ("torch", "transformers", "accelerate", "tokenizers", "safetensors"):
        try:
            out.append(f"{p}=={version(p).split('+')[0]}")
        except PackageNotFoundError:
            continue
    return out
