"""6. predict: the Labeller, how it is loaded, and batch labelling of files.

`labeller` labels a page or bare passages, `load` finds the models (champions, the published labeller, or a
URI), `batch` labels files into JSONL with resume, `pool` runs pages in worker processes.
"""
