"""The orchestrator's side of a Databricks step's Pipes messages: dagster-databricks' DBFS reader, prompt.

dagster 1.13.27's threaded reader (`PipesThreadedMessageReader._messages_thread`) downloads one
chunk per pass, at most every `interval` whole seconds while the run lives, and sleeps a whole
second between passes; a task writes a chunk a second (lakegate/cli/step.py), so the chunks a
finished task left behind arrived one a second after its run ended (a silver step whose task took
2.4 s took 6.5 s on the emulator). Its logs thread sleeps a second at a time too, and the step waits
for both threads. This reader reads every chunk there is on each pass, waits on the session-closed
event instead of sleeping, and its logs thread ends with the session when there are no log readers.

Overrides the private `_messages_thread` and `_logs_thread` of dagster 1.13.27: recheck on upgrade
(tests/unit/test_dbfs_message_reader.py runs both readers side by side).
"""

from __future__ import annotations

import json
import sys
import time
from threading import Event, Thread

from dagster_databricks import PipesDbfsMessageReader
from dagster_pipes import PIPES_PROTOCOL_VERSION_FIELD

CLOSED_MESSAGE_WAIT_SECONDS = 10.0  # after the run ends, how long its last messages may take (as dagster waits)
AFTER_CLOSE_LOOK_SECONDS = 0.1  # between looks for them then


class PromptDbfsMessageReader(PipesDbfsMessageReader):
    def _messages_thread(self, handler, params, is_session_closed: Event) -> None:
        try:
            closed_at = None
            readable = False
            while not handler.received_closed_message:
                if not readable:  # the task's launched message may name where it writes
                    params = {**params, **(self.launched_payload or {})}
                    readable = self.messages_are_readable(params)
                if readable:
                    self._read_every_chunk(handler, params)
                if handler.received_closed_message:
                    return
                if not is_session_closed.is_set():
                    is_session_closed.wait(self.interval)
                    continue
                closed_at = closed_at or time.monotonic()
                if time.monotonic() - closed_at > CLOSED_MESSAGE_WAIT_SECONDS:
                    if not readable:
                        self._log_unstartable_warning(handler, params)
                    return
                time.sleep(AFTER_CLOSE_LOOK_SECONDS)
        except Exception:
            handler.report_pipes_framework_exception(f"{type(self).__name__} messages thread", sys.exc_info())
            raise

    def _read_every_chunk(self, handler, params) -> None:
        """Up to the chunk with the closed message, the task's last word."""
        while not handler.received_closed_message and (downloaded := self.download_messages(None, params)):
            for line in downloaded[1].split("\n"):
                try:
                    message = json.loads(line)
                except json.JSONDecodeError:
                    continue
                if isinstance(message, dict) and PIPES_PROTOCOL_VERSION_FIELD in message:
                    handler.handle_message(message)

    def _logs_thread(self, handler, params, is_session_closed: Event, messages_thread: Thread) -> None:
        if not self.log_readers:
            is_session_closed.wait()
            if not self.log_readers:  # none was added while the run lived: nothing to wait for
                return
        super()._logs_thread(handler, params, is_session_closed, messages_thread)
