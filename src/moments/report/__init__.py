"""The method's analyses as readable sections (findings, charts, tables) for the dashboard's
analysis pages and for ``moments report``'s standalone HTML file."""

from moments.report.render import render_report
from moments.report.sections import SECTIONS, Section, build_section, default_outcome

__all__ = ["SECTIONS", "Section", "build_section", "default_outcome", "render_report"]
