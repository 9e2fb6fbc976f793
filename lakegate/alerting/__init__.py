"""Alerts on every failed asset check and on sensors or schedules that stopped ticking.

Plain functions (transitions, reading Dagster's records, the alert table, notifiers); the two
sensors in `sensors.py` are thin and the composition root adds them. docs/decisions/0024-alert-sensor.md
and 0025-alert-delivery.md say why it is built this way.
"""
