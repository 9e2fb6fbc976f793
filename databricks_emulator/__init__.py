"""A local Databricks workspace emulator for tests and for trying the Databricks environment.

It serves, over HTTP with Databricks' shapes, states and error bodies, the REST subset Lakegate
reaches through databricks-sdk, dagster-databricks and mlflow: jobs runs (executed for real
against a Sail Spark Connect server), DBFS and the Files API, cluster policies, serving
endpoints answered by real MLflow models, MLflow's REST API (a real MLflow server behind a
proxy) and Unity Catalog tables kept as Delta under its root. Product code never imports it.
"""
