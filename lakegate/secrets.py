"""Every secret this installation uses, for the guards that keep them out of the ledger and bundles.

Three sources: environment variables whose names look secret (`*_KEY`, `*_TOKEN`, `*_SECRET`,
`*PASSWORD*`, and `*WEBHOOK*`: a Slack-style webhook URL is its own credential); the files the local environment generates under `$LAKEGATE_HOME/secrets/` (serving
tokens, the PII key); and private-key files in the trust directory's `keys/` (the demo people's and
the release signer's keys), whose base64 lines are what would leak if one were pasted anywhere.
Values shorter than MIN_SECRET_LENGTH are too common to refuse.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Iterator

SECRET_NAME = re.compile(r"(_KEY|_TOKEN|_SECRET)$|PASSWORD|WEBHOOK", re.IGNORECASE)
MIN_SECRET_LENGTH = 8


def secret_values(home: Path | None = None, environ: dict[str, str] | None = None,
                  key_dirs: tuple[Path, ...] = ()) -> dict[str, str]:
    """{where the secret comes from: its value} for every secret known here."""
    found = {f"${name}": value for name, value in (environ if environ is not None else os.environ).items()
             if SECRET_NAME.search(name)}
    if home is not None:
        for path in _files(Path(home) / "secrets"):
            found[f"the file secrets/{path.name}"] = _read(path).strip()
    for folder in key_dirs:
        for path in _files(folder):
            body = [line for line in _read(path).splitlines() if line and not line.startswith("-----")]
            for i, line in enumerate(body):
                found[f"the private key file {path.name} (line {i + 1})"] = line.strip()
    return {where: value for where, value in found.items() if len(value) >= MIN_SECRET_LENGTH}


def find_secret(obj: Any, secrets: dict[str, str]) -> str | None:
    """Where the first secret that appears anywhere in `obj` (keys included) comes from, or None."""
    for text in _strings(obj) if secrets else ():
        for where, value in secrets.items():
            if value in text:
                return where
    return None


def _files(folder: Path) -> list[Path]:
    try:
        return sorted(p for p in folder.iterdir() if p.is_file())
    except OSError:
        return []


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except OSError:
        return ""


def _strings(obj: Any) -> Iterator[str]:
    if isinstance(obj, dict):
        for key, value in obj.items():
            yield str(key)
            yield from _strings(value)
    elif isinstance(obj, (list, tuple)):
        for value in obj:
            yield from _strings(value)
    elif obj is not None:
        yield str(obj)
