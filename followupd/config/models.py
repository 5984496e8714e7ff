"""The settings models: TOML tables → frozen, validated pydantic models.

Unknown keys are errors (``extra="forbid"``), so a typo never silently does nothing.
"""

from __future__ import annotations

from datetime import date, time
from pathlib import Path
from typing import Annotated, Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator

from followupd.approval.policy import parse_policy
from followupd.config.servers import (
    DkimSettings,
    ImapSettings,
    SecretRef,
    SmtpSettings,
    TlsMode,
    _secret_ref,
    _Strict,
)

__all__ = [
    "PROVIDERS",
    "ApprovalSettings",
    "CompanySettings",
    "CountryTimingSettings",
    "DaemonSettings",
    "DkimSettings",
    "Email",
    "HolidaySettings",
    "ImapSettings",
    "MailboxSettings",
    "OriginProof",
    "Provider",
    "SecretRef",
    "Settings",
    "SmtpSettings",
    "TimingSettings",
    "TlsMode",
    "WorkingHoursSettings",
]

_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# The names of the shipped presets (followupd/config/providers.toml, one table each).
Provider = Literal[
    "gmail", "outlook365", "netease-qiye", "aliyun-qiye", "exmail-qq", "zoho", "dovecot"
]
PROVIDERS: tuple[str, ...] = get_args(Provider)
Email = Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]


