"""python -m src.passages PATH... --out FILE.jsonl"""

from newslabel.cli_passages import app

if __name__ == "__main__":
    app()
