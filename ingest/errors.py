"""The error every corpus reader raises for a file it cannot ingest."""


class LoadError(Exception):
    """A file that cannot be ingested; the message says why."""