def _check_tz(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError("expected an IANA timezone name such as Europe/Berlin") from exc
    return name


class MailboxSettings(_Strict):
    """One rep's mailbox."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    # A preset that filled in whatever the mailbox tables leave out (see load.py).
    provider: Provider | None = None
    rep_address: Email
    rep_name: str = Field(min_length=1)
    rep_phone: str | None = None
    # The rep's own timezone: review mails show send times in it.
    rep_timezone: str = "UTC"
    default_cadence: str = "pi"
    language: str = "en"
    # The language of followupd's mails to the rep (review mails, notices) and of the command
    # words it lists; commands are understood in every language whatever this says.
    rep_language: Literal["en", "zh"] = "en"
    # "each": one review mail per draft; "digest": one mail a day listing the rep's drafts,
    # at digest_hour in rep_timezone.
    review: Literal["each", "digest"] = "each"
    digest_hour: int = Field(default=8, ge=0, le=23)
    # manual | auto | unless-objected:<hours>h; when unset, each cadence's own policy.
    approval_policy: str | None = None
    # Ask the buyer's client for a read receipt (Disposition-Notification-To: the rep).
    read_receipts: bool = False
    # DKIM-sign each follow-up here, for a relay that does not sign; None: not signed here.
    dkim: DkimSettings | None = None
    imap: ImapSettings
    smtp: SmtpSettings

    @field_validator("rep_address")
    @classmethod
    def _lower(cls, v: str) -> str:
        return v.lower()

    @field_validator("rep_timezone")
    @classmethod
    def _rep_tz(cls, v: str) -> str:
        return _check_tz(v)

    @field_validator("approval_policy")
    @classmethod
    def _policy(cls, v: str | None) -> str | None:
        return None if v is None else str(parse_policy(v))


class WorkingHoursSettings(_Strict):
    start: time = time(9, 0)
    end: time = time(17, 0)
    workdays: tuple[str, ...] = _WEEKDAYS[:5]

    @field_validator("workdays")
    @classmethod
    def _days(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        bad = [d for d in v if d not in _WEEKDAYS]
        if bad or not v:
            raise ValueError(f"expected weekday names from {', '.join(_WEEKDAYS)}")
        return v

    @model_validator(mode="after")
    def _order(self) -> WorkingHoursSettings:
        if (self.end.hour - self.start.hour) < 2:
            raise ValueError("end must be at least two hours after start")
        return self

    def workday_numbers(self) -> frozenset[int]:
        return frozenset(_WEEKDAYS.index(d) for d in self.workdays)


class HolidaySettings(_Strict):
    """A closure of the seller's factory or office (e.g. Spring Festival), for buyer notices."""

    name: str = Field(min_length=1)
    start: date
    end: date
    # The last day an order can be placed to be produced before the closure.
    order_by: date | None = None

    @model_validator(mode="after")
    def _order(self) -> HolidaySettings:
        if self.end < self.start:
            raise ValueError("end must not be before start")
        if self.order_by is not None and self.order_by > self.start:
            raise ValueError("order_by must not be after start")
        return self


class CompanySettings(_Strict):
    """The seller's profile, used by templates. Bank details will only ever come from here."""

    name: str = Field(min_length=1)
    website: str | None = None
    products: tuple[str, ...] = ()
    certifications: tuple[str, ...] = ()
    # Short customer stories ("a Polish distributor cut returns by 30% with our sealed
    # bearings"), for the case-study follow-ups.
    case_studies: tuple[str, ...] = ()
    # Closing lines under the rep's name in every follow-up; default: company name and website.
    signature: str | None = None
    holidays: tuple[HolidaySettings, ...] = ()


class CountryTimingSettings(_Strict):
    """Working hours and week of the buyers in one country, where they differ from the rest."""

    start: time | None = None
    end: time | None = None
    # Replaces the country's own weekend (from python-holidays); its make-up days still count.
    workdays: tuple[str, ...] | None = None

    @field_validator("workdays")
    @classmethod
    def _days(cls, v: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if v is not None and (not v or any(d not in _WEEKDAYS for d in v)):
            raise ValueError(f"expected weekday names from {', '.join(_WEEKDAYS)}")
        return v

    def workday_numbers(self) -> frozenset[int] | None:
        return None if self.workdays is None else frozenset(map(_WEEKDAYS.index, self.workdays))


class TimingSettings(_Strict):
    """How a send slot is picked within a step's slack; see followupd.timing."""

    window_minutes: int = Field(default=5, ge=1, le=29)
    skip_first_minutes: int = Field(default=60, ge=0, le=720)
    answer_minutes: int = Field(default=55, ge=0, le=720)
    # Weekdays not named weigh 1.0.
    weekday_weights: dict[str, float] = Field(default_factory=lambda: {"thu": 1.5, "fri": 1.5})
    month_end_weight: float = Field(default=1.5, gt=0)
    month_end_from_day: int = Field(default=28, ge=1, le=31)
    daily_cap: int | None = Field(default=None, ge=1, strict=True)
    min_gap_minutes: int = Field(default=2, ge=0, le=720)
    horizon_days: int = Field(default=60, ge=1, le=366)
    countries: dict[str, CountryTimingSettings] = Field(default_factory=dict)

    @field_validator("weekday_weights")
    @classmethod
    def _weights(cls, v: dict[str, float]) -> dict[str, float]:
        if any(d not in _WEEKDAYS for d in v) or any(w <= 0 for w in v.values()):
            raise ValueError(f"expected weekday names ({', '.join(_WEEKDAYS)}) = positive numbers")
        return v

    @field_validator("countries")
    @classmethod
    def _countries(cls, v: dict[str, CountryTimingSettings]) -> dict[str, CountryTimingSettings]:
        bad = [cc for cc in v if len(cc) != 2 or not cc.isascii() or not cc.isupper()]
        if bad:
            raise ValueError(f"expected two-letter upper-case country codes, got {', '.join(bad)}")
        return v

    def weekday_weight_list(self) -> tuple[float, ...]:
        return tuple(self.weekday_weights.get(d, 1.0) for d in _WEEKDAYS)


class DaemonSettings(_Strict):
    database_url: str = "sqlite+aiosqlite:///followupd.db"
    default_timezone: str = "UTC"
    cadence_file: Path | None = None
    template_dirs: tuple[Path, ...] = ()
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @field_validator("default_timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        return _check_tz(v)

    @field_validator("database_url")
    @classmethod
    def _db(cls, v: str) -> str:
        if not v.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("expected a sqlite+aiosqlite:///PATH or postgresql+asyncpg://… URL")
        return v


OriginProof = Literal["dkim", "authres", "sent"]


class ApprovalSettings(_Strict):
    """The key that signs per-draft approval tokens, and how a command proves its origin."""

    secret_env: str | None = None
    secret_file: Path | None = None
    secret_credential: str | None = None
    # Proofs that a command reply really left the rep's mailbox; one of them must hold.
    origin_proofs: tuple[OriginProof, ...] = ("dkim", "authres", "sent")
    # authserv-ids of the rep's own receiving servers, whose Authentication-Results
    # headers are believed (the server must remove such headers that arrive from outside).
    trusted_authserv_ids: tuple[str, ...] = ()
    dkim_dns_timeout: float = Field(default=5.0, gt=0, le=30)
    # How long to look for the reply's copy in the rep's Sent folder (clients save it a
    # moment after sending).
    sent_wait_seconds: float = Field(default=20.0, ge=0, le=300)

    @field_validator("origin_proofs")
    @classmethod
    def _proofs(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        if not v:
            raise ValueError("at least one proof of origin is needed: dkim, authres or sent")
        return tuple(dict.fromkeys(v))

    @field_validator("trusted_authserv_ids")
    @classmethod
    def _ids(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(x.strip().lower() for x in v if x.strip())

    @property
    def secret(self) -> SecretRef:
        return _secret_ref(self, "secret")

    @model_validator(mode="after")
    def _one(self) -> ApprovalSettings:
        _secret_ref(self, "secret")
        return self


class Settings(_Strict):
    """The whole validated configuration."""

    daemon: DaemonSettings = DaemonSettings()
    working_hours: WorkingHoursSettings = WorkingHoursSettings()
    timing: TimingSettings = TimingSettings()
    approval: ApprovalSettings
    company: CompanySettings
    mailbox: tuple[MailboxSettings, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> Settings:
        names = [m.name for m in self.mailbox]
        if len(set(names)) != len(names):
            raise ValueError("mailbox names must be unique")
        return self
