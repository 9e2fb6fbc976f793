"""Shared fixtures: an isolated LAKEGATE_HOME per test and one real Sail engine per session."""

from __future__ import annotations

import pytest


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
