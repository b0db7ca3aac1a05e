"""The one settings object: environment variables with safe defaults."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Configuration of one deployment, read from ``APPRAISAL_*`` environment variables."""

    model_config = SettingsConfigDict(env_prefix="APPRAISAL_", extra="ignore")

    home: Path = Field(default=Path(".appraisal"))
    database_url: str | None = None
    smtp_url: str | None = None
    base_url: str = "http://127.0.0.1:8000"
    env: str = "production"
    seal_pkcs12: Path | None = None
    seal_password: str | None = None
    mail_from: str = "Board appraisal <appraisal@localhost>"
    secret_key: str | None = None

    @property
    def database(self) -> str:
        """The SQLAlchemy URL: the configured one, or SQLite in ``home``."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / 'appraisal.db').resolve()}"

    @property
    def is_sqlite(self) -> bool:
        return self.database.startswith("sqlite")

    @property
    def is_development(self) -> bool:
        return self.env == "development"

    @property
    def outbox_dir(self) -> Path:
        return self.home / "outbox"

    @property
    def records_dir(self) -> Path:
        return self.home / "records"

    @property
    def reports_dir(self) -> Path:
        return self.home / "reports"


@lru_cache(maxsize=1)
def settings() -> Settings:
    """The settings of this process (call ``settings.cache_clear()`` after changing the env)."""
    return Settings()
