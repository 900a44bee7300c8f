"""8. bench: our models and the shipped labeller against peers and baselines on the public sets.

`harness` runs a benchmark (`runners` for each kind, `metrics` for the scores with their intervals), `report`
writes the committed result files and docs/benchmarks.md, `labeller` scores the shipped champions through
the user's own calls, `peers` wraps trafilatura, readability and jusText.
"""
