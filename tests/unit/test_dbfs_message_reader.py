"""The orchestrator's DBFS message reader: every chunk a finished task left is read as soon as its run ends."""

from __future__ import annotations

import json
import time
from contextlib import contextmanager
from types import SimpleNamespace

import lakegate.dbfs_message_reader as reader_module
from lakegate.dbfs_message_reader import PromptDbfsMessageReader

VERSION = {"__dagster_pipes_version": "0.1"}


class Handler:
    """What dagster's PipesMessageHandler gives a reader: messages in, the closed message noted."""

    def __init__(self):
        self.messages, self.errors, self.warnings = [], [], []
        self._context = SimpleNamespace(log=SimpleNamespace(warning=self.warnings.append))

    @property
    def received_closed_message(self) -> bool:
        return any(m["method"] == "closed" for m in self.messages)

    def handle_message(self, message):
        self.messages.append(message)

    def report_pipes_framework_exception(self, origin, exc_info):
        self.errors.append(origin)


class ChunkReader(PromptDbfsMessageReader):
    """The reader over chunks in memory instead of DBFS files (`chunks[i]` is `<path>/<i>.json`)."""

    def __init__(self, chunks: dict[int, str], interval: float = 1.0):
        super().__init__(client=SimpleNamespace(api_client=None), interval=interval)
        self.chunks = chunks

    @contextmanager
    def get_params(self):
        yield {"path": "/dbfs/tmp/pipes"}

    def messages_are_readable(self, params) -> bool:
        return True

    def download_messages_chunk(self, index: int, params) -> str | None:
        return self.chunks.get(index)


def chunk(*methods: str) -> str:
    return "\n".join(json.dumps({**VERSION, "method": m, "params": {"n": i}}) for i, m in enumerate(methods))


def test_the_chunks_a_finished_task_left_are_all_read_as_soon_as_its_run_ends():
    chunks: dict[int, str] = {}
    reader, handler = ChunkReader(chunks, interval=60), Handler()
    with reader.read_messages(handler):
        time.sleep(0.05)
        # the task's last seconds: a chunk a second (lakegate/cli/step.py), then it exits
        chunks.update({1: chunk("opened", "log"), 2: chunk("report_asset_materialization"),
                       3: chunk("report_asset_check", "closed"), 4: "not json\n" + chunk("log")})
        ended = time.monotonic()
    read_in = time.monotonic() - ended
    assert [m["method"] for m in handler.messages] == ["opened", "log", "report_asset_materialization",
                                                       "report_asset_check", "closed"]
    assert handler.errors == []
    # dagster's own thread reads one chunk a pass and sleeps a second between passes: about four seconds here
    assert read_in < 1.0, read_in


def test_chunks_are_read_while_the_run_lives():
    chunks: dict[int, str] = {1: chunk("opened")}
    reader, handler = ChunkReader(chunks, interval=0.05), Handler()
    with reader.read_messages(handler):
        deadline = time.monotonic() + 2
        while not handler.messages and time.monotonic() < deadline:
            time.sleep(0.01)
        seen_while_running = [m["method"] for m in handler.messages]
        chunks[2] = chunk("closed")
    assert seen_while_running == ["opened"]
    assert handler.received_closed_message


def test_a_task_that_never_closes_is_given_up_on_after_the_wait(monkeypatch):
    monkeypatch.setattr(reader_module, "CLOSED_MESSAGE_WAIT_SECONDS", 0.3)
    reader, handler = ChunkReader({1: chunk("opened", "log")}, interval=60), Handler()
    with reader.read_messages(handler):
        ended = time.monotonic()
    waited = time.monotonic() - ended
    assert [m["method"] for m in handler.messages] == ["opened", "log"]
    assert not handler.received_closed_message and handler.errors == []
    assert 0.3 <= waited < 1.0, waited  # the reader's own wait, not dagster's 10 s
