"""The roots of trust, kept outside LAKEGATE_HOME (docs/threat-model.md).

- The trusted-keys file: the public keys of the governance owner (who signs the governance,
  promotion and deployment policies) and of the release signer (who signs evidence-bundle
  manifests). Decisions verify policies against it; an auditor verifies bundles against their own
  copy of it.
- The ledger anchor: an append-only log to which every ledger append publishes the head.
- The release signer's private key.

Each path comes from the environment variable the environment names (`trust:` in
environments/<name>.yaml). On a laptop (`allow_local_trust_dir`), an unset variable means
`<LAKEGATE_HOME>-trust/` beside the home, where the demo also keeps its people's private keys.
A path inside LAKEGATE_HOME is refused: whoever may write the home must not be able to move the roots.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from lakegate.environment import ConfigError, Environment
from lakegate.signing import PublicKeyText, parse_public_key, verify_signed
from lakegate.yaml_load import safe_load

GOVERNANCE_OWNER = "governance_owner"
RELEASE = "release"
TrustRole = Literal["governance_owner", "release"]


class TrustError(ValueError):
    """A missing or invalid trusted-keys file, or a signature no trusted key made. For the user as it is."""


def trust_dir(home: Path) -> Path:
    """`<LAKEGATE_HOME>-trust`, beside the home: the laptop's stand-in for the places below."""
    home = Path(home).resolve()
    return home.with_name(home.name + "-trust")


@dataclass(frozen=True)
class TrustPaths:
    trusted_keys: Path
    anchor: Path
    release_key: Path
    keys_dir: Path  # the demo people's private keys (a laptop's stand-in for their own custody)


def trust_paths(env: Environment, home: Path) -> TrustPaths:
    """Resolve the environment's trust locations; ConfigError when one is unset and may not default."""
    home = Path(home).resolve()
    local = trust_dir(home)

    def resolve(variable: str, default: Path, what: str) -> Path:
        value = os.environ.get(variable, "").strip()
        if not value:
            if not env.trust.allow_local_trust_dir:
                raise ConfigError(f"environment {env.name} needs ${variable}: the path of {what}, outside LAKEGATE_HOME")
            return default
        path = Path(value).expanduser().resolve()
        if path == home or home in path.parents:
            raise ConfigError(f"${variable} ({path}) is inside LAKEGATE_HOME ({home}); {what} must live outside it")
        return path

    return TrustPaths(
        trusted_keys=resolve(env.trust.trusted_keys_env, local / "trusted_keys.yaml", "the trusted public keys"),
        anchor=resolve(env.trust.anchor_env, local / "ledger-anchor.jsonl", "the ledger anchor"),
        release_key=resolve(env.trust.release_key_env, local / "keys" / "platform.release.pem", "the release signing key"),
        keys_dir=local / "keys",
    )


class TrustedKey(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    role: TrustRole
    public_key: PublicKeyText


class TrustedKeys(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    keys: tuple[TrustedKey, ...]

    def holders(self, role: str) -> list[str]:
        return [k.id for k in self.keys if k.role == role]

    def signer(self, document: dict, role: str) -> str | None:
        """The id of the trusted `role` key that signed `document` (named by its `signer` field), or None."""
        named = document.get("signer") if isinstance(document, dict) else None
        for key in self.keys:
            if key.role == role and key.id == named and verify_signed(document, parse_public_key(key.public_key)):
                return key.id
        return None


def parse_trusted_keys(raw: object, source: str) -> TrustedKeys:
    if not isinstance(raw, dict):
        raise TrustError(f"{source}: expected a mapping with a `keys` list")
    try:
        return TrustedKeys(**raw)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg'].removeprefix('Value error, ')}"
                             for e in exc.errors())
        raise TrustError(f"{source}: invalid trusted keys: {problems}") from None


def load_trusted_keys(path: Path | str) -> TrustedKeys:
    path = Path(path)
    if not path.is_file():
        raise TrustError(f"no trusted keys at {path}: policies and evidence cannot be verified, so nothing is approved")
    try:
        raw = safe_load(path.read_text())
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise TrustError(f"{path}: cannot read the trusted keys: {exc}") from None
    return parse_trusted_keys(raw, str(path))


def trusted_keys_text(keys: list[tuple[str, str, str]]) -> str:
    """The file for (id, role, PEM public key) triples, commented for the people who keep it."""
    doc = {"keys": [{"id": i, "role": r, "public_key": pem} for i, r, pem in keys]}
    header = ("# Public keys Lakegate and its auditors trust: the governance owner signs policies, the\n"
              "# release signer signs evidence bundles. Keep this file outside LAKEGATE_HOME, under change control.\n")
    return header + yaml.dump(doc, Dumper=BlockDumper, sort_keys=False, width=120)


class BlockDumper(yaml.SafeDumper):
    """Multi-line strings (PEM keys) as literal blocks, so key files stay readable."""


BlockDumper.add_representer(
    str, lambda dumper, value: dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if "\n" in value else None)
)
