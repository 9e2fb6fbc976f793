"""Batch scoring: the playbook's batch path, each day's new prediction points scored by the prod champion."""
