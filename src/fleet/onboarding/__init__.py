"""Onboarding as the vendor's installation guide describes it.

- ``lifecycle``: each practice's journey from "created" to "active", per install method, with who
  it waits on; pure rules, no storage.
- ``checklist``: the catalog's checklist per system, judged for one practice (items fleet checks
  from the inventory, items the technician confirms).
- ``status``: a practice's onboarding as every command shows it (state, since, the engineer's
  date, what is open), read from the store (``fleet.store.onboarding``).
"""
