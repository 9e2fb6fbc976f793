"""Bearer tokens from an environment variable or, on a laptop, generated once under $LAKEGATE_HOME/secrets.

The serving runtime's two tokens and the dashboard's read-only one come from here. A generated
token is written with owner-only permissions and never printed; files under secrets/ are known to
the secret guards (lakegate/secrets.py), so a token can never reach the ledger or a bundle.
"""

from __future__ import annotations

import hmac
import os
import secrets
from pathlib import Path

from lakegate.environment import ConfigError

MIN_TOKEN_LENGTH = 16


def env_or_generated_token(env_name: str, allow_generated: bool, path: Path, what: str) -> bytes:
    """The token in `env_name`; else, when allowed, the one generated at `path`; else ConfigError."""
    value = os.environ.get(env_name)
    if value:
        if len(value) < MIN_TOKEN_LENGTH:
            raise ConfigError(f"{env_name} is too short: use at least {MIN_TOKEN_LENGTH} characters")
        return value.encode()
    if not allow_generated:
        raise ConfigError(f"environment variable {env_name} is not set: it holds the {what} token, "
                          "and this environment does not allow a generated one")
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.parent.chmod(0o700)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process generated it first: use theirs
            return path.read_text().strip().encode()
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(32))
    return path.read_text().strip().encode()


def same_token(presented: bytes | None, expected: bytes) -> bool:
    """Constant-time comparison, so the time taken does not reveal how much of a guess matched."""
    return presented is not None and hmac.compare_digest(presented, expected)
