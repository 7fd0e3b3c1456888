"""The composition root: the app factory, the CLI, and the document library that writes the corpus and
runs ingest. It sits above ingest/ and eval/, so nothing under assistant/ imports either."""
