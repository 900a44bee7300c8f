"""Fixtures shared by the test modules: the repo root, the shared folder, the seed page, and the trainings.

Every test starts with MLflow pointed at an empty store of its own; a test that reads a trained store asks for
it (`trained_store`, `retrained_store`), and one that trains or logs does so into a store of its own.

The trainings, each once a session on fixture-sized data (each public source capped at _trained.LIMIT rows a
split): `trained`, the real configs' four tasks, and `retrained`, a copy of its store where bias is trained
twice more (model.C=1 forced champion, then the same again). A test that needs a training (these, or
test_transformer's `tuned`) is marked `slow`, so `make check` leaves it out.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from _trained import REPO, RETRAIN, STATIC, Trained, overrides, store_copy

SHARED_DIR = REPO.parent / "shared"
SEED_NAME = "000_0eff458de775143f"


TRAININGS = {"trained", "retrained", "tuned"}  # the fixtures that train


def pytest_collection_modifyitems(items):
    for item in items:
        if TRAININGS & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    """tests/fixtures: small original pages and annotations written for these tests."""
    return REPO / "tests" / "fixtures"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """../shared (read in place, never copied into the repo); skips when it is not there."""
    if not SHARED_DIR.is_dir():
        pytest.skip(f"shared folder not found at {SHARED_DIR}")
    return SHARED_DIR


@pytest.fixture(scope="session")
def seed_path(shared_dir: Path) -> Path:
    """The seed page ../shared/seeds/000_0eff458de775143f.txt (its gold is the .roles.tsv beside it)."""
    path = shared_dir / "seeds" / f"{SEED_NAME}.txt"
    if not path.is_file() or not path.with_name(f"{SEED_NAME}.roles.tsv").is_file():
        pytest.skip(f"seed page or its roles.tsv not found under {path.parent}")
    return path


@pytest.fixture(autouse=True)
def mlflow_store(tmp_path_factory) -> Path:
    """MLflow's tracking and registry URIs on an empty store of this test's own (no test reads what another left)."""
    from newslabel.tracking import store as tracking

    mlruns = tmp_path_factory.mktemp("mlflow") / "mlruns"
    tracking.configure(mlruns)
    return mlruns


@pytest.fixture(scope="session")
def static_vectors(tmp_path_factory) -> Path:
    """The topic head's static vectors: the checkout's own (`make train` distilled them into data/processed) when
    there, else distilled once a session by the first training (~40 s, from the packaged MiniLM of the
    transformer extra). Random stand-ins would make the shared training's topics, which the tests pin, mean
    nothing."""
    own = REPO / "data" / "processed" / "static" / STATIC
    return own if own.exists() else tmp_path_factory.mktemp("static") / STATIC


@pytest.fixture(scope="session")
def train_config(static_vectors):
    """compose("train", ...) for a training into a folder's processed/ and mlruns/: make(folder, *overrides)."""
    from newslabel.config import compose

    def make(folder: Path, *extra: str):
        return compose("train", overrides(folder, static_vectors, *extra))

    return make


@pytest.fixture(scope="session")
def trained(tmp_path_factory, train_config) -> Trained:
    """The real configs' four tasks on the shipped data mix, trained once a session into a store of its own."""
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    from newslabel.training.run import train

    tmp = tmp_path_factory.mktemp("trained")
    cfg = train_config(tmp)
    return Trained(cfg, train(cfg), tmp / "mlruns", tmp / "processed")


@pytest.fixture
def trained_store(trained) -> Trained:
    """`trained`, with MLflow pointed at its store for this test (which only reads it)."""
    from newslabel.tracking import store as tracking

    tracking.configure(trained.mlruns)
    return trained


@pytest.fixture
def trained_copy(trained, tmp_path) -> Path:
    """A copy of the shared training's store, MLflow's current one, for a test that logs into it."""
    from newslabel.tracking import store as tracking

    mlruns = store_copy(trained.mlruns, tmp_path / "copy")
    tracking.configure(mlruns)
    return mlruns


@pytest.fixture(scope="session")
def retrained(trained, tmp_path_factory, train_config) -> tuple[dict, dict, Path]:
    """In a copy of the shared training's store: bias with model.C=1 forced champion, then the same training
    again. Returns (forced's results, again's results, the store)."""
    from newslabel.training.run import train

    tmp = tmp_path_factory.mktemp("retrained")
    store_copy(trained.mlruns, tmp)
    forced_args = (*RETRAIN, "tracking.force_promote=true")
    processed = f"paths.processed={trained.processed}"
    forced = train(train_config(tmp, *forced_args, processed), list(forced_args))
    again = train(train_config(tmp, *RETRAIN, processed), list(RETRAIN))
    return forced, again, tmp / "mlruns"


@pytest.fixture
def retrained_store(retrained) -> tuple[dict, dict, Path]:
    """`retrained`, with MLflow pointed at its store for this test (which only reads it)."""
    from newslabel.tracking import store as tracking

    tracking.configure(retrained[2])
    return retrained
