"""`python -m src.dataset ...`: the same as `newslabel dataset ...` (newslabel.cli.main)."""

from newslabel.cli.main import run

if __name__ == "__main__":
    run("dataset", prog_name="python -m src.dataset")
