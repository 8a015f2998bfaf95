"""Pieces only the test suites share: a dict-backed keyring, racing chat sends, the import graph (what
the benchmarks use too lives in devkit/)."""
