"""TOML configuration → frozen, validated settings, with secrets resolved.

Loading is three passes: a mailbox's provider preset (``providers.toml``) fills in the keys it
leaves out, the result is validated against the models (``models``), then every secret
reference is resolved (``secrets``); ``load`` reports all problems together.
"""

from followupd.config.load import (
    LoadedConfig,
    apply_presets,
    load_config,
    load_config_data,
    load_settings,
    provider_note,
    provider_presets,
    summary,
)
from followupd.config.models import (
    PROVIDERS,
    ApprovalSettings,
    CompanySettings,
    DaemonSettings,
    ImapSettings,
    MailboxSettings,
    Provider,
    SecretRef,
    Settings,
    SmtpSettings,
    TimingSettings,
    WorkingHoursSettings,
)
from followupd.config.secrets import Secrets
from followupd.config.servers import ServerSettings

__all__ = [
    "PROVIDERS",
    "ApprovalSettings",
    "CompanySettings",
    "DaemonSettings",
    "ImapSettings",
    "LoadedConfig",
    "MailboxSettings",
    "Provider",
    "SecretRef",
    "Secrets",
    "ServerSettings",
    "Settings",
    "SmtpSettings",
    "TimingSettings",
    "WorkingHoursSettings",
    "apply_presets",
    "load_config",
    "load_config_data",
    "load_settings",
    "provider_note",
    "provider_presets",
    "summary",
]
