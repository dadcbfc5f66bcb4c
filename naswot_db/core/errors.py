"""The one base class of every error naswot-db reports to a user as a single line."""


class NaswotDbError(Exception):
    """Bad input or state the user can fix; the CLI prints the message and exits non-zero."""


class UnknownNameError(NaswotDbError):
    """A space or score name that no spelling rule maps to a known one."""
