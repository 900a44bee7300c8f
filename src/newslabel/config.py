"""Where the project is, and its configs in configs/ read outside Hydra's entry points (the CLI and tests).

The project folder holds configs/, data/ and mlruns/. It is $NEWSLABEL_HOME if set, else the nearest folder at
or above the working directory with configs/train.yaml, else the checkout this package was installed from
(an editable install). So an installed `newslabel` works from inside any project folder, not only its source.
"""

from __future__ import annotations

import os
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

HOME_ENV = "NEWSLABEL_HOME"
MARKER = Path("configs") / "train.yaml"


def project_root() -> Path:
    """The project folder (see the module docstring); raises FileNotFoundError naming where it looked."""
    if os.environ.get(HOME_ENV):
        return Path(os.environ[HOME_ENV]).resolve()
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / MARKER).is_file():
            return folder
    checkout = Path(__file__).resolve().parents[2]
    if (checkout / MARKER).is_file():
        return checkout
    raise FileNotFoundError(f"no newslabel project: no {MARKER} at or above {here}; set ${HOME_ENV}")


def mlruns_dir() -> Path:
    """The MLflow store the labeller reads: $NEWSLABEL_MLRUNS, else mlruns/ of the project."""
    return Path(os.environ.get("NEWSLABEL_MLRUNS") or project_root() / "mlruns")


def config_dir() -> Path:
    return project_root() / "configs"


def load_group(group: str, name: str = "default") -> DictConfig:
    """One config group file, e.g. load_group('ingest') -> configs/ingest/default.yaml."""
    return OmegaConf.load(config_dir() / group / f"{name}.yaml")


def compose(config_name: str, overrides: list[str] | None = None) -> DictConfig:
    """The resolved config Hydra would give `config_name` with these overrides, rooted at the project."""
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir

    with initialize_config_dir(config_dir=str(config_dir()), version_base="1.3"):
        cfg = hydra_compose(config_name=config_name, overrides=[f"paths.root={project_root()}", *(overrides or [])])
    return OmegaConf.create(OmegaConf.to_container(cfg, resolve=True))
