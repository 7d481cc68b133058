"""SQLAlchemy 2 models. Table `errorlog` keeps the name existing deployments have."""

from __future__ import annotations

import json
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Computed,
    Date,
    DateTime,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from shared.core.limits import SEARCH_TEXT_CHARS

# The expression behind errorlog.search_text; both databases evaluate it the same way for
# ASCII (SQLite's lower() folds only ASCII, as its LIKE did before).
SEARCH_TEXT_SQL = f"lower(error_type || ' ' || coalesce(substr(error_message, 1, {SEARCH_TEXT_CHARS}), ''))"


class JsonText(TypeDecorator):
    """JSON kept in a TEXT column.

    Pre-extension databases stored stack traces and context as plain text; reading one
    that is not JSON gives the text back instead of failing the whole request.
    """

    impl = Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    def process_result_value(self, value, dialect):
        if value is None or not isinstance(value, str):
            return value
        try:
            return json.loads(value)
        except ValueError:
            return value


class Base(DeclarativeBase):
    pass


class SchemaMeta(Base):
    __tablename__ = "logcenter_meta"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))


class ErrorLog(Base):
    """One deduplicated bug; the latest report's details overwrite the previous ones."""

    __tablename__ = "errorlog"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project_id: Mapped[str] = mapped_column(String(64), index=True)
    source: Mapped[str] = mapped_column(String(20), default="runtime", server_default="runtime", index=True)
    level: Mapped[str] = mapped_column(String(10), default="ERROR", server_default="ERROR")
    environment: Mapped[str | None] = mapped_column(String(64))
    version: Mapped[str | None] = mapped_column(String(64))
    commit_hash: Mapped[str | None] = mapped_column(String(64))
    error_type: Mapped[str] = mapped_column(String(255))
    error_message: Mapped[str | None] = mapped_column(Text)
    file_path: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    line_number: Mapped[int | None] = mapped_column(Integer, nullable=True)
    stack_trace: Mapped[object | None] = mapped_column(JsonText)
    context: Mapped[dict | None] = mapped_column(JsonText)
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="NEW", server_default="NEW", index=True)
    occurrence_count: Mapped[int] = mapped_column(BigInteger, default=1, server_default="1")
    is_regression: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    # Client-supplied time of the latest report (server times below are authoritative).
    reported_at: Mapped[datetime | None] = mapped_column(DateTime)
    first_seen_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_seen_at: Mapped[datetime | None] = mapped_column(DateTime)
    # pod|restart_count|reason of the latest deployment report: the same crash seen by the
    # next scan carries the same key and must not add to the count.
    scan_key: Mapped[str | None] = mapped_column(String(400))
    # What the latest report did (created/counted/rescan/reopened); the upsert's RETURNING
    # tells the caller this without a second query.
    last_ingest: Mapped[str | None] = mapped_column(String(16))
    reopened_from: Mapped[str | None] = mapped_column(String(20))
    # The version of the bug's first report; never changed afterwards (releases).
    first_version: Mapped[str | None] = mapped_column(String(64))
    # What `q` searches: type and message folded to lower case once, when the row is
    # written, so a search is a case-sensitive LIKE over one column (one trigram index, no
    # OR of two index scans) instead of ILIKE lower-casing two columns per row it reads —
    # at a million bugs that per-row folding was most of a search's time (docs/benchmarks.md).
    # Only the first SEARCH_TEXT_CHARS of a message are searchable. Never loaded by the ORM.
    search_text: Mapped[str | None] = mapped_column(Text, Computed(SEARCH_TEXT_SQL, persisted=True), deferred=True)

    # Each sort order of the bug list has an index ending in id, so a page is an index
    # scan and a deep page an index-only one (shared/bugs/queries.py pages by id first).
    __table_args__ = (
        Index("ix_errorlog_project_source_status", "project_id", "source", "status"),
        Index("ix_errorlog_status_first_seen", "status", "first_seen_at"),
        Index("ix_errorlog_last_seen_id", "last_seen_at", "id"),
        Index("ix_errorlog_first_seen_id", "first_seen_at", "id"),
        Index("ix_errorlog_occurrences_id", "occurrence_count", "id"),
    )


class StatusHistory(Base):
    """Every status change, automatic ones included."""

    __tablename__ = "errorlog_status_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    bug_id: Mapped[int] = mapped_column(Integer, index=True)
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime)


class BugCounts(Base):
    """Bugs and occurrences per project/source/status/level, kept in step with `errorlog`
    in the same transaction as every write. Totals, distributions and the projects list
    read these few rows instead of counting a million bugs. Split over COUNTER_BUCKETS rows
    by fingerprint, like the day counters, so concurrent reports rarely share a row."""

    __tablename__ = "errorlog_counts"

    project_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    source: Mapped[str] = mapped_column(String(20), primary_key=True)
    status: Mapped[str] = mapped_column(String(20), primary_key=True)
    level: Mapped[str] = mapped_column(String(10), primary_key=True)
    bucket: Mapped[int] = mapped_column(Integer, primary_key=True)
    bugs: Mapped[int] = mapped_column(BigInteger, default=0)
    occurrences: Mapped[int] = mapped_column(BigInteger, default=0)
    last_seen_at: Mapped[datetime | None] = mapped_column(DateTime)


