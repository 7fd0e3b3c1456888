"""The document library: list, add and delete corpus files, each change ingested in the background."""
