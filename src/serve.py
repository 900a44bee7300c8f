"""`python -m src.serve ...`: the same as `newslabel serve ...` (newslabel.cli.main)."""

from newslabel.cli.main import run

if __name__ == "__main__":
    run("serve", prog_name="python -m src.serve")