class DailyOccurrences(Base):
    """Occurrences per local day (LOGCENTER_TIMEZONE at ingest), project and source: the trend.

    Each day/project/source is split over COUNTER_BUCKETS rows (by fingerprint) so that
    concurrent reports of different bugs do not all wait on one row lock; readers sum them.
    """

    __tablename__ = "errorlog_daily"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    project_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    source: Mapped[str] = mapped_column(String(20), primary_key=True)
    bucket: Mapped[int] = mapped_column(Integer, primary_key=True, default=0)
    count: Mapped[int] = mapped_column(BigInteger, default=0)


# SQLite gives automatic ids only to an INTEGER PRIMARY KEY; PostgreSQL gets a BIGINT there.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Project(Base):
    """A project registered for Sentry SDKs: `id` is the number in its DSN, `public_key` the
    DSN's key. Reports never need one: the native route takes any valid project_id."""

    __tablename__ = "project"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project_id: Mapped[str] = mapped_column(String(64), unique=True)
    public_key: Mapped[str] = mapped_column(String(32))
    repository: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    key_rotated_at: Mapped[datetime | None] = mapped_column(DateTime)


class Occurrence(Base):
    """One counted report of a bug, as it was sent. `seq` is the bug's occurrence_count when it
    was written: the newest LOGCENTER_OCCURRENCES_PER_BUG are those with the highest seq, and
    ingest drops the one that falls off by (bug_id, seq) in the same transaction."""

    __tablename__ = "occurrence"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    bug_id: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    level: Mapped[str | None] = mapped_column(String(10))
    message: Mapped[str | None] = mapped_column(Text)
    environment: Mapped[str | None] = mapped_column(String(64))
    version: Mapped[str | None] = mapped_column(String(64))
    commit_hash: Mapped[str | None] = mapped_column(String(64))
    reported_at: Mapped[datetime | None] = mapped_column(DateTime)
    context: Mapped[dict | None] = mapped_column(JsonText)
    stack_trace: Mapped[object | None] = mapped_column(JsonText)
    event_id: Mapped[str | None] = mapped_column(String(32))

    __table_args__ = (
        UniqueConstraint("bug_id", "seq", name="uq_occurrence_bug_seq"),
        Index("ix_occurrence_created_at", "created_at"),
    )


class IngestEvent(Base):
    """An event_id accepted for a project: a client's retry of it within 24 h is answered
    without counting again. Holds the fingerprint (known before the upsert) to find the bug."""

    __tablename__ = "ingest_event"

    project_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime, index=True)


class RetentionRun(Base):
    """What each retention run removed (the dashboard shows the last one); the newest 50 kept."""

    __tablename__ = "retention_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    started_at: Mapped[datetime] = mapped_column(DateTime)
    finished_at: Mapped[datetime] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(16))
    result: Mapped[str] = mapped_column(Text)



class AlertRule(Base):
    """An alert rule (DESIGN.md "Alerts"): which reports it is for, what triggers it and the
    one channel it speaks to. `channel_key` names the channel (type and URL) for the
    per-channel rate limit; `version` grows with every change (the report's rule cache)."""

    __tablename__ = "alert_rule"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    project_id: Mapped[str | None] = mapped_column(String(64))
    sources: Mapped[str] = mapped_column(String(64))  # comma list
    min_level: Mapped[str] = mapped_column(String(10))
    on_new_bug: Mapped[bool] = mapped_column(Boolean)
    on_regression: Mapped[bool] = mapped_column(Boolean)
    spike_count: Mapped[int | None] = mapped_column(Integer)
    spike_minutes: Mapped[int | None] = mapped_column(Integer)
    channel_type: Mapped[str] = mapped_column(String(16))
    channel_url: Mapped[str] = mapped_column(Text)
    channel_secret: Mapped[str | None] = mapped_column(Text)
    channel_key: Mapped[str] = mapped_column(String(32), index=True)
    throttle_minutes: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class AlertDelivery(Base):
    """The outbox: one message for one rule's channel, written in the report's transaction
    and delivered by `notify`. status: pending (due at `due_at`), sending (claimed until
    `claimed_until`: a crashed claim is taken again after the lease), sent, failed, folded
    (went out inside the digest `digest_id`)."""

    __tablename__ = "alert_delivery"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    rule_id: Mapped[int] = mapped_column(Integer, index=True)
    bug_id: Mapped[int | None] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))  # the trigger: new_bug, regression, spike, digest, test
    detail: Mapped[dict | None] = mapped_column(JsonText)
    status: Mapped[str] = mapped_column(String(16))
    tries: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    due_at: Mapped[datetime] = mapped_column(DateTime)
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime)
    attempted_at: Mapped[datetime | None] = mapped_column(DateTime)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    response: Mapped[str | None] = mapped_column(Text)
    digest_id: Mapped[int | None] = mapped_column(BigInteger)

    __table_args__ = (Index("ix_alert_delivery_status_due", "status", "due_at"),)


