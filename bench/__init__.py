"""Benchmarks at national scale: a data generator, the scenarios and their runner.

Nothing here runs in production. The app only adds management commands
(`generate_bench_data`, `run_bench`); `python -m bench.run` drives them.
"""
