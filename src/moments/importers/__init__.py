"""Importers of public data sets in their original files, mapped onto shipped journeys.

Each importer reads the data set's own files (``.csv`` or ``.csv.gz``, original names), turns
every row into events, and loads them through the normal load path, so validation, quarantine
(with the source file, line and field) and de-duplication apply as for any event file:

- :func:`moments.importers.airline.import_airline` — Airline Passenger Satisfaction (Kaggle).
- :func:`moments.importers.olist.import_olist` — Olist Brazilian E-Commerce (Kaggle).
"""

from moments.importers.common import ImportReport

__all__ = ["ImportReport"]
