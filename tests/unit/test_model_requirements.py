"""The served model's environment check (lakegate/serving/model_requirements.py): the verdicts of
MLflow's load-time warning, from one metadata lookup per requirement."""

from __future__ import annotations

import importlib.metadata
import platform

from lakegate.serving.model_requirements import other_python, unmet_requirements

INSTALLED_SKLEARN = importlib.metadata.version("scikit-learn")


def test_requirements_this_environment_meets_are_not_reported():
    lines = [f"scikit-learn=={INSTALLED_SKLEARN}", "numpy>=1", "pandas", "", "# a comment"]
    assert unmet_requirements(lines) == []


def test_a_missing_distribution_and_a_version_outside_the_specifier_are_reported():
    unmet = unmet_requirements(["scikit-learn==0.1", "surely-not-installed-lakegate-pkg==1.0", "numpy>=1"])
    assert unmet == [f"scikit-learn (current: {INSTALLED_SKLEARN}, required: scikit-learn==0.1)",
                     "surely-not-installed-lakegate-pkg (current: uninstalled, required: surely-not-installed-lakegate-pkg==1.0)"]


def test_lines_that_are_not_requirements_or_not_for_this_platform_are_not_judged():
    lines = ["-r other.txt", "--extra-index-url https://example.org", "./wheels/thing.whl",
             'surely-not-installed-lakegate-pkg==1.0; python_version < "3"', "numpy==0.0.1  # pinned"]
    assert unmet_requirements(lines) == [f"numpy (current: {importlib.metadata.version('numpy')}, required: numpy==0.0.1)"]


def test_only_another_minor_python_version_is_reported():
    major, minor, _ = platform.python_version_tuple()
    assert other_python(f"{major}.{minor}.0") is None
    assert other_python(f"{major}.{int(minor) - 1}.9") == f"{major}.{int(minor) - 1}.9"
    assert other_python(None) is None
