"""The one settings object: environment variables with safe defaults."""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

LOOPBACK_HOSTS = ["127.0.0.1", "localhost", "::1"]
PRODUCTION_NEEDS_AN_EXPORT_FOLDER = (
    "APPRAISAL_ENV=production keeps nothing on a machine's own disk: set APPRAISAL_EXPORT_DIR "
    "to a folder every machine mounts (or give --to); each sealed record is also "
    "downloadable on any machine with `appraisal records export ID` and from the portal.")
PRODUCTION_NEEDS_SMTP = (
    "APPRAISAL_ENV=production sends email by SMTP only: set APPRAISAL_SMTP_URL (e.g. "
    "smtp://smtp.example.nhs.uk:25); no .eml files are written on a machine's own disk.")


class Settings(BaseSettings):
    """Configuration of one deployment, read from ``APPRAISAL_*`` environment variables."""

    model_config = SettingsConfigDict(env_prefix="APPRAISAL_", extra="ignore")

    home: Path = Field(default=Path(".appraisal"))
    database_url: str | None = None
    smtp_url: str | None = None
    base_url: str = "http://127.0.0.1:8000"
    # Host names served besides the base URL's, comma separated (another name of the same
    # service, say). Requests naming any other host are refused.
    allowed_hosts: str = ""
    # "embedded" (one machine: a self-signed seal, .eml files when no SMTP), "development"
    # (the demo: sign-in links printed) or "production" (several machines: the configured
    # seal and SMTP are required, reports are kept in the store).
    env: str = "embedded"
    seal_pkcs12: Path | None = None
    seal_password: str | None = None
    # The seal as a PEM key and its certificate (instead of a PKCS#12 file).
    seal_key: Path | None = None
    seal_certificate: Path | None = None
    # Further seal certificates whose records still verify (retired seals): a folder of
    # .pem files or comma-separated PEM files.
    seal_trusted_certificates: str = ""
    # "json": one JSON object a line on standard error; else the console's text.
    log_format: str = "text"
    # A bearer token that may read /metrics from anywhere (else loopback and the trusted
    # proxies only).
    metrics_token: str | None = None
    mail_from: str = "Board appraisal <appraisal@localhost>"
    secret_key: str | None = None
    # Multi-source feedback: a group's answers are shown apart only when at least this many
    # of its respondents answered; fewer are merged into "other respondents".
    feedback_group_threshold: int = Field(default=3, ge=2, le=50)
    # A portal session ends this long after sign-in however busy it is (and after 30
    # minutes idle before that).
    session_lifetime_hours: float = Field(default=12.0, gt=0, le=24 * 30)
    # Comma-separated addresses or networks of the proxies (load balancers) in front of the
    # portal whose X-Forwarded-For is believed; none by default.
    trusted_proxies: str = ""
    # An existing Dask scheduler (``tcp://10.0.0.30:8786``) that sealing fans out to; unset,
    # sealing starts a local cluster of worker processes when the work is worth it.
    dask_address: str | None = None
    # The annual FPPT submission to NHS England's regional director is due on this day
    # (MM-DD) of the year the financial year closes. NHS England's date was not found:
    # a default to confirm (README).
    fppt_submission_deadline: str = Field(default="06-30", pattern=r"^(0[1-9]|1[0-2])-"
                                                                  r"(0[1-9]|[12]\d|3[01])$")
    # A folder every machine mounts (NFS, SMB) where ``records export-all`` writes; unset,
    # the home's ``records`` folder, which production refuses (a machine's own disk).
    export_dir: Path | None = None

    @field_validator("dask_address")
    @classmethod
    def _dask_address_is_an_address(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip()
        scheme, _, rest = value.rpartition("://")
        host, _, port = rest.rpartition(":")
        if scheme not in ("", "tcp", "tls") or not host or not port.isdigit():
            raise ValueError(
                f"APPRAISAL_DASK_ADDRESS: {value!r} is not a Dask scheduler's address "
                "(write e.g. tcp://10.0.0.30:8786)")
        return value if scheme else f"tcp://{value}"

    @field_validator("env")
    @classmethod
    def _env_is_known(cls, value: str) -> str:
        value = value.strip().lower()
        if value not in ("embedded", "development", "production"):
            raise ValueError(f"APPRAISAL_ENV: {value!r} is not one of embedded, development, "
                             "production")
        return value

    @field_validator("log_format")
    @classmethod
    def _log_format_is_known(cls, value: str) -> str:
        value = value.strip().lower()
        if value not in ("text", "json"):
            raise ValueError(f"APPRAISAL_LOG_FORMAT: {value!r} is not text or json")
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_are_addresses(cls, value: str) -> str:
        for entry in _entries(value):
            try:
                ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(
                    f"APPRAISAL_TRUSTED_PROXIES: {entry!r} is not an IP address or network "
                    "(write e.g. 10.0.0.5, 10.0.0.0/8 or fd00::/8, separated by commas)"
                ) from None
        return value

    @property
    def session_lifetime(self) -> timedelta:
        return timedelta(hours=self.session_lifetime_hours)

    @property
    def trusted_proxy_networks(self) -> tuple[IPv4Network | IPv6Network, ...]:
        return tuple(ip_network(entry, strict=False) for entry in _entries(self.trusted_proxies))

    @property
    def database(self) -> str:
        """The SQLAlchemy URL: the configured one, or SQLite in ``home``."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / 'appraisal.db').resolve()}"

    @property
    def served_hosts(self) -> list[str]:
        """The host names the portal answers: the base URL's, any ``allowed_hosts``, and the
        loopback names when the base URL is itself a loopback address (local use and the
        benchmark reach the portal on another port of the same machine)."""
        host = (urlsplit(self.base_url).hostname or "").lower()
        hosts = [host, *(h.strip().lower() for h in self.allowed_hosts.split(",") if h.strip())]
        if host in LOOPBACK_HOSTS:
            hosts += LOOPBACK_HOSTS
        return list(dict.fromkeys(h for h in hosts if h))

    @property
    def is_sqlite(self) -> bool:
        return self.database.startswith("sqlite")

    @property
    def is_development(self) -> bool:
        return self.env == "development"

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def seal_configured(self) -> bool:
        """True when the organisation's own seal is set (PKCS#12, or a key and certificate)."""
        return bool(self.seal_pkcs12 or self.seal_key or self.seal_certificate)

    @property
    def trusted_certificate_files(self) -> list[Path]:
        """The PEM files of ``seal_trusted_certificates`` (a folder's ``*.pem`` in order)."""
        files: list[Path] = []
        for entry in _entries(self.seal_trusted_certificates):
            path = Path(entry)
            files += sorted(path.glob("*.pem")) if path.is_dir() else [path]
        return files

    @property
    def outbox_dir(self) -> Path:
        return self.home / "outbox"

    @property
    def records_dir(self) -> Path:
        """Where ``records export-all`` writes by default: the shared export folder, else
        the home's ``records``."""
        return self.export_dir or self.home / "records"

    @property
    def reports_dir(self) -> Path:
        return self.home / "reports"


def _entries(listed: str) -> list[str]:
    return [entry.strip() for entry in listed.split(",") if entry.strip()]


@lru_cache(maxsize=1)
def settings() -> Settings:
    """The settings of this process (call ``settings.cache_clear()`` after changing the env)."""
    return Settings()
