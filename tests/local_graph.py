"""The local graph for tests that materialize in process."""

from __future__ import annotations


def local_graph():
    """Not `lakegate.definitions.defs`: that one has the environment of whichever test first imported it
    in this worker (the Databricks graph module, run first, imports it under `databricks`)."""
    from lakegate.definitions import definitions_for
    from lakegate.environment import load_environment

    return definitions_for(load_environment("local"))
