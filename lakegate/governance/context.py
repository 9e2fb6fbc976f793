"""Everything a governance decision reads for one LAKEGATE_HOME, read fresh each time it is asked.

Approvals, the governance policy, its signatures and the change register live under the home; the
ledger is anchored outside it; the trusted keys are outside it. A decision (a promotion, a traffic
change) asks at the moment it acts, so what it judges is the state it acts on.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from lakegate.environment import Environment, current_environment
from lakegate.governance.change_register import ChangeRegister, load_register, register_path
from lakegate.governance.policy import GovernancePolicy, load_signed_policy
from lakegate.governance.trainers import trainer_of
from lakegate.ledger import Ledger, LedgerError
from lakegate.policy_signatures import SignedPolicy
from lakegate.trust import TrustedKeys, load_trusted_keys, trust_paths


class LedgerUnverified(LedgerError):
    """The ledger fails verification (against its anchor): its records prove nothing."""


@dataclass
class Governance:
    home: Path
    ledger: Ledger
    trusted_keys_path: Path
    # The ledger's and anchor's file identities when they last verified: a ledger unchanged since
    # (same inode, size, mtime and ctime; ctime cannot be set back) need not be read again.
    _verified: tuple | None = field(default=None, repr=False, compare=False)

    @classmethod
    def for_home(cls, home: Path, env: Environment | None = None) -> "Governance":
        env = env or current_environment()
        home = Path(home).resolve()
        return cls(home, Ledger.for_home(home, env), trust_paths(env, home).trusted_keys)

    def trusted_keys(self) -> TrustedKeys:
        return load_trusted_keys(self.trusted_keys_path)

    def verified_ledger(self) -> Ledger:
        """The ledger, once it verifies against its anchor; LedgerUnverified otherwise."""
        stamp = tuple(_identity(p) for p in (self.ledger.path, self.ledger.head_path, self.ledger.anchor))
        if stamp != self._verified:
            check = self.ledger.verify(anchor=self.ledger.anchor)
            if not check.ok:
                problems = "; ".join(str(p) for p in check.problems[:3])
                raise LedgerUnverified(f"the audit ledger fails verification, so its records prove nothing ({problems})")
            self._verified = stamp
        return self.ledger

    def policy(self) -> tuple[GovernancePolicy, SignedPolicy]:
        """The governance policy in force: signed by a trusted governance owner, and the version the
        ledger records as current."""
        return load_signed_policy(self.home, self.trusted_keys(), self.verified_ledger())

    def register(self) -> ChangeRegister:
        return load_register(register_path(self.home))

    def trainer(self, artifact_hash: str) -> str:
        """Who trained this artifact, from a ledger that verifies against its anchor."""
        return trainer_of(self.verified_ledger(), artifact_hash)


def _identity(path: Path | None) -> tuple | None:
    try:
        st = os.stat(path) if path is not None else None
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns) if st else None
