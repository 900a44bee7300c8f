# The two set-up commands: `make train` and `make test`. Both create .venv on first use; `make check` is the
# quick tier (the tests not marked slow).
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export MLFLOW_DISABLE_TELEMETRY := true
export HF_HUB_OFFLINE := 1
export HF_DATASETS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false
export MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR := false
export HF_DATASETS_DISABLE_PROGRESS_BARS := 1

.PHONY: venv train test check dataset lint ui serve clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[transformer,peers,spark,dev]"
	touch $(STAMP)

train: $(STAMP)
	$(PY) -m src.train

dataset: $(STAMP)
	$(PY) -m src.dataset

test: $(STAMP)
	$(PY) -m pytest -q

check: $(STAMP)
	$(PY) -m pytest -q -m "not slow"

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/lint-imports

# The MLflow UI on the store `make train` writes (tests/test_ui.py points UI_MLRUNS and UI_PORT elsewhere).
UI_MLRUNS ?= mlruns
UI_PORT ?= 5000
ui: $(STAMP)
	$(VENV)/bin/mlflow ui --backend-store-uri sqlite:///$(UI_MLRUNS)/mlflow.db --default-artifact-root $(UI_MLRUNS)/artifacts --host 127.0.0.1 --port $(UI_PORT) --workers 1

# The HTTP server on models:/newslabel@champion (configs/serve/default.yaml); e.g. make serve ARGS="--workers 2".
# It runs .venv/bin/python directly, so no activated venv or PATH is needed.
serve: $(STAMP)
	$(PY) -m src.serve $(ARGS)

clean:
	rm -rf data/processed mlruns/mlflow.db mlruns/artifacts
