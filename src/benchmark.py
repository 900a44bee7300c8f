"""`python -m src.benchmark ...`: the same as `newslabel benchmark ...` (newslabel.cli.main)."""

from newslabel.cli.main import run

if __name__ == "__main__":
    run("benchmark", prog_name="python -m src.benchmark")
