"""Deployment: canary rollout of a promoted model onto a serving endpoint (health.py judges each
step against the incumbent, rollout.py moves traffic or rolls back), as plain functions."""
