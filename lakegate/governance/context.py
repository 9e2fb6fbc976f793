"""Everything a governance decision reads for one LAKEGATE_HOME, read fresh each time it is asked.

Approvals, the governance policy, its signatures and the change register live under the home; the
ledger is anchored outside it; the trusted keys are outside it. A decision (a promotion, a traffic
change) asks at the moment it acts, so what it judges is the state it acts on.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lakegate.environment import Environment, current_environment
from lakegate.governance.change_register import ChangeRegister, load_register, register_path
from lakegate.governance.policy import GovernancePolicy, load_signed_policy
from lakegate.governance.trainers import TrainerUnknown, trainer_of
from lakegate.ledger import Ledger
from lakegate.policy_signatures import SignedPolicy
from lakegate.trust import TrustedKeys, load_trusted_keys, trust_paths


@dataclass(frozen=True)
class Governance:
    home: Path
    ledger: Ledger
    trusted_keys_path: Path

    @classmethod
    def for_home(cls, home: Path, env: Environment | None = None) -> "Governance":
        env = env or current_environment()
        home = Path(home).resolve()
        return cls(home, Ledger.for_home(home, env), trust_paths(env, home).trusted_keys)

    def trusted_keys(self) -> TrustedKeys:
        return load_trusted_keys(self.trusted_keys_path)

    def policy(self) -> tuple[GovernancePolicy, SignedPolicy]:
        """The governance policy in force, verified against the trusted governance-owner keys."""
        return load_signed_policy(self.home, self.trusted_keys())

    def register(self) -> ChangeRegister:
        return load_register(register_path(self.home))

    def trainer(self, artifact_hash: str) -> str:
        """Who trained this artifact, from a ledger that verifies against its anchor."""
        check = self.ledger.verify(anchor=self.ledger.anchor)
        if not check.ok:
            problems = "; ".join(str(p) for p in check.problems[:3])
            raise TrainerUnknown(f"the audit ledger fails verification, so its training records prove nothing ({problems})")
        return trainer_of(self.ledger, artifact_hash)
