"""Training: time split, the model pipeline, threshold policy, evaluation, MLflow logging and
registration (plain functions), and the Dagster asset that runs them (assets.py)."""
