"""Governance of the store: the append-only audit log (who did what, when) and a customer's
personal data (export on request, erasure that keeps the aggregate counts honest)."""

from moments.governance.audit import ACTIONS, entries, record
from moments.governance.personal import customer_data, erase_customer, export_customer

__all__ = ["ACTIONS", "customer_data", "entries", "erase_customer", "export_customer", "record"]
