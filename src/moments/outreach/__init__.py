"""Proactive outreach: offers and a contact policy as code, and a plan that maximises expected
value without over-contacting anyone.

- :mod:`~moments.outreach.offers` — the YAML files (validated with file:line:column errors);
- :mod:`~moments.outreach.eligibility` — the safe rule language, compiled to Ibis;
- :mod:`~moments.outreach.features` — per-customer features from the store;
- :mod:`~moments.outreach.response` — acceptance probabilities, fitted or declared;
- :mod:`~moments.outreach.policy` — the policy as arrays the optimiser respects;
- :mod:`~moments.outreach.optimise` — exact (HiGHS) and scalable (Lagrangian) methods;
- :mod:`~moments.outreach.plan`, :mod:`~moments.outreach.explain`,
  :mod:`~moments.outreach.simulate` — the plan with reasons, why-not, and the comparison.
"""
