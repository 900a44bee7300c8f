"""`python -m src.label ...`: the same as `newslabel label ...` (newslabel.cli.main)."""

from newslabel.cli.main import run

if __name__ == "__main__":
    run("label", prog_name="python -m src.label")