class AlertThrottle(Base):
    """When a (rule, bug, trigger) last produced a message: the next one waits for the
    rule's throttle_minutes. One atomic upsert decides, so concurrent reports send once."""

    __tablename__ = "alert_throttle"

    rule_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bug_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    last_at: Mapped[datetime] = mapped_column(DateTime, index=True)


class AlertSpikeCounter(Base):
    """Reports of one bug per window of `seconds` (shared by every spike rule with that
    window): the current window's count and the previous one's, which together estimate
    the count in the sliding `minutes` before any report (shared/alerts/outbox.py)."""

    __tablename__ = "alert_spike"

    bug_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seconds: Mapped[int] = mapped_column(Integer, primary_key=True)
    win: Mapped[int] = mapped_column(BigInteger)  # the window number: epoch seconds // seconds
    count: Mapped[int] = mapped_column(BigInteger)
    previous: Mapped[int] = mapped_column(BigInteger)
class Release(Base):
    """A release: (project_id, version) — the version apps send, a CI run's commit or a
    deployed image tag (shared/releases). `sha_key` is the first 7 characters of its commit
    (or of its version when the version is a sha): every sha of one commit shares it, so a
    prefix lookup is an index lookup. The counters are kept by ingest in the report's own
    transaction, so the list never counts bugs."""

    __tablename__ = "release"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[str] = mapped_column(String(64))
    commit_sha: Mapped[str | None] = mapped_column(String(64))
    sha_key: Mapped[str | None] = mapped_column(String(7))
    first_seen_at: Mapped[datetime] = mapped_column(DateTime)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime)
    cicd_failures: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    deployment_errors: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    new_runtime_bugs: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    regressions: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    deploys: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")

    __table_args__ = (
        UniqueConstraint("project_id", "version", name="uq_release_project_version"),
        Index("ix_release_project_first_seen", "project_id", "first_seen_at", "id"),
        Index("ix_release_first_seen", "first_seen_at", "id"),
        Index("ix_release_project_sha_key", "project_id", "sha_key"),
    )


class ReleaseEnvironment(Base):
    """A release as one environment saw it: its deploys there and the deployment errors, new
    runtime bugs and regressions reported from there. CI failures have no environment (a
    build happens once per commit) and are counted on the release only."""

    __tablename__ = "release_environment"

    release_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    environment: Mapped[str] = mapped_column(String(64), primary_key=True)
    project_id: Mapped[str] = mapped_column(String(64))
    first_seen_at: Mapped[datetime] = mapped_column(DateTime)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime)
    deployment_errors: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    new_runtime_bugs: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    regressions: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    deploys: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")

    __table_args__ = (
        Index("ix_release_env_project_first_seen", "project_id", "environment", "first_seen_at", "release_id"),
        Index("ix_release_env_first_seen", "environment", "first_seen_at", "release_id"),
    )


class ReleaseBug(Base):
    """A bug counted in a release, once per kind and environment: `cicd_failure`,
    `deployment_error`, `new_runtime_bug` or `regression` (shared/releases/track.py says
    which report counts where). The release page's lists read these rows, not errorlog."""

    __tablename__ = "release_bug"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    release_id: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    environment: Mapped[str] = mapped_column(String(64))
    bug_id: Mapped[int] = mapped_column(Integer, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)

    __table_args__ = (
        UniqueConstraint("release_id", "kind", "environment", "bug_id", name="uq_release_bug"),
    )


class Deploy(Base):
    """One deploy of a release to an environment (POST /api/v1/deploys). `deployed_at` is
    when it finished (else started, else when it was received): a bug's suspect deploy is
    the last one of its project and environment at or before the bug was first seen."""

    __tablename__ = "deploy"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project_id: Mapped[str] = mapped_column(String(64))
    environment: Mapped[str] = mapped_column(String(64))
    release_id: Mapped[int] = mapped_column(Integer)
    # As sent (the release's own version may differ: an image tag `9f2c1e0` of release 1.4.2).
    version: Mapped[str | None] = mapped_column(String(64))
    commit_sha: Mapped[str | None] = mapped_column(String(64))
    url: Mapped[str | None] = mapped_column(String(1024))
    actor: Mapped[str | None] = mapped_column(String(128))
    started_at: Mapped[datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    deployed_at: Mapped[datetime] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    # The client's id of this deploy (32 hex, like a report's): a retry is recorded once.
    event_id: Mapped[str | None] = mapped_column(String(32))

    __table_args__ = (
        UniqueConstraint("project_id", "event_id", name="uq_deploy_event"),
        Index("ix_deploy_project_env_at", "project_id", "environment", "deployed_at"),
        Index("ix_deploy_release_at", "release_id", "deployed_at"),
    )
