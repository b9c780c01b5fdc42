"""Benchmarks: each module is a script (`python benchmarks/NAME.py` or `python -m benchmarks.NAME`)."""
