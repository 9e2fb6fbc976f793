"""Shared fixtures: an isolated LAKEGATE_HOME per test and one real Sail engine per session."""

from __future__ import annotations

import pytest


def pytest_configure(config):
    from lakegate.inherited_signals import restore_default_stop_signals

    restore_default_stop_signals()  # the tests run Dagster in process too, not only through the CLI


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A fresh LAKEGATE_HOME, local environment, fixed PII key."""
    path = tmp_path / "lakegate-home"
    path.mkdir()
    monkeypatch.setenv("LAKEGATE_HOME", str(path))
    monkeypatch.setenv("LAKEGATE_ENV", "local")
    monkeypatch.setenv("LAKEGATE_PII_HMAC_KEY", "test-key-0123456789abcdef")
    return path


@pytest.fixture(scope="session")
def spark():
    """The real embedded engine: an in-process Sail Spark Connect server."""
    from pyspark.sql import SparkSession

    from lakegate.engine import sail_url

    return SparkSession.builder.remote(sail_url()).getOrCreate()


SHARED_SESSION_FIXTURES = ("e2e", "emulator")  # folders whose modules share one session fixture
# modules in those folders that start their own (the whole graph on a workspace of its own): a unit each
OWN_FIXTURE_MODULES = {"tests/emulator/test_databricks_graph.py"}


def test_group(nodeid: str) -> str:
    """The unit of work one xdist worker takes: a module (its module fixtures are built once), or a
    whole folder whose modules share a session fixture (one demo, one workspace emulator per run)."""
    path = nodeid.split("::", 1)[0]
    folder = path.split("/")[1] if path.count("/") > 1 else ""
    return folder if folder in SHARED_SESSION_FIXTURES and path not in OWN_FIXTURE_MODULES else path


# The longest groups, longest first (about 440, 205 and 195 s of the suite's 1,350 s on two workers),
# start before the rest, so no worker is left running one of them alone at the end. xdist would order
# the groups by their number of tests, which put the Databricks graph module (4 tests) near the end.
LONGEST_GROUPS = ("e2e", "tests/emulator/test_databricks_graph.py", "emulator")


def pytest_collection_modifyitems(config, items):
    rank = {group: i for i, group in enumerate(LONGEST_GROUPS)}
    items.sort(key=lambda item: rank.get(test_group(item.nodeid), len(rank)))  # stable: the rest keep their order


def pytest_xdist_make_scheduler(config, log):
    """`make test` runs on two workers (`-n 2`), scheduled by test_group in collection order."""
    from xdist.scheduler import LoadScopeScheduling

    config.option.loadscopereorder = False

    class ByTestGroup(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return test_group(nodeid)

    return ByTestGroup(config, log)
