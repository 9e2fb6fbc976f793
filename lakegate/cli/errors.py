"""Errors that are the user's to fix: shown as one clear line, exit code 2, no traceback."""


class UsageError(ValueError):
    pass


def user_errors() -> tuple[type[Exception], ...]:
    """Every error class that is the user's to fix. Imported only when a command fails: their modules
    bring Dagster, pyarrow and delta-rs, which a command such as `lakegate serve` never needs (and
    each worker it spawns would import again)."""
    from lakegate.cost.finance_approval import FinanceApprovalError
    from lakegate.cost.guard import CostRefused
    from lakegate.environment import ConfigError
    from lakegate.governance.approvals import ApprovalError
    from lakegate.governance.change_register import ChangeRegisterError
    from lakegate.governance.policy import GovernanceError
    from lakegate.lake import TableNameError
    from lakegate.ledger import LedgerError
    from lakegate.ledger_anchor import AnchorError
    from lakegate.policy_signatures import PolicyTrustError
    from lakegate.registry import RegistryError
    from lakegate.run import SelectionError
    from lakegate.serving.endpoints import EndpointError
    from lakegate.signing import SigningKeyError
    from lakegate.trust import TrustError

    return (ConfigError, TableNameError, SelectionError, UsageError, FileNotFoundError, RegistryError, LedgerError,
            GovernanceError, ChangeRegisterError, ApprovalError, EndpointError, TrustError, PolicyTrustError,
            SigningKeyError, AnchorError, FinanceApprovalError, CostRefused)
