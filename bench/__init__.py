"""Benchmarks of the hub with their targets: they print figures and never assert timings."""
