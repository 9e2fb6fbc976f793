"""`lakegate audit verify` and `lakegate model history`, as real processes on a LAKEGATE_HOME in tmp_path."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lakegate.ledger import Ledger

pytestmark = pytest.mark.e2e
LAKEGATE = str(Path(sys.executable).with_name("lakegate"))
MODEL = "prod.claims.triage_model"


def run_cli(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "LAKEGATE_HOME": str(home), "LAKEGATE_ENV": "local", "COLUMNS": "200"}
    return subprocess.run([LAKEGATE, *args], env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture
def ledger(tmp_path) -> Ledger:
    ledger = Ledger(tmp_path / "audit" / "ledger.jsonl")  # Ledger.default() for LAKEGATE_HOME=tmp_path
    ledger.append("gate_evaluation", "ci", {"model": "dev.claims.triage_model", "version": "2"}, {"gate": "bias"}, {"passed": True})
    ledger.append("approval", "risk.officer@insurer", {"model": "test.claims.triage_model", "version": "2"}, {"ticket": "CHG-1"}, {"approved": True})
    ledger.append_alias_move("alice", MODEL, "champion", None, 1, "first champion, approval A-1")
    ledger.append_alias_move("carol", "prod.claims.other_model", "champion", None, 4, "a different model")
    ledger.append_alias_move("bob", MODEL, "previous_champion", None, 1, "keep v1 for rollback")
    ledger.append_alias_move("bob", MODEL, "champion", 1, 2, "v2 passed every gate, approval A-2")
    return ledger


def test_verify_passes_on_a_clean_ledger_and_names_the_edited_record(tmp_path, ledger):
    clean = run_cli(tmp_path, "audit", "verify")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "OK: 6 records" in clean.stdout and ledger.records()[-1].hash in clean.stdout

    rows = ledger.path.read_text().splitlines(keepends=True)
    rows[2] = rows[2].replace('"actor":"alice"', '"actor":"mallory"')
    ledger.path.write_text("".join(rows))
    tampered = run_cli(tmp_path, "audit", "verify")
    assert tampered.returncode == 1
    assert "edited at record 3, line 3" in tampered.stdout
    assert "Traceback" not in tampered.stderr

    history = run_cli(tmp_path, "model", "history", MODEL)
    assert history.returncode == 0 and "mallory" in history.stdout
    assert "fails verification" in history.stderr  # shown, but not trusted silently


def test_verify_names_a_truncated_ledger(tmp_path, ledger):
    ledger.path.write_text("".join(ledger.path.read_text().splitlines(keepends=True)[:-1]))
    result = run_cli(tmp_path, "audit", "verify")
    assert result.returncode == 1 and "truncated at record 6" in result.stdout


def test_model_history_prints_alias_moves_in_order(tmp_path, ledger):
    result = run_cli(tmp_path, "model", "history", MODEL)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    reasons = ["first champion, approval A-1", "keep v1 for rollback", "v2 passed every gate, approval A-2"]
    assert all(r in out for r in reasons)
    assert [out.index(r) for r in reasons] == sorted(out.index(r) for r in reasons)
    assert "(unset) → v1" in out and "v1 → v2" in out and "previous_champion" in out
    assert "a different model" not in out and "carol" not in out

    as_json = json.loads(run_cli(tmp_path, "model", "history", MODEL, "--json").stdout)
    assert [(m["actor"], m["inputs"]["alias"], m["inputs"]["from_version"], m["inputs"]["to_version"]) for m in as_json] == [
        ("alice", "champion", None, "1"), ("bob", "previous_champion", None, "1"), ("bob", "champion", "1", "2")]


def test_model_history_of_an_unknown_model_is_a_clear_error(tmp_path, ledger):
    result = run_cli(tmp_path, "model", "history", "prod.claims.unknown_model")
    assert result.returncode == 2
    assert "prod.claims.unknown_model has no alias moves" in result.stderr
    assert "Traceback" not in result.stderr
