"""The server's tables (SQLAlchemy Core): the same schema on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

# Ids and names are short strings; free text is Text. Times are Unix milliseconds unless named *_s.
NAME = 150

counters = Table(
    "counters",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

users = Table(
    "users",
    metadata,
    Column("username", String(NAME), primary_key=True),
    Column("email", String(320), nullable=False, default=""),
    Column("password_hash", Text, nullable=False),
    Column("role", String(20), nullable=False, default="patient"),
    Column("is_admin", Boolean, nullable=False, default=False),
    Column("doctor", String(NAME)),
    Column("full_name", String(300), nullable=False, default=""),
    Column("created_at", BigInteger, nullable=False),
    Column("imported", Boolean, nullable=False, default=False),
)

# One row per user name in its compared form (server.usernames.name_key): registration cannot add
# `ALICE` or a Cyrillic look-alike beside `alice`. Imported legacy names that collide keep working.
user_name_keys = Table(
    "user_name_keys",
    metadata,
    Column("name_key", String(4 * NAME), primary_key=True),
    Column("username", String(NAME), nullable=False, unique=True),
)

tokens = Table(
    "tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("username", String(NAME), nullable=False, index=True),
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Column("revoked", Boolean, nullable=False, default=False),
)

login_failures = Table(
    "login_failures",
    metadata,
    Column("key", String(NAME + 10), primary_key=True),
    Column("count", Integer, nullable=False),
    Column("window_start", BigInteger, nullable=False),
)

# Rate limits counted before the slow work (sign-in hashes, enrollment codes); last_at drives growing delays.
attempts = Table(
    "attempts",
    metadata,
    Column("key", String(2 * NAME + 80), primary_key=True),
    Column("count", Integer, nullable=False),
    Column("window_start", BigInteger, nullable=False),
    Column("last_at", BigInteger, nullable=False),
)

otps = Table(
    "otps",
    metadata,
    Column("username", String(NAME), primary_key=True),
    Column("code_digest", String(64), nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
)

reports = Table(
    "reports",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("seq", BigInteger, nullable=False, unique=True),  # change cursor: bumped on every change
    Column("username", String(NAME), nullable=False),
    Column("doctor", String(NAME)),
    Column("timestamp", BigInteger, nullable=False),
    Column("status", String(20), nullable=False, default="pending"),
    Column("doctor_notes", Text, nullable=False, default=""),
    Column("label", String(100)),
    Column("label_key", String(100)),
    Column("confidence", Float),
    Column("probabilities", Text),  # JSON object
    Column("is_brain_mri", Boolean),
    Column("abstained", Boolean),  # the model could not judge the scan (device or server result)
    Column("model_version", String(200)),
    Column("notes", Text, nullable=False, default=""),
    Column("source", String(20), nullable=False, default="server"),  # server | device | legacy
    Column("image_hash", String(64)),
    Column("client_report_id", String(100)),
    Column("reviewed_by", String(NAME)),
    Column("reviewed_at", BigInteger),
    Column("confirmed_label", String(100)),
    Column("reject_reason", Text),
    Column("created_by", String(NAME)),
    Column("updated_at", BigInteger, nullable=False),
    UniqueConstraint("username", "client_report_id", name="uq_reports_client_id"),
    Index("ix_reports_user_seq", "username", "seq"),
    Index("ix_reports_status_seq", "status", "seq"),
)

report_audit = Table(
    "report_audit",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("report_id", String(64), nullable=False, index=True),
    Column("at", BigInteger, nullable=False),
    Column("by", String(NAME), nullable=False),
    Column("action", String(20), nullable=False),
    Column("status", String(20), nullable=False),
    Column("notes", Text, nullable=False, default=""),
    Column("label", String(100)),
)

# Reviews applied with a client key: a review resent after a lost answer is recognised and changes
# nothing. Its own table, so servers created before it get it from `create_all` with no migration.
report_review_keys = Table(
    "report_review_keys",
    metadata,
    Column("report_id", String(64), primary_key=True),
    Column("client_review_id", String(100), primary_key=True),
    Column("at", BigInteger, nullable=False),
)

messages = Table(
    "messages",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("seq", BigInteger, nullable=False, unique=True),
    Column("pair", String(2 * NAME + 10), nullable=False),  # the two names, sorted: one index per conversation
    Column("sender", String(NAME), nullable=False),
    Column("receiver", String(NAME), nullable=False),
    Column("message", Text, nullable=False),
    Column("timestamp", Float, nullable=False),  # Unix seconds, as on the wire
    Column("client_message_id", String(100)),
    # The message's wire JSON, written once (a message never changes), so a whole-conversation poll
    # reads finished text. NULL in rows stored before the column existed: those are built on read.
    Column("wire", Text),
    UniqueConstraint("sender", "client_message_id", name="uq_messages_client_id"),
    Index("ix_messages_pair_seq", "pair", "seq"),
    Index("ix_messages_sender_seq", "sender", "seq"),
    Index("ix_messages_receiver_seq", "receiver", "seq"),
)

fl_updates = Table(
    "fl_updates",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("round", Integer, nullable=False),
    Column("username", String(NAME), nullable=False),
    Column("client_id", String(NAME), nullable=False),
    Column("client_update_id", String(100)),
    Column("num_examples", Integer, nullable=False, default=0),
    Column("base_version", String(200)),
    Column("blob_hash", String(64), nullable=False),
    Column("meta", Text, nullable=False, default="{}"),
    Column("legacy", Boolean, nullable=False, default=False),
    Column("created_at", BigInteger, nullable=False),
    UniqueConstraint("round", "client_id", name="uq_fl_updates_round_client"),
    UniqueConstraint("username", "client_update_id", name="uq_fl_updates_client_update"),
)

fl_versions = Table(
    "fl_versions",
    metadata,
    Column("version", String(200), primary_key=True),
    Column("round", Integer, nullable=False, unique=True),
    Column("blob_hash", String(64), nullable=False),
    Column("checksum", String(64), nullable=False),
    Column("contributors", Integer, nullable=False, default=0),
    Column("total_examples", Integer, nullable=False, default=0),
    Column("strategy", String(40), nullable=False, default=""),
    Column("params", Text, nullable=False, default="{}"),
    Column("created_by", String(NAME)),
    Column("created_at", BigInteger, nullable=False),
)
