"""python -m src.serve [--port 5001] [--workers N]: the HTTP server (see newslabel.server)."""

from newslabel.server import cli

if __name__ == "__main__":
    cli()
