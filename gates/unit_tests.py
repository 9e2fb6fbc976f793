"""Unit-test gate: the feature logic's own unit tests run, in a fresh process, and all pass.

pytest runs the policy's selection (`python -m pytest <selection> --junitxml=<path> -q`) from the
repository root; the verdict is read from the JUnit XML, not from the exit code alone. It passes
only when at least one test ran and none failed or errored (and pytest itself exited 0). The XML
path is in `measured["junit_xml"]`: the caller records that file as an evidence artifact.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from gates.policy import UNIT_TESTS, GateInputError, PromotionPolicy, run_gate
from gates.verdict import GateVerdict

GATE = UNIT_TESTS
REPO_ROOT = Path(__file__).resolve().parent.parent
LISTED = 20  # failing test ids copied into the verdict
OUTPUT_TAIL = 2000  # characters of pytest's own output kept for the reader


def feature_unit_tests_gate(policy: PromotionPolicy, junit_xml_path: str | Path) -> GateVerdict:
    return run_gate(GATE, policy, _evaluate, junit_xml_path)


def junit_summary(path: Path) -> dict[str, Any]:
    """Counts per outcome from a pytest JUnit XML file, and the ids of tests that failed or errored."""
    try:
        root = ET.parse(path).getroot()
    except (ET.ParseError, OSError) as exc:
        raise GateInputError(f"the JUnit XML {path} cannot be read: {exc}") from None
    counts = {"tests": 0, "passed": 0, "failed": 0, "errors": 0, "skipped": 0}
    broken: list[str] = []
    for case in root.iter("testcase"):
        counts["tests"] += 1
        tags = {child.tag for child in case}
        test_id = f"{case.get('classname', '')}::{case.get('name', '')}"
        if "error" in tags:
            counts["errors"] += 1
            broken.append(test_id)
        elif "failure" in tags:
            counts["failed"] += 1
            broken.append(test_id)
        elif "skipped" in tags:
            counts["skipped"] += 1
        else:
            counts["passed"] += 1
    # A collection error is a <testsuite errors="1"> without a test case on some pytest versions.
    suite_errors = sum(int(s.get("errors", 0) or 0) for s in root.iter("testsuite"))
    counts["errors"] = max(counts["errors"], suite_errors)
    return {**counts, "failed_tests": broken[:LISTED]}


def _evaluate(junit_xml_path, policy: PromotionPolicy) -> GateVerdict:
    u = policy.unit_tests
    if junit_xml_path is None or str(junit_xml_path).strip() == "":
        raise GateInputError("no path to write the JUnit XML to")
    xml = Path(junit_xml_path).resolve()
    xml.parent.mkdir(parents=True, exist_ok=True)
    xml.unlink(missing_ok=True)  # a stale report from an earlier run must never be read as this one
    command = [sys.executable, "-m", "pytest", *u.selection, f"--junitxml={xml}", "-q", "-p", "no:cacheprovider"]
    started = time.perf_counter()
    try:
        run = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=u.timeout_seconds,
                             env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    except subprocess.TimeoutExpired:
        return policy.failed(GATE, f"the unit tests did not finish within {u.timeout_seconds} s", junit_xml=str(xml),
                             command=command)
    seconds = round(time.perf_counter() - started, 3)
    measured: dict[str, Any] = {"junit_xml": str(xml), "command": command, "returncode": run.returncode, "seconds": seconds,
                                "output_tail": (run.stdout + run.stderr)[-OUTPUT_TAIL:]}
    if not xml.is_file():
        return policy.failed(GATE, f"pytest wrote no JUnit XML (exit code {run.returncode})", **measured)
    measured.update(junit_summary(xml))
    selection = " ".join(u.selection)
    if measured["failed"] or measured["errors"]:
        return policy.verdict(GATE, False, f"{measured['failed']} failed and {measured['errors']} errored of "
                              f"{measured['tests']} unit tests in {selection}: {', '.join(measured['failed_tests'])}", measured)
    if measured["passed"] == 0:
        return policy.verdict(GATE, False, f"no unit test ran in {selection} ({measured['tests']} collected, "
                              f"{measured['skipped']} skipped)", measured)
    if run.returncode != 0:
        return policy.verdict(GATE, False, f"pytest exited with code {run.returncode} although the JUnit XML shows no "
                              "failure", measured)
    return policy.verdict(GATE, True, f"{measured['passed']} unit tests passed in {selection} "
                          f"({measured['skipped']} skipped) in {seconds:.1f} s", measured)
