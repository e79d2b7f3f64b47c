"""Benchmarks of the crawler against the bare tools it is built on (issue 7).

Run everything with ``python -m bench.run`` (``--quick`` for a sanity run); results go to
``docs/benchmarks.md``. Nothing here is imported by the crawler or by the unit tests.
"""
