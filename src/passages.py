"""`python -m src.passages ...`: the same as `newslabel passages ...` (newslabel.cli.main)."""

from newslabel.cli.main import run

if __name__ == "__main__":
    run("passages", prog_name="python -m src.passages")
