"""Doctest collection over src/newslabel (pyproject's testpaths): modules whose optional dependency is not
installed are left out, so `make test` runs on an install without the extras."""

from importlib.util import find_spec

OPTIONAL = {"src/newslabel/spark.py": "pyspark", "src/newslabel/transformer.py": "torch"}

collect_ignore = [path for path, dep in OPTIONAL.items() if find_spec(dep) is None]
