"""`lakegate policy sign FILE` and `lakegate policy verify [FILE ...]`: the governance owner's signature
over the exact bytes of a policy file (lakegate/policy_signatures.py).

Decisions refuse a policy whose bytes carry no signature by a key in the trusted-keys file, so an
edit takes effect only once the governance owner has signed it. `verify` without files checks the
governance policy and this environment's promotion and deployment policies.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from lakegate.cli.errors import UsageError

app = typer.Typer(help="Signed policies: sign a policy file as the governance owner, verify the ones in force.",
                  no_args_is_help=True)


@app.command("sign")
def sign(
    file: Path = typer.Argument(..., help="The policy file, e.g. gates/policies/promotion.prod.yaml"),
    signer: str = typer.Option(..., "--as", help="Your id as a governance owner in the trusted-keys file"),
    key: Optional[Path] = typer.Option(None, "--key", help="Your Ed25519 private key, PEM (default: the demo key)"),
) -> None:
    """Sign the file's exact bytes; the signature is stored under $LAKEGATE_HOME/governance/signatures."""
    from lakegate.environment import current_environment, lakegate_home
    from lakegate.ledger import Ledger
    from gates.policy import policy_name
    from lakegate.policy_signatures import sign_policy
    from lakegate.signing import load_private_key, parse_public_key, same_public_key, sha256_hex
    from lakegate.trust import GOVERNANCE_OWNER, TrustError, load_trusted_keys, trust_paths

    if not file.is_file():
        raise UsageError(f"no policy file at {file}")
    trust = trust_paths(current_environment(), lakegate_home())
    trusted = {k.id: k for k in load_trusted_keys(trust.trusted_keys).keys if k.role == GOVERNANCE_OWNER}
    if signer not in trusted:
        raise TrustError(f"{signer} is not a governance owner in {trust.trusted_keys} (owners: {', '.join(trusted) or 'none'})")
    private_key = load_private_key(key or trust.keys_dir / f"{signer}.pem")
    if not same_public_key(private_key.public_key(), parse_public_key(trusted[signer].public_key)):
        raise TrustError(f"that key is not {signer}'s: it does not match their trusted public key")
    data = file.read_bytes()
    stored = sign_policy(data, policy_name(file), private_key, signer, lakegate_home(), Ledger.default())
    typer.echo(f"signed {file} (sha256 {sha256_hex(data)}) as {signer}; signature: {stored}")


@app.command("verify")
def verify(files: Optional[list[Path]] = typer.Argument(None, help="Policy files (default: the ones in force)")) -> None:
    """Check each policy's bytes against a trusted governance owner's signature; exit 1 naming each failure."""
    from lakegate.environment import current_environment, lakegate_home
    from lakegate.governance.context import Governance
    from lakegate.governance.policy import policy_path
    from lakegate.policy_signatures import PolicyTrustError, read_signed_policy

    from gates.policy import policies_dir, policy_name
    from ml_assets.usecases import USE_CASES

    env, home = current_environment(), lakegate_home()
    governance = Governance.for_home(home, env)
    trusted, ledger = governance.trusted_keys(), governance.verified_ledger()
    files = files or [policy_path(home), *(policies_dir(u) / f"{kind}.{env.policy_set(kind)}.yaml" for u in USE_CASES
                                           for kind in ("promotion", "deployment"))]
    failures = 0
    for file in files:
        try:
            signed = read_signed_policy(file, home, trusted, ledger, name=policy_name(file))
        except PolicyTrustError as exc:
            failures += 1
            typer.secho(f"FAILED {file}: {exc}", fg=typer.colors.RED)
            continue
        typer.echo(f"OK {file}: sha256 {signed.sha256}, signed by {signed.signer} at {signed.signature.get('signed_at')}")
    if failures:
        raise SystemExit(1)
