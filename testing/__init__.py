"""Fakes and harnesses registered at our own seams, shared by tests and benches (never shipped code)."""
