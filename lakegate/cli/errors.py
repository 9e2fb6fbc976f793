"""Errors that are the user's to fix: shown as one clear line, exit code 2, no traceback."""

from gates.approvals import ApprovalError
from gates.change_register import ChangeRegisterError
from gates.governance import GovernanceError
from lakegate.environment import ConfigError
from lakegate.lake import TableNameError
from lakegate.ledger import LedgerError
from lakegate.registry import RegistryError
from lakegate.run import SelectionError
from lakegate.serving.endpoints import EndpointError


class UsageError(ValueError):
    pass


USER_ERRORS = (ConfigError, TableNameError, SelectionError, UsageError, FileNotFoundError, RegistryError, LedgerError,
               GovernanceError, ChangeRegisterError, ApprovalError, EndpointError)
