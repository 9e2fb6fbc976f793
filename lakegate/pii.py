"""Keyed pseudonymization of identifiers, computed by the engine itself.

A member id becomes HMAC-SHA256(key, id) in hex: stable for joins, irreversible without the key.
The HMAC is spelled out in Spark SQL (sha2 over the RFC 2104 padded keys), so it runs natively on
any Spark engine with no Python UDF. The key comes from an environment variable; on a laptop
(`allow_generated_key`) a random key is created once under $LAKEGATE_HOME/secrets.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from pyspark.sql import Column
from pyspark.sql import functions as F

from lakegate.environment import ConfigError, PiiConfig, lakegate_home

_BLOCK = 64  # SHA-256 block size in bytes


def hmac_sha256_hex(column: Column, key: bytes) -> Column:
    """HMAC-SHA256 of a string column's UTF-8 bytes, as lowercase hex (NULL stays NULL)."""
    if len(key) > _BLOCK:
        key = hashlib.sha256(key).digest()
    key = key.ljust(_BLOCK, b"\0")
    inner_pad = bytes(b ^ 0x36 for b in key).hex()
    outer_pad = bytes(b ^ 0x5C for b in key).hex()
    inner = F.unhex(F.sha2(F.concat(F.unhex(F.lit(inner_pad)), F.encode(column, "UTF-8")), 256))
    return F.sha2(F.concat(F.unhex(F.lit(outer_pad)), inner), 256)


def hmac_sha256_text(value: str, key: bytes) -> str:
    """The same pseudonym in Python, for one value at request time (silver trims ids first)."""
    return hmac.new(key, value.strip().encode("utf-8"), hashlib.sha256).hexdigest()


def resolve_hmac_key(config: PiiConfig, home: Path | None = None) -> bytes:
    value = os.environ.get(config.hmac_key_env)
    if value:
        if len(value) < 16:
            raise ConfigError(f"{config.hmac_key_env} is too short: use at least 16 characters")
        return value.encode()
    if not config.allow_generated_key:
        raise ConfigError(
            f"environment variable {config.hmac_key_env} is not set: it holds the key that "
            "pseudonymizes member ids, and this environment does not allow a generated key"
        )
    key_file = (home or lakegate_home()) / "secrets" / "pii_hmac.key"
    if not key_file.exists():
        key_file.parent.mkdir(parents=True, exist_ok=True)
        key_file.parent.chmod(0o700)
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip().encode()
