"""Bearer tokens for the serving runtime, one per scope: `invoke` (scoring and health routes) and
`admin` (the endpoint-management API). Neither grants the other. Tokens come from environment
variables; on a laptop (`allow_generated_tokens`) they are generated once under
$LAKEGATE_HOME/secrets with owner-only permissions. They are compared in constant time and never
logged: only the scope a request was granted is.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from pathlib import Path

from lakegate.environment import ConfigError, ServingConfig
from lakegate.tokens import env_or_generated_token

SCOPES = ("invoke", "admin")


def token_file(home: Path, scope: str) -> Path:
    return home / "secrets" / f"serving_{scope}.token"


@dataclass(frozen=True, repr=False)
class Tokens:
    invoke: bytes
    admin: bytes

    def __post_init__(self):
        if hmac.compare_digest(self.invoke, self.admin):
            raise ConfigError("the serving invoke and admin tokens must differ (they grant separate scopes)")

    def scopes(self, authorization: bytes | None) -> frozenset[str]:
        """The scopes an `Authorization: Bearer <token>` header grants (empty when it grants none)."""
        if not authorization or not authorization[:7].lower() == b"bearer ":
            return frozenset()
        presented = authorization[7:].strip()
        # Compare with every token so the time taken does not reveal which one nearly matched.
        granted = {scope for scope in SCOPES if hmac.compare_digest(presented, getattr(self, scope))}
        return frozenset(granted)


def resolve_tokens(config: ServingConfig, home: Path) -> Tokens:
    return Tokens(invoke=_token(config.invoke_token_env, config, home, "invoke"),
                  admin=_token(config.admin_token_env, config, home, "admin"))


def _token(env_name: str, config: ServingConfig, home: Path, scope: str) -> bytes:
    return env_or_generated_token(env_name, config.allow_generated_tokens, token_file(home, scope), f"serving {scope}")
