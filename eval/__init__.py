"""Offline evaluation: questions with gold evidence, metrics, reports and the baseline gate."""
