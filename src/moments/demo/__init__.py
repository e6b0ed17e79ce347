"""Deterministic demo data for the retail store-visit journey, with planted effects."""

from moments.demo.generator import PLANTED, DemoData, default_journey, generate

__all__ = ["PLANTED", "DemoData", "default_journey", "generate"]
