"""Walk lineage from the tables themselves: each Delta commit names what it was built from.

A commit written by Lakegate carries `userMetadata` = {"lakegate.inputs": {table: version}}; a
bronze commit carries `lakegate.files` (the landed files it ingested). From any table version this
gives the chain down to the landed files, with no orchestrator database needed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from lakegate.lake import INPUTS_KEY, Lake

FILES_KEY = "lakegate.files"


@dataclass
class LineageNode:
    table: str
    version: int | None
    inputs: list["LineageNode"] = field(default_factory=list)
    files: list[dict] = field(default_factory=list)  # landed files, for bronze
    missing: str | None = None  # why the walk stopped here, if it did

    def to_dict(self) -> dict:
        out: dict = {"table": self.table, "version": self.version}
        if self.files:
            out["files"] = self.files
        if self.inputs:
            out["inputs"] = [i.to_dict() for i in self.inputs]
        if self.missing:
            out["missing"] = self.missing
        return out

    def lines(self, depth: int = 0) -> list[str]:
        pad = "  " * depth
        text = [f"{pad}{self.table} @ v{self.version}" + (f"  ({self.missing})" if self.missing else "")]
        for node in self.inputs:
            text += node.lines(depth + 1)
        for f in self.files:
            text.append(f"{pad}  file {f['path']}  sha256 {f['content_hash'][:12]}…  {f['rows']} rows")
        return text


def commit(lake: Lake, name: str, version: int) -> dict | None:
    for entry in lake.history(name):
        if entry.get("version") == version:
            return entry
    return None


def commit_inputs(entry: dict) -> dict[str, int | None]:
    raw = entry.get("userMetadata")
    if not raw:
        return {}
    try:
        return dict(json.loads(raw).get(INPUTS_KEY, {}))
    except (ValueError, AttributeError):
        return {}


def ingested_files(lake: Lake, name: str, up_to_version: int) -> list[dict]:
    """Landed files in every bronze commit up to and including a version (bronze is append-only)."""
    files: list[dict] = []
    for entry in sorted(lake.history(name), key=lambda e: e.get("version", -1)):
        if entry.get("version", -1) <= up_to_version and FILES_KEY in entry:
            files.extend(json.loads(entry[FILES_KEY]))
    return files


def trace(lake: Lake, name: str, version: int | None) -> LineageNode:
    node = LineageNode(table=name, version=version)
    if version is None:
        node.missing = "version unknown"
        return node
    if not lake.exists(name):
        node.missing = "table not found"
        return node
    entry = commit(lake, name, version)
    if entry is None:
        node.missing = "version not in the table's history (vacuumed?)"
        return node
    if name.split(".")[1] == "bronze":
        node.files = ingested_files(lake, name, version)
        return node
    node.inputs = [trace(lake, upstream, v) for upstream, v in sorted(commit_inputs(entry).items())]
    return node
