"""Reading the configs in configs/ outside Hydra's entry points (the typer CLIs and tests)."""

from __future__ import annotations

from pathlib import Path

from omegaconf import DictConfig, OmegaConf

ROOT = Path(__file__).resolve().parents[2]
CONFIG_DIR = ROOT / "configs"


def load_group(group: str, name: str = "default") -> DictConfig:
    """One config group file, e.g. load_group('ingest') -> configs/ingest/default.yaml."""
    return OmegaConf.load(CONFIG_DIR / group / f"{name}.yaml")


def compose(config_name: str, overrides: list[str] | None = None) -> DictConfig:
    """The resolved config Hydra would give `config_name` with these overrides, rooted at the project."""
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir

    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        cfg = hydra_compose(config_name=config_name, overrides=[f"paths.root={ROOT}", *(overrides or [])])
    return OmegaConf.create(OmegaConf.to_container(cfg, resolve=True))
