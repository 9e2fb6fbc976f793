"""The inference table on real Delta: spooled before the answer, drained exactly once, nothing lost on
SIGTERM or SIGKILL, a bad record set aside alone."""

import datetime as dt
import json
import logging
import pathlib
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pyarrow.compute as pc
import pytest

from lakegate.lake import Lake
from lakegate.lineage import FILES_KEY
from lakegate.serving import inference_log
from lakegate.serving import inference_spool
from lakegate.serving.inference_drain import SpoolDrain, drain_spool
from lakegate.serving.inference_spool import spool_files
from lakegate.serving.inference_log import (
    INFERENCE_LOG_SCHEMA,
    InferenceLogger,
    InferenceRecord,
    inference_table_name,
)

pytestmark = pytest.mark.integration

ENDPOINT = "claims-triage"
TABLE = "dev.serving.claims_triage_inference_log"
REPO = pathlib.Path(__file__).resolve().parents[2]


def record(request_id: str, **overrides) -> InferenceRecord:
    values = dict(
        request_id=request_id,
        timestamp=dt.datetime(2025, 6, 1, 12, 0, tzinfo=dt.timezone.utc),
        endpoint=ENDPOINT,
        served_entity="triage-champion",
        model_name="dev.claims.triage_model",
        model_version="3",
        status_code=200,
        latency_ms=4.5,
        n_rows=1,
        features=json.dumps({"columns": ["amount"], "data": [[120.0]]}),
        response='{"predictions": [0.8]}',
        scores=[0.8],
        record_keys=["C1"],
    )
    return InferenceRecord(**{**values, **overrides})


@pytest.fixture
def lake(home):
    return Lake(home / "lake")


@pytest.fixture
def spool(home):
    return home / "serving" / "spool"


def request_ids(lake: Lake) -> list[str]:
    return lake.read_arrow(TABLE, columns=["request_id"])["request_id"].to_pylist()


def appends(lake: Lake) -> list[dict]:
    return [c for c in lake.history(TABLE) if FILES_KEY in c]


def test_records_from_many_threads_land_exactly_once(lake, spool):
    logger = InferenceLogger(spool, ENDPOINT, seal_interval=0.02, max_batch=50)

    def worker(t):
        for i in range(400):
            logger.log(record(f"t{t}-{i}"))

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(8)]
    for t in threads:
        t.start()
    first = drain_spool(lake, spool, "dev")  # while the threads still log: takes only complete files
    for t in threads:
        t.join()
    logger.close()
    logger.close()  # idempotent
    second = drain_spool(lake, spool, "dev")
    ids = request_ids(lake)
    assert len(ids) == 3200 and set(ids) == {f"t{t}-{i}" for t in range(8) for i in range(400)}
    assert first.get(ENDPOINT, 0) + second[ENDPOINT] == 3200
    assert spool_files(spool / ENDPOINT) == []
    assert drain_spool(lake, spool, "dev") == {ENDPOINT: 0}


def test_a_drain_that_dies_after_its_commit_does_not_append_twice(lake, spool, monkeypatch):
    with_logger(spool, [record(f"a{i}") for i in range(10)])

    def dies(self, missing_ok=False):
        raise OSError("killed before the deletes")

    with monkeypatch.context() as m:
        m.setattr(pathlib.Path, "unlink", dies)
        with pytest.raises(OSError, match="killed"):
            drain_spool(lake, spool, "dev")
    assert len(spool_files(spool / ENDPOINT)) == 1 and len(request_ids(lake)) == 10  # committed, not deleted

    with_logger(spool, [record(f"b{i}") for i in range(5)])
    assert drain_spool(lake, spool, "dev") == {ENDPOINT: 5}
    ids = request_ids(lake)
    assert sorted(ids) == sorted([f"a{i}" for i in range(10)] + [f"b{i}" for i in range(5)])
    assert spool_files(spool / ENDPOINT) == []
    assert len(appends(lake)) == 2


