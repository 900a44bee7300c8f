"""python -m src.train [overrides...]: fit, evaluate and track every task (see configs/train.yaml)."""

import hydra
from omegaconf import DictConfig


@hydra.main(version_base="1.3", config_path="../configs", config_name="train")
def main(cfg: DictConfig) -> None:
    from hydra.core.hydra_config import HydraConfig

    from newslabel.train import train

    train(cfg, list(HydraConfig.get().overrides.task))  # the runs are named by these


if __name__ == "__main__":
    main()
