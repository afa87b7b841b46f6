"""GridCare's benchmarks (issue 5 §6): ``make bench`` (``python -m bench``); not tests. docs/benchmarks.md."""
