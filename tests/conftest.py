"""Generic fixtures shared by the test modules: the repo root, the shared folder, the seed page."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DIR = REPO_ROOT.parent / "shared"
SEED_NAME = "000_0eff458de775143f"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    """tests/fixtures: small original pages and annotations written for these tests."""
    return REPO_ROOT / "tests" / "fixtures"


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
