"""The one exception family of followupd.

Every error a user can cause (bad config, bad template, bad command, unparsable mail) is a
:class:`FollowupdError`; its message is written for the person who has to fix the input.
"""

from __future__ import annotations


class FollowupdError(Exception):
    """Base of all errors followupd raises on purpose."""


class ConfigError(FollowupdError):
    """The configuration is invalid; ``problems`` lists every finding, one line each."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("invalid configuration:\n" + "\n".join(f"  - {p}" for p in problems))


class CadenceError(FollowupdError):
    """A cadence definition is invalid."""


class TemplateError(FollowupdError):
    """A template is invalid or cannot be rendered with the data at hand."""


class MissingData(TemplateError):
    """A template needs values the thread does not have yet (``names``: dotted paths)."""

    def __init__(self, message: str, names: tuple[str, ...]) -> None:
        super().__init__(message)
        self.names = names


class MailParseError(FollowupdError):
    """A message cannot be parsed well enough to be handled; it goes to quarantine."""


class CommandError(FollowupdError):
    """A rep's command could not be understood or is not allowed."""


class StateError(FollowupdError):
    """A thread state transition that the transition table does not allow."""


class DatabaseError(FollowupdError):
    """The configured database cannot be used (before any connection is tried)."""
