"""Benchmarks: ingestion, per-stage query latency, HTTP load and scale. Tables, never test asserts."""
