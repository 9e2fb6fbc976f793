"""YAML reading for files read on every decision (policies, the change register, trusted keys):
libyaml's C loader when PyYAML was built with it (about 20x faster than the pure-Python one), the
same safe subset either way."""

from __future__ import annotations

import yaml

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(data: str | bytes):
    return yaml.load(data, Loader=_LOADER)  # noqa: S506 - a safe loader
