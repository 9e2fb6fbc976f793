"""The audit ledger: appends chain, verify names each kind of tampering, appends are safe across
threads and processes, and secrets are refused."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from lakegate.ledger import GENESIS, KINDS, Ledger, LedgerError, SecretInRecordError, canonical, record_hash

MODEL = "prod.claims.triage_model"


@pytest.fixture
def ledger(tmp_path) -> Ledger:
    return Ledger(tmp_path / "audit" / "ledger.jsonl")


def fill(ledger: Ledger, n: int = 5) -> None:
    for i in range(1, n + 1):
        ledger.append("gate_evaluation", "ci@lakegate", {"model": MODEL, "version": str(i)},
                      {"gate": "performance", "auc": 0.8 + i / 100}, {"passed": True}, f"run {i}")


def lines(ledger: Ledger) -> list[str]:
    return ledger.path.read_text().splitlines(keepends=True)


def write(ledger: Ledger, new_lines: list[str]) -> None:
    ledger.path.write_text("".join(new_lines))


def found(ledger: Ledger) -> list[tuple[str, int | None, int | None]]:
    return [(p.kind, p.seq, p.line) for p in ledger.verify().problems]


def test_appends_form_a_hash_chain_anchored_by_the_head(ledger):
    fill(ledger, 3)
    records = ledger.records()
    assert [r.seq for r in records] == [1, 2, 3]
    assert records[0].prev_hash == GENESIS
    assert [r.prev_hash for r in records[1:]] == [r.hash for r in records[:-1]]
    for record, line in zip(records, lines(ledger)):
        stored = json.loads(line)
        assert line == canonical(stored) + "\n"  # one canonical-JSON record a line
        assert record.hash == record_hash(stored) == stored["hash"]
        assert dt.datetime.fromisoformat(record.time).utcoffset() == dt.timedelta(0)
    assert json.loads(ledger.head_path.read_text()) == {"count": 3, "last_hash": records[-1].hash}
    result = ledger.verify()
    assert result.ok and result.count == 3 and result.last_hash == records[-1].hash


def test_default_ledger_lives_under_lakegate_home(home):
    assert Ledger.default().path == home / "audit" / "ledger.jsonl"
    assert Ledger.default().verify().ok  # nothing written yet is a valid, empty ledger


def test_bad_records_are_refused_and_nothing_is_written(ledger):
    with pytest.raises(LedgerError, match="unknown record kind 'deploy'"):
        ledger.append("deploy", "me", {}, {}, {})
    with pytest.raises(LedgerError, match="actor"):
        ledger.append("approval", " ", {}, {}, {})
    with pytest.raises(LedgerError, match="inputs must be a dict"):
        ledger.append("approval", "me", {}, ["x"], {})
    with pytest.raises(LedgerError, match="not JSON-able"):
        ledger.append("approval", "me", {}, {"when": dt.date.today()}, {})
    with pytest.raises(LedgerError, match="not JSON-able"):
        ledger.append("approval", "me", {}, {"score": float("nan")}, {})
    assert not ledger.path.exists()
    assert set(KINDS) >= {"gate_evaluation", "approval", "promotion", "alias_move", "deployment", "rollback", "traffic_change"}


def test_edited_record_is_named(ledger):
    fill(ledger)
    rows = lines(ledger)
    rows[2] = rows[2].replace('"actor":"ci@lakegate"', '"actor":"mallory"')
    write(ledger, rows)
    assert found(ledger) == [("edited", 3, 3)]


def test_edited_and_rehashed_record_breaks_the_next_link(ledger):
    fill(ledger)
    rows = lines(ledger)
    data = json.loads(rows[2])
    data["outcome"] = {"passed": False}
    data["hash"] = record_hash(data)
    rows[2] = canonical(data) + "\n"
    write(ledger, rows)
    assert found(ledger) == [("chain_broken", 4, 4)]


def test_rehashed_last_record_disagrees_with_the_head(ledger):
    fill(ledger)
    rows = lines(ledger)
    data = json.loads(rows[-1])
    data["reason"] = "nothing to see"
    data["hash"] = record_hash(data)
    rows[-1] = canonical(data) + "\n"
    write(ledger, rows)
    assert found(ledger) == [("edited", 5, 5)]


def test_deleted_record_is_named(ledger):
    fill(ledger)
    rows = lines(ledger)
    del rows[1]
    write(ledger, rows)
    problems = ledger.verify().problems
    assert [(p.kind, p.seq) for p in problems] == [("deleted", 2)]
    assert "record 2 is missing" in str(problems[0])


def test_reordered_records_are_named(ledger):
    fill(ledger)
    rows = lines(ledger)
    rows[1], rows[2] = rows[2], rows[1]
    write(ledger, rows)
    assert found(ledger) == [("reordered", 2, 3)]


def test_dropping_the_last_record_is_truncation(ledger):
    fill(ledger)
    write(ledger, lines(ledger)[:-1])
    problems = ledger.verify().problems
    assert [(p.kind, p.seq) for p in problems] == [("truncated", 5)]
    assert "record 5 is missing" in problems[0].message


def test_garbage_line_is_malformed(ledger):
    fill(ledger)
    rows = lines(ledger)
    rows.insert(3, "this is not json\n")
    write(ledger, rows)
    assert found(ledger) == [("malformed", None, 4)]
    with pytest.raises(LedgerError, match="line 4 is not a ledger record"):
        ledger.records()


def test_duplicated_line_and_missing_head_are_named(ledger):
    fill(ledger, 3)
    rows = lines(ledger)
    write(ledger, rows + rows[1:2])
    assert ("duplicated", 2, 4) in found(ledger)
    write(ledger, rows)
    ledger.head_path.unlink()
    assert [p.kind for p in ledger.verify().problems] == ["anchor"]


def test_a_torn_last_line_is_malformed_and_blocks_appends(ledger):
    fill(ledger, 2)
    with open(ledger.path, "ab") as f:
        f.write(b'{"actor":"ci","seq":3,"ha')  # a write cut short
    assert found(ledger) == [("malformed", None, 3)]
    with pytest.raises(LedgerError, match="not an intact record"):
        fill(ledger, 1)


def test_append_refuses_to_extend_a_truncated_ledger(ledger):
    """Otherwise the next append would re-anchor the truncation and hide it."""
    fill(ledger)
    write(ledger, lines(ledger)[:-1])
    with pytest.raises(LedgerError, match="does not match its head"):
        fill(ledger, 1)
    assert [p.kind for p in ledger.verify().problems] == ["truncated"]


def test_an_interrupted_append_is_reported_then_completed_by_the_next_append(ledger):
    fill(ledger, 2)
    head_before = ledger.head_path.read_text()
    fill(ledger, 1)
    ledger.head_path.write_text(head_before)  # the line was written, the head update was lost
    assert found(ledger) == [("unanchored", 3, 3)]
    fill(ledger, 1)
    result = ledger.verify()
    assert result.ok and result.count == 4


def test_records_filter_by_kind_and_subject_and_alias_history(ledger):
    fill(ledger, 2)
    ledger.append_alias_move("alice", MODEL, "champion", None, 1, "first champion after approval A-1")
    ledger.append_alias_move("bob", "prod.claims.other_model", "champion", None, 7, "other model")
    ledger.append_alias_move("alice", MODEL, "champion", "1", 2, "v2 beat v1 on recall")
    assert len(ledger.records(kind="gate_evaluation")) == 2
    assert [r.seq for r in ledger.records(subject_filter={"model": MODEL, "version": "2"})] == [2]
    moves = ledger.alias_history(MODEL)
    assert [(m.actor, m.inputs["from_version"], m.inputs["to_version"]) for m in moves] == [("alice", None, "1"), ("alice", "1", "2")]
    assert moves[1].reason == "v2 beat v1 on recall" and moves[1].subject == {"model": MODEL}
    with pytest.raises(LedgerError, match="unknown record kind"):
        ledger.records(kind="nope")


def test_concurrent_appends_from_threads_keep_a_valid_chain(ledger):
    shared = ledger
    errors: list[BaseException] = []

    def work(i: int) -> None:
        mine = shared if i % 2 else Ledger(shared.path)  # a shared instance and separate ones
        try:
            for j in range(10):
                mine.append("traffic_change", f"thread-{i}", {"endpoint": "triage"}, {"step": j}, {"ok": True})
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    result = ledger.verify()
    assert result.ok, result.problems
    assert [r.seq for r in ledger.records()] == list(range(1, 61))


def test_concurrent_appends_from_two_processes_keep_a_valid_chain(ledger, tmp_path):
    go = tmp_path / "go"
    script = (
        "import sys, time\nfrom pathlib import Path\nfrom lakegate.ledger import Ledger\n"
        "ledger = Ledger(sys.argv[1])\nPath(sys.argv[3] + '.ready-' + sys.argv[2]).touch()\n"
        "while not Path(sys.argv[3]).exists():\n    time.sleep(0.005)\n"
        "for j in range(30):\n"
        "    ledger.append('deployment', sys.argv[2], {'endpoint': 'triage'}, {'step': j}, {'ok': True})\n"
    )
    procs = [subprocess.Popen([sys.executable, "-c", script, str(ledger.path), f"proc-{i}", str(go)]) for i in range(2)]
    try:
        while not all(Path(f"{go}.ready-proc-{i}").exists() for i in range(2)):
            assert all(p.poll() is None for p in procs), "a writer process died before starting"
            time.sleep(0.005)
        go.touch()  # all three writers start together
        fill(ledger, 10)
        assert [p.wait(timeout=60) for p in procs] == [0, 0]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    result = ledger.verify()
    assert result.ok, result.problems
    assert result.count == 70
    assert [r.seq for r in ledger.records()] == list(range(1, 71))
    assert {r.actor for r in ledger.records(kind="deployment")} == {"proc-0", "proc-1"}


def test_secret_values_are_refused_and_never_written(ledger, monkeypatch):
    monkeypatch.setenv("LAKEGATE_TEST_API_TOKEN", "tok-7f3a9c21e5")
    monkeypatch.setenv("WAREHOUSE_PASSWORD_PLAIN", "hunter2-but-longer")
    monkeypatch.setenv("SHORT_SECRET", "abc")  # under 8 characters: too common to refuse
    monkeypatch.setenv("LAKEGATE_CATALOG", "tok-7f3a9c21e5-not-secret")  # name does not look secret
    fill(ledger, 1)
    for record in (
        {"inputs": {"header": "Bearer tok-7f3a9c21e5"}},
        {"inputs": {"nested": [{"dsn": "postgres://u:hunter2-but-longer@db"}]}},
        {"reason": "used tok-7f3a9c21e5 by mistake"},
        {"inputs": {"tok-7f3a9c21e5": 1}},
    ):
        fields = {"inputs": {}, "reason": None, **record}
        with pytest.raises(SecretInRecordError) as caught:
            ledger.append("approval", "alice", {"model": MODEL}, fields["inputs"], {}, fields["reason"])
        assert "tok-7f3a9c21e5" not in str(caught.value) and "hunter2" not in str(caught.value)
        assert "LAKEGATE_TEST_API_TOKEN" in str(caught.value) or "WAREHOUSE_PASSWORD_PLAIN" in str(caught.value)
    ledger.append("approval", "alice", {"model": MODEL}, {"note": "abc"}, {}, "fine")
    text = ledger.path.read_text()
    assert "tok-7f3a9c21e5" not in text and "hunter2" not in text
    assert ledger.verify().ok and ledger.verify().count == 2
