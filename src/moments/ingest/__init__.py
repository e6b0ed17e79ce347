"""Ingest: read event files, validate every row, quarantine the bad ones, load the good ones."""

from moments.ingest.load import LoadReport, event_kind, load_file, load_rows
from moments.ingest.readers import FORMATS
from moments.ingest.validate import Rules

__all__ = ["FORMATS", "LoadReport", "Rules", "event_kind", "load_file", "load_rows"]
