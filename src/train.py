"""`python -m src.train ...`: the same as `newslabel train ...` (newslabel.cli.main)."""

from newslabel.cli.main import run

if __name__ == "__main__":
    run("train", prog_name="python -m src.train")
