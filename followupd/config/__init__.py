"""TOML configuration → frozen, validated settings, with secrets resolved.

Loading is two passes: the file is validated against the models (``models``), then every
secret reference is resolved (``secrets``); ``load`` reports all problems of both together.
"""

from followupd.config.load import LoadedConfig, load_config, load_config_data, summary
from followupd.config.models import (
    ApprovalSettings,
    CompanySettings,
    DaemonSettings,
    ImapSettings,
    MailboxSettings,
    SecretRef,
    ServerSettings,
    Settings,
    SmtpSettings,
    WorkingHoursSettings,
)
from followupd.config.secrets import Secrets

__all__ = [
    "ApprovalSettings",
    "CompanySettings",
    "DaemonSettings",
    "ImapSettings",
    "LoadedConfig",
    "MailboxSettings",
    "SecretRef",
    "Secrets",
    "ServerSettings",
    "Settings",
    "SmtpSettings",
    "WorkingHoursSettings",
    "load_config",
    "load_config_data",
    "summary",
]