def test_a_long_lived_drain_reads_another_servers_commits_and_its_own_failed_deletes(lake, spool, monkeypatch):
    """The server's drain keeps the table open: a file that another server's drain committed and did
    not delete, or that its own delete failed on, is still appended only once."""
    server = SpoolDrain(lake, spool, "dev")
    with_logger(spool, [record(f"a{i}") for i in range(3)])
    assert server.drain() == {ENDPOINT: 3}

    def dies(self, missing_ok=False):
        raise OSError("killed before the deletes")

    with_logger(spool, [record(f"b{i}") for i in range(4)])
    with monkeypatch.context() as m:
        m.setattr(pathlib.Path, "unlink", dies)
        with pytest.raises(OSError, match="killed"):
            drain_spool(Lake(lake.root), spool, "dev")  # another server on the same home
    assert server.drain() == {ENDPOINT: 0} and spool_files(spool / ENDPOINT) == []

    with_logger(spool, [record(f"c{i}") for i in range(5)])
    with monkeypatch.context() as m:
        m.setattr(pathlib.Path, "unlink", dies)
        with pytest.raises(OSError, match="killed"):
            server.drain()  # its own delete fails this time
    with_logger(spool, [record(f"d{i}") for i in range(2)])
    assert server.drain() == {ENDPOINT: 2}
    assert sorted(request_ids(lake)) == sorted([f"a{i}" for i in range(3)] + [f"b{i}" for i in range(4)]
                                               + [f"c{i}" for i in range(5)] + [f"d{i}" for i in range(2)])
    assert len(appends(lake)) == 4


