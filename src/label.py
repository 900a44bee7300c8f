"""python -m src.label PATH... --out labels.jsonl [--articles articles.jsonl] [--model URI]"""

from newslabel.cli_label import app

if __name__ == "__main__":
    app()
