"""A model version's evidence bundle carries the cost guard's records of the run that trained it, and
verification finds a bundled cost record that the bundled ledger does not hold as it is."""

import json

from lakegate.evidence import cost_records
from lakegate.evidence_checks import COST_RECORDS
from lakegate.evidence_checks import cost_records as check_cost_records
from lakegate.ledger import Ledger, parse_line


def ledger_with_cost_records(tmp_path) -> list[dict]:
    ledger = Ledger(tmp_path / "ledger.jsonl")
    for run, root in (("run-1", "run-1"), ("run-2", "run-1"), ("run-9", "run-9")):
        ledger.append("cost_decision", "lakegate-cost-guard", {"asset": "ml/x", "dagster_run_id": run, "root_run_id": root},
                      inputs={"estimate_usd": "1.00"}, outcome={"decision": "allowed"})
    ledger.append("training", "ana", {"dagster_run_id": "run-1"}, inputs={}, outcome={})
    return [parse_line(line) for line in ledger.path.read_bytes().splitlines()]


def test_the_bundle_takes_the_training_runs_cost_records_and_its_re_executions(tmp_path):
    records = ledger_with_cost_records(tmp_path)
    chosen = cost_records(records, "run-1")
    assert [(r["subject"]["dagster_run_id"], r["kind"]) for r in chosen] == [("run-1", "cost_decision"),
                                                                              ("run-2", "cost_decision")]
    assert cost_records(records, None) == []


def test_verification_refuses_a_cost_record_changed_after_export(tmp_path):
    records = ledger_with_cost_records(tmp_path)
    chosen = cost_records(records, "run-1")
    problems: list[str] = []
    assert check_cost_records({COST_RECORDS: json.dumps(chosen).encode()}, records, problems.append) == 2
    assert problems == []
    chosen = json.loads(json.dumps(chosen))  # the bundle's copy, not the ledger's records
    chosen[0]["outcome"]["decision"] = "approved"
    check_cost_records({COST_RECORDS: json.dumps(chosen).encode()}, records, problems.append)
    assert problems == [f"{COST_RECORDS}: record seq {chosen[0]['seq']} is not a cost record of the bundled ledger as it stands there"]
