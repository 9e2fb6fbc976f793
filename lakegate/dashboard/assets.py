"""The vendored JavaScript (vega, vega-lite, vega-embed: versions and licence in vendor/README.md),
linked from the served page and inlined into a snapshot, so neither needs the network."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

VENDOR = Path(__file__).resolve().parent / "vendor"
SCRIPTS = ("vega.min.js", "vega-lite.min.js", "vega-embed.min.js")  # in load order: embed needs both
STATIC_PREFIX = "/static/"


@lru_cache(maxsize=None)
def script(name: str) -> bytes:
    if name not in SCRIPTS:
        raise KeyError(name)
    return (VENDOR / name).read_bytes()


def linked() -> str:
    return "".join(f'<script src="{STATIC_PREFIX}{name}"></script>' for name in SCRIPTS)


def inlined() -> str:
    # "</script" cannot occur in minified code outside a string; escaping it keeps the page whole regardless.
    return "".join("<script>" + script(name).decode("utf-8").replace("</script", "<\\/script") + "</script>"
                   for name in SCRIPTS)
