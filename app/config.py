"""All settings in one place. Nothing else reads the environment."""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field, IPvAnyNetwork
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="HOMEWARD_", env_file=".env", extra="ignore", frozen=True
    )

    database_url: str = Field(
        default=f"sqlite:///{PROJECT_ROOT / 'var' / 'homeward.db'}",
        validation_alias=AliasChoices("DATABASE_URL", "HOMEWARD_DATABASE_URL"),
    )
    var_dir: Path = PROJECT_ROOT / "var"
    # Unicode CLDR's localised region (ISO 3166-2 subdivision) names, one <lang>.xml per
    # language, from the Debian package unicode-cldr-core (installed by `make system-deps`
    # and the Dockerfile). Where a file or a name is missing, pycountry's names are used.
    cldr_subdivisions_dir: Path = Path("/usr/share/unicode/cldr/common/subdivisions")
    # Signs session cookies and CSRF tokens. When unset, one is generated once and kept
    # in var/secret_key so restarts keep users signed in.
    secret_key: str | None = None
    # Browser sessions (app/web) expire after this many hours.
    web_session_hours: int = 12
    base_url: str = "http://127.0.0.1:8000"

    # SQLite: connections the server keeps open, and no more. Readers share one file on a few
    # cores; more connections add only contention and a page cache each (RSS that grows with
    # the directory). PostgreSQL keeps SQLAlchemy's default pool.
    sqlite_pool_size: int = 4
    # SQLite: a write waits this long for the write lock, then the request gets 503 with
    # Retry-After (the database is overloaded, not broken).
    sqlite_busy_timeout_seconds: float = 30.0

    # A key that authenticated is trusted this many seconds without a database lookup.
    # Revocation is immediate in the process that revokes; other server processes notice
    # within this time. 0 looks every request up.
    auth_cache_seconds: float = 5.0
    # Wrong keys (API or sign-in page) from one client address: past this many within the
    # window, 429 until the window ends. Counted per server process, in memory.
    auth_failure_limit: int = 10
    auth_failure_window_seconds: float = 300.0

    # Request limits
    max_body_bytes: int = 256 * 1024
    max_per_page: int = 200

    # Freshness policy (Recommendation 43: review periodically)
    verification_interval_days: int = 180
    verification_interval_by_category: dict[str, int] = Field(default_factory=dict)
    due_window_days: int = 30
    stale_grace_days: int = 60

    # Review queue
    submission_rate_limit: int = 30
    submission_rate_window_seconds: int = 3600
    max_submission_bytes: int = 64 * 1024

    # Scheduler
    scheduler_open_tasks_cron: str = "7 * * * *"
    scheduler_checks_cron: str = "30 2 * * *"
    scheduler_escalate_cron: str = "0 5 * * *"
    checks_max_age_days: int = 7
    task_claim_hours: int = 4
    # A standby scheduler retries the leader lock this often; the leader beats this often.
    scheduler_poll_seconds: float = 5.0
    scheduler_heartbeat_seconds: float = 10.0
    # Sweeps commit every batch, so a killed job loses at most one batch of work.
    scheduler_batch_size: int = 500
    # Pause between batches to leave the database to web traffic (0 = none).
    scheduler_batch_pause_seconds: float = 0.0
    no_answer_attempts_to_escalate: int = 3

    # Website checks
    web_check_timeout_seconds: float = 10.0
    web_check_concurrency: int = 100
    web_check_per_host: int = 4
    web_check_per_host_delay_seconds: float = 0.0
    web_check_max_redirects: int = 5
    # Networks website checks may connect to besides public addresses (a JSON list, e.g.
    # '["10.20.0.0/16"]'). Empty: public addresses only; loopback, private, link-local and
    # the like are refused, so partner-supplied URLs cannot probe the service's network.
    web_check_allowed_networks: list[IPvAnyNetwork] = Field(default_factory=list)

    # Sheets
    sheet_cache_size: int = 256
    sheet_blocklist_extra: list[str] = Field(default_factory=list)

    # Outreach (app/outreach): update requests by email. Off while smtp_host is unset.
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = True
    smtp_timeout_seconds: float = 30.0
    # Connections a run sends over at once (each waits for the server after every command).
    smtp_connections: int = 8
    mail_from: str = "Homeward <homeward@localhost>"
    # An update request's link works this many days; a reminder goes after
    # outreach_reminder_days without an answer, and the call worklist takes over after as
    # many days again.
    outreach_link_days: int = 30
    outreach_reminder_days: int = 7
    # A mail found still `sending` after this long was interrupted mid-handover: it counts as
    # sent (see app/outreach/delivery.py), never sent again.
    outreach_sending_timeout_minutes: int = 15
    # A request the SMTP server deferred (4xx, server down) is retried after this long.
    outreach_retry_minutes: int = 30
    scheduler_outreach_cron: str = "20 * * * *"

    # Feeds (app/interop/feeds.py): other directories' ORAPIs pulled into the review queue.
    scheduler_feeds_cron: str = "*/15 * * * *"
    # Each request's connect/read timeout, and the most a page's body may hold.
    feed_timeout_seconds: float = 30.0
    feed_max_page_bytes: int = 32 * 1024 * 1024
    feed_page_size: int = 200
    # A pull stops (and counts as failed) after this long, so the job's time is bounded.
    feed_pull_max_seconds: float = 900.0
    # After a failed pull, the next waits this long, doubled each failure up to the most.
    feed_retry_seconds: float = 300.0
    feed_retry_max_seconds: float = 6 * 3600.0

    def interval_days_for(self, category: str) -> int:
        return self.verification_interval_by_category.get(category, self.verification_interval_days)

    @property
    def outreach_enabled(self) -> bool:
        return bool(self.smtp_host)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def resolved_secret_key(self) -> str:
        if self.secret_key:
            return self.secret_key
        path = self.var_dir / "secret_key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip()


@lru_cache
def get_settings() -> Settings:
    return Settings()
