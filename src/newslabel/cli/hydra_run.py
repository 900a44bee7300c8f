"""`newslabel train` and `newslabel dataset`: Hydra commands (overrides, `-m` sweeps) on the project's configs/.

Paths are rooted at the project folder (newslabel.config.project_root), wherever the command runs from.

>>> hydra_argv("train", ["task=bias", "-m", "model.C=1,10"], "/p")
['newslabel train', 'paths.root=/p', 'task=bias', '-m', 'model.C=1,10']
"""

from __future__ import annotations

import sys

from omegaconf import DictConfig

from newslabel.config import config_dir, project_root


def hydra_argv(command: str, args: list[str], root) -> list[str]:
    given = any(a.startswith(("paths.root=", "++paths.root=")) for a in args)
    return [f"newslabel {command}", *([] if given else [f"paths.root={root}"]), *args]


def run_hydra(config_name: str, task_function, args: list[str]) -> None:
    """Run `task_function(cfg)` as Hydra would from `@hydra.main(config_name=...)`, with `args` as its command line."""
    import hydra

    sys.argv = hydra_argv(config_name, args, project_root())
    hydra.main(version_base="1.3", config_path=str(config_dir()), config_name=config_name)(task_function)()


def train_job(cfg: DictConfig) -> None:
    from hydra.core.hydra_config import HydraConfig

    from newslabel.training.run import train

    train(cfg, list(HydraConfig.get().overrides.task))  # the runs are named by these


def dataset_job(cfg: DictConfig) -> None:
    from newslabel.cli.dataset import run

    run(cfg)
