"""Importers: survey exports by a MAP.yaml, and public data sets in their original files.

Each importer reads the source's own files, turns every row into events, and loads them through
the normal load path, so validation, quarantine (with the source file, line and field) and
de-duplication apply as for any event file:

- :func:`moments.importers.survey.import_survey` — any wide survey export (one row per
  respondent; CSV, Excel, Qualtrics) onto a journey, as a MAP.yaml (:mod:`.surveymap`) says;
  :func:`moments.importers.suggest.suggest_map` writes a first map.
- :func:`moments.importers.airline.import_airline` — Airline Passenger Satisfaction (Kaggle): a
  survey import with the shipped ``examples/airline-map.yaml``.
- :func:`moments.importers.olist.import_olist` — Olist Brazilian E-Commerce (Kaggle).
"""

from moments.importers.common import ImportReport

__all__ = ["ImportReport"]
