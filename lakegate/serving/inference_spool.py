"""Spool files of the inference log: how a worker writes them and how a crashed worker's are recovered.

A worker appends each record to its open segment `.<pid>-<seq>-<uuid>.jsonl.tmp` with one
`write()` before the answer is sent, so the record is in the kernel, and survives any crash of the
process, by the time the caller has it. A background thread fdatasyncs the segment every few
milliseconds (power loss) and seals it every second: fsync, rename to `<pid>-<seq>-<uuid>.jsonl`
(only sealed names are drained), fsync of the folder.

The writer holds an exclusive `flock` on its open segment until it is sealed. The kernel drops the
lock when the process dies, so a segment whose lock can be taken has no writer: `recover_orphans`
cuts it after its last complete line and seals it under the name the writer would have given it,
exactly once (a sealed name is drained once, see inference_drain.py). Pre-lock `.tmp` files left by
older workers are recovered the same way.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import re
import time
import uuid
from pathlib import Path

log = logging.getLogger(__name__)

SPOOL_FILE = re.compile(r"^\d+-\d+-[0-9a-f]{32}\.jsonl$")
_OPEN_SUFFIX = ".tmp"


def spool_files(directory: Path) -> list[Path]:
    """Sealed spool files in an endpoint's folder (open segments excluded)."""
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir() if SPOOL_FILE.match(p.name) and p.is_file())


class Segment:
    """One open spool file, locked by this process until sealed."""

    def __init__(self, directory: Path, seq: int):
        directory.mkdir(parents=True, exist_ok=True)
        while True:
            self.name = f"{os.getpid()}-{seq:012d}-{uuid.uuid4().hex}.jsonl"
            self.path = directory / f".{self.name}{_OPEN_SUFFIX}"
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND | os.O_CLOEXEC, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                if _still_named(self.path, fd):
                    break
            except BlockingIOError:  # a recovery took it between create and lock; it removes it
                pass
            # or a recovery took, found empty and removed it before this lock: the lock holds a
            # file nobody will seal, so start again under a new name
            os.close(fd)
        self.fd = fd
        self.directory = directory
        self.records = 0
        self.complete_bytes = 0  # where the last whole record ends
        self.synced_bytes = 0
        self.opened = time.monotonic()

    def write(self, data: bytes) -> None:
        """Append one record with as few `write()` calls as the kernel allows (one, in practice)."""
        view = memoryview(data)
        try:
            while view:
                view = view[os.write(self.fd, view):]
        except OSError:
            with contextlib.suppress(OSError):  # never leave half a record for the next to join
                os.ftruncate(self.fd, self.complete_bytes)
            raise
        self.complete_bytes += len(data)
        self.records += 1

    def sync(self) -> None:
        end = self.complete_bytes
        if end > self.synced_bytes:
            os.fdatasync(self.fd)
            self.synced_bytes = end

    def seal(self) -> Path | None:
        """fsync, rename to the sealed name, fsync the folder, release the lock."""
        try:
            if self.complete_bytes == 0:
                self.path.unlink(missing_ok=True)
                return None
            os.fsync(self.fd)
            final = self.directory / self.name
            os.rename(self.path, final)
            _fsync_directory(self.directory)
            return final
        finally:
            os.close(self.fd)


def _still_named(path: Path, fd: int) -> bool:
    try:
        return os.stat(path).st_ino == os.fstat(fd).st_ino
    except FileNotFoundError:
        return False


def recover_orphans(directory: Path) -> list[Path]:
    """Seal every open segment whose writer is gone; returns the sealed files (none when all live)."""
    if not directory.is_dir():
        return []
    sealed = []
    for path in sorted(directory.glob(f".*.jsonl{_OPEN_SUFFIX}")):
        name = path.name[1:-len(_OPEN_SUFFIX)]
        if SPOOL_FILE.match(name):
            result = _recover(path, directory / name)
            if result is not None:
                sealed.append(result)
    return sealed


def _recover(path: Path, final: Path) -> Path | None:
    try:
        fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
    except FileNotFoundError:  # sealed by its writer meanwhile
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:  # its writer is alive
            return None
        if not _still_named(path, fd):  # renamed by its writer before we locked
            return None
        data = os.pread(fd, os.fstat(fd).st_size, 0)
        whole = data.rfind(b"\n") + 1  # a process killed inside write() cannot leave more than this
        if whole == 0:
            os.unlink(path)
            return None
        if whole < len(data):
            os.ftruncate(fd, whole)
        os.fsync(fd)
        os.rename(path, final)
        _fsync_directory(final.parent)
        log.warning("inference log: recovered %s left open by a stopped worker (%d bytes)", final.name, whole)
        return final
    finally:
        os.close(fd)


def _fsync_directory(directory: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)  # the rename itself survives a power cut
        finally:
            os.close(fd)
