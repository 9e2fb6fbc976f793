"""Governance records: who may approve (the signed policy), signed approvals, the change register and
who trained each model version. The gates (gates/approvals.py) judge them; the core keeps them."""
