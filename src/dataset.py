"""python -m src.dataset [data=NAME] [overrides...]: build labelled datasets (see configs/dataset.yaml)."""

import hydra
from omegaconf import DictConfig


@hydra.main(version_base="1.3", config_path="../configs", config_name="dataset")
def main(cfg: DictConfig) -> None:
    from newslabel.cli_dataset import run

    run(cfg)


if __name__ == "__main__":
    main()