def test_two_drainers_at_once_append_each_file_once(lake, spool):
    for batch in range(20):
        with_logger(spool, [record(f"d{batch}-{i}") for i in range(5)])
    start = threading.Barrier(2)
    results = []

    def drainer():
        start.wait()
        results.append(drain_spool(Lake(lake.root), spool, "dev")[ENDPOINT])

    threads = [threading.Thread(target=drainer) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [0, 100] and len(request_ids(lake)) == 100


def test_a_bad_line_is_set_aside_alone_and_a_lone_surrogate_is_made_safe(lake, spool):
    folder = spool / ENDPOINT
    folder.mkdir(parents=True)
    good = [inference_log.to_json_line(record(f"g{i}")) for i in range(28)]
    # A lone UTF-16 surrogate as JSON writes it: decodes to text that is not UTF-8 (older spool files).
    surrogate = inference_log.to_json_line(record("bad")).replace('"bad"', '"bad\\ud800"')
    name = "4242-000000000008-0123456789abcdef0123456789abcdef.jsonl"
    (folder / name).write_text("".join(good[:14]) + surrogate + "{not json\n" + "".join(good[14:]))
    with_logger(spool, [record("safe", record_keys=["C\ud800"], error_code="\udc80")])  # made safe when logged

    assert drain_spool(lake, spool, "dev") == {ENDPOINT: 29}
    assert sorted(request_ids(lake)) == sorted([f"g{i}" for i in range(28)] + ["safe"])
    table = lake.read_arrow(TABLE)
    safe = table.filter(pc.equal(table["request_id"], "safe")).to_pylist()[0]
    assert safe["record_keys"] == ["C?"] and safe["error_code"] == "?"
    aside = folder / "unreadable" / name
    assert aside.read_text().splitlines() == [surrogate.strip(), "{not json"]
    reasons = json.loads((folder / "unreadable" / f"{name}.reason.json").read_text())["lines"]
    assert [r["line"] for r in reasons] == [15, 16]
    assert spool_files(folder) == [] and drain_spool(lake, spool, "dev") == {ENDPOINT: 0}


def test_an_open_segment_is_drained_only_after_its_writer_seals_it_or_dies(lake, spool):
    logger = InferenceLogger(spool, ENDPOINT, seal_interval=3600)
    for i in range(5):
        logger.log(record(f"o{i}"))
    assert drain_spool(lake, spool, "dev") == {ENDPOINT: 0}  # the writer holds its segment's lock
    logger.close()
    assert drain_spool(lake, spool, "dev") == {ENDPOINT: 5}


def test_an_orphaned_tmp_file_of_complete_records_is_recovered_once(lake, spool):
    """What a worker killed while writing its spool left before segments were locked: 507 complete
    records and half of the next. The whole records land once; the half one was never answered."""
    folder = spool / ENDPOINT
    folder.mkdir(parents=True)
    lines = "".join(inference_log.to_json_line(record(f"k{i}")) for i in range(507))
    orphan = folder / ".4242-000000000003-0123456789abcdef0123456789abcdef.jsonl.tmp"
    orphan.write_text(lines + inference_log.to_json_line(record("half"))[:40])
    assert drain_spool(lake, spool, "dev") == {ENDPOINT: 507}
    assert drain_spool(lake, spool, "dev") == {ENDPOINT: 0}
    assert sorted(request_ids(lake)) == sorted(f"k{i}" for i in range(507)) and not orphan.exists()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_a_stopped_or_killed_writer_loses_nothing(lake, spool, sig):
    """Each record is in the kernel once log() returns (before the answer is sent): a SIGKILL loses none."""
    n = 2000
    child = textwrap.dedent(
        f"""
        import datetime as dt, signal, sys, time
        from lakegate.serving.inference_log import InferenceLogger, InferenceRecord

        logger = InferenceLogger(sys.argv[1], {ENDPOINT!r}, seal_interval=3600, max_batch=10**9)

        def on_sigterm(signum, frame):  # as the server does
            logger.close()
            sys.exit(0)

        signal.signal(signal.SIGTERM, on_sigterm)
        now = dt.datetime.now(dt.timezone.utc)
        for i in range({n}):
            logger.log(InferenceRecord(request_id=f"s{{i}}", timestamp=now, endpoint={ENDPOINT!r},
                served_entity=None, model_name=None, model_version=None, status_code=200,
                latency_ms=1.0, n_rows=1))
        print("logged", flush=True)
        time.sleep(60)
        """
    )
    with subprocess.Popen([sys.executable, "-c", child, str(spool)], cwd=REPO, stdout=subprocess.PIPE, text=True) as proc:
        try:
            assert proc.stdout.readline().strip() == "logged"
            assert spool_files(spool / ENDPOINT) == []  # all in the open segment, none sealed yet
            proc.send_signal(sig)
            assert proc.wait(timeout=10) == (0 if sig == signal.SIGTERM else -signal.SIGKILL)
        finally:
            proc.kill()
    assert drain_spool(lake, spool, "dev") == {ENDPOINT: n}
    assert sorted(request_ids(lake)) == sorted(f"s{i}" for i in range(n))


def test_log_does_not_wait_for_a_failing_disk(lake, spool, monkeypatch, caplog):
    real_write = inference_spool.Segment.write
    disk_ok = threading.Event()

    def slow_and_failing(self, data):
        if not disk_ok.is_set():
            time.sleep(0.2)
            raise PermissionError(13, "Permission denied", str(self.path))
        return real_write(self, data)

    monkeypatch.setattr(inference_spool.Segment, "write", slow_and_failing)
    logger = InferenceLogger(spool, ENDPOINT, sync_interval=0.01, max_batch=500)
    records = [record(f"n{i}") for i in range(10_000)]
    with caplog.at_level(logging.WARNING, logger=inference_log.__name__):
        started = time.perf_counter()
        for r in records:
            logger.log(r)
        elapsed = time.perf_counter() - started
        time.sleep(0.3)
        assert spool_files(spool / ENDPOINT) == []
        disk_ok.set()
        logger.close()
    assert elapsed < 1.0  # one slow failure, then memory until the thread's retry works
    assert "cannot write" in caplog.text and "n1" not in caplog.text  # warned, without record content
    assert drain_spool(lake, spool, "dev") == {ENDPOINT: 10_000}
    assert len(set(request_ids(lake))) == 10_000


def test_the_table_has_the_inference_log_schema(lake, spool):
    eastern = dt.timezone(dt.timedelta(hours=-5))
    late = dt.datetime(2025, 3, 1, 23, 30, 0, 123456, tzinfo=eastern)  # already 2 March in UTC
    with_logger(spool, [
        record("full", timestamp=late),
        record("error", status_code=400, error_code="BAD_REQUEST", features=None, response=None,
               scores=None, record_keys=None, served_entity=None),
    ])
    drain_spool(lake, spool, "dev")
    table = lake.read_arrow(TABLE).sort_by("request_id")
    assert [(f.name, f.type, f.nullable) for f in table.schema] == [
        (f.name, f.type, f.nullable) for f in INFERENCE_LOG_SCHEMA
    ]
    rows = table.to_pylist()
    error, full = rows
    assert full["timestamp"] == late and full["date"] == dt.date(2025, 3, 2)
    assert full["scores"] == [0.8] and full["record_keys"] == ["C1"] and full["status_code"] == 200
    assert json.loads(full["features"]) == {"columns": ["amount"], "data": [[120.0]]}
    assert error["error_code"] == "BAD_REQUEST" and error["scores"] is None and error["features"] is None


def test_table_names():
    assert inference_table_name("prod", "claims-triage") == "prod.serving.claims_triage_inference_log"
    for bad in ("Claims", "1st", "claims triage", "claims.triage", ""):
        with pytest.raises(ValueError, match="endpoint name"):
            inference_table_name("dev", bad)
    with pytest.raises(ValueError, match="catalog"):
        inference_table_name("staging", "claims")
    with pytest.raises(ValueError, match="timezone-aware"):
        record("x", timestamp=dt.datetime(2025, 1, 1))


def with_logger(spool, records) -> None:
    logger = InferenceLogger(spool, ENDPOINT)
    for r in records:
        logger.log(r)
    logger.close()
