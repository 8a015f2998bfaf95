"""The server's storage interface, implemented once with SQLAlchemy Core for SQLite and PostgreSQL."""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, create_engine, event, func, insert, inspect, or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError
from sqlalchemy.sql import Select

from server.storage import schema as t
from server.storage import wire
from server.usernames import name_key

log = logging.getLogger(__name__)

Row = dict[str, Any]
_COUNTERS = ("reports", "messages")


def conversation_key(user1: str, user2: str) -> str:
    """One key per conversation whatever the order of the two names."""
    return json.dumps(sorted([user1, user2]), ensure_ascii=False)


@dataclass(frozen=True)
class AttemptCount:
    """Attempts on one rate-limit key inside its current window."""

    count: int = 0
    window_start: int = 0
    last_at: int = 0


class DuplicateError(Exception):
    """A uniqueness rule refused the write (the caller decides what that means)."""


class Storage:
    """Everything the routes read and write; one instance per app, safe across threads."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.is_sqlite = engine.dialect.name == "sqlite"
        # Reads are single statements: on PostgreSQL, autocommit spares the BEGIN and ROLLBACK round
        # trips; on SQLite, the "begin" hook skips BEGIN for them.
        self._read_options = {"tp_read": True} if self.is_sqlite else {"tp_read": True, "isolation_level": "AUTOCOMMIT"}
        self._token_owner_sql = (
            "SELECT t.token_hash, t.expires_at, t.revoked, u.username, u.role, u.is_admin FROM tokens t "
            "JOIN users u ON u.username = t.username WHERE t.token_hash = " + ("?" if self.is_sqlite else "%s"))
        self._request_conn: ContextVar[list[Connection] | None] = ContextVar(f"storage_{id(self)}", default=None)

    # ---- lifecycle ------------------------------------------------------------------------

    @classmethod
    def open(cls, url: str) -> Storage:
        """Connects to `url` and creates any missing table (safe when several workers start at once)."""
        engine = _make_engine(url)
        storage = cls(engine)
        storage._create_schema()
        storage._key_existing_names()
        return storage

    def close(self) -> None:
        self.engine.dispose()

    def _create_schema(self) -> None:
        for attempt in range(5):
            try:
                with self._write() as conn:
                    t.metadata.create_all(conn)
                    _add_missing_columns(conn)
                    existing = set(conn.scalars(select(t.counters.c.name)))
                    for name in _COUNTERS:
                        if name not in existing:
                            conn.execute(insert(t.counters).values(name=name, value=0))
                return
            except (IntegrityError, OperationalError, ProgrammingError) as exc:
                # Another worker created the same table or counter a moment earlier: look again.
                log.info("schema creation raced another process (%s); retrying", type(exc).__name__)
                time.sleep(0.2 * (attempt + 1))
        with self._write() as conn:
            t.metadata.create_all(conn)

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        """A write transaction; on SQLite it takes the write lock up front (BEGIN IMMEDIATE)."""
        with self.engine.connect() as conn:
            conn.execution_options(tp_write=True)
            with conn.begin():
                yield conn

    def begin_request(self) -> None:
        """From now until `end_request`, reads in this thread share one connection (fewer pool round trips)."""
        self._request_conn.set([])

    def end_request(self) -> None:
        holder = self._request_conn.get()
        self._request_conn.set(None)
        if holder:
            holder[0].close()

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        holder = self._request_conn.get()
        if holder is None:
            with self.engine.connect() as conn:
                conn.execution_options(**self._read_options)
                yield conn
            return
        if not holder:
            holder.append(self.engine.connect().execution_options(**self._read_options))
        try:
            yield holder[0]
        except BaseException:
            holder[0].rollback()  # a failed statement must not poison the request's later reads
            raise
        # No commit between reads: under READ COMMITTED (PostgreSQL) and in autocommit (SQLite)
        # every statement already sees the latest commits; the request's end closes the connection.

    def _next_seq(self, conn: Connection, counter: str, count: int = 1) -> int:
        """Takes `count` numbers of the counter; returns the last (the first is last - count + 1)."""
        # The row lock held until commit orders every writer: a cursor never skips a late commit.
        conn.execute(
            update(t.counters).where(t.counters.c.name == counter).values(value=t.counters.c.value + count)
        )
        return int(conn.scalar(select(t.counters.c.value).where(t.counters.c.name == counter)))

    # ---- users ----------------------------------------------------------------------------

    def create_user(self, record: Row, *, unique_name: bool = False) -> None:
        """Raises DuplicateError when the user name is taken; with `unique_name`, also when a name that
        reads the same (case, width, look-alike letters) is."""
        try:
            with self._write() as conn:
                conn.execute(insert(t.users).values(**record))
                if unique_name:
                    conn.execute(insert(t.user_name_keys).values(name_key=name_key(record["username"]),
                                                                 username=record["username"]))
        except IntegrityError as exc:
            raise DuplicateError(record["username"]) from exc

    def _key_existing_names(self) -> None:
        """Users from before the name rule (or imported) get their compared form where it is still free."""
        for attempt in range(5):
            try:
                with self._write() as conn:
                    keyed = select(t.user_name_keys.c.username)
                    missing = list(conn.scalars(select(t.users.c.username).where(t.users.c.username.not_in(keyed))))
                    taken = set(conn.scalars(select(t.user_name_keys.c.name_key)))
                    for username in missing:
                        key = name_key(username)
                        if key not in taken:
                            conn.execute(insert(t.user_name_keys).values(name_key=key, username=username))
                            taken.add(key)
                return
            except IntegrityError:  # another worker starting at the same moment keyed them first: look again
                time.sleep(0.2 * (attempt + 1))

    def _first_row(self, query: Select) -> Row | None:
        """The query's first row as a dict, or None."""
        with self._read() as conn:
            row = conn.execute(query).first()
        return dict(row._mapping) if row else None

    def get_user(self, username: str) -> Row | None:
        return self._first_row(select(t.users).where(t.users.c.username == username))

    def update_user(self, username: str, **changes: Any) -> bool:
        with self._write() as conn:
            result = conn.execute(update(t.users).where(t.users.c.username == username).values(**changes))
        return result.rowcount > 0

    def list_users(self, role: str | None = None) -> list[Row]:
        query = select(t.users).order_by(t.users.c.username)
        if role:
            query = query.where(t.users.c.role == role)
        with self._read() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    # ---- tokens ---------------------------------------------------------------------------

    def add_token(self, token_hash: str, username: str, created_at: int, expires_at: int) -> None:
        with self._write() as conn:
            conn.execute(
                insert(t.tokens).values(
                    token_hash=token_hash, username=username, created_at=created_at,
                    expires_at=expires_at, revoked=False,
                )
            )

    def get_token(self, token_hash: str) -> Row | None:
        return self._first_row(select(t.tokens).where(t.tokens.c.token_hash == token_hash))

    def token_owner(self, token_hash: str) -> Row | None:
        """The token row joined with its user (one query per authenticated request); None if unknown."""
        # Plain SQL on the driver's cursor: every request pays for this lookup, and building and
        # compiling the statement cost more than running it.
        rows = self._raw_rows(self._token_owner_sql, [token_hash])
        if not rows:
            return None
        token, expires_at, revoked, username, role, is_admin = rows[0]
        return {"token_hash": token, "expires_at": expires_at, "revoked": bool(revoked), "username": username,
                "role": role, "is_admin": bool(is_admin)}

    def revoke_token(self, token_hash: str) -> None:
        with self._write() as conn:
            conn.execute(update(t.tokens).where(t.tokens.c.token_hash == token_hash).values(revoked=True))

    def revoke_user_tokens(self, username: str) -> None:
        with self._write() as conn:
            conn.execute(update(t.tokens).where(t.tokens.c.username == username).values(revoked=True))

    # ---- failed sign-ins ------------------------------------------------------------------

    def failure_counts(self, keys: list[str], now: int, window_ms: int) -> dict[str, int]:
        """Failures per key inside the current window (expired windows count as zero)."""
        with self._read() as conn:
            rows = conn.execute(select(t.login_failures).where(t.login_failures.c.key.in_(keys)))
            return {r.key: r.count for r in rows if r.window_start + window_ms > now}

    def record_failure(self, keys: list[str], now: int, window_ms: int) -> None:
        with self._write() as conn:
            for key in keys:
                row = conn.execute(select(t.login_failures).where(t.login_failures.c.key == key)).first()
                if row is None:
                    conn.execute(insert(t.login_failures).values(key=key, count=1, window_start=now))
                elif row.window_start + window_ms <= now:
                    conn.execute(
                        update(t.login_failures).where(t.login_failures.c.key == key)
                        .values(count=1, window_start=now)
                    )
                else:
                    conn.execute(
                        update(t.login_failures).where(t.login_failures.c.key == key)
                        .values(count=t.login_failures.c.count + 1)
                    )

    # ---- rate-limited attempts ------------------------------------------------------------

    def take_attempt(self, keys: list[str], now: int, window_ms: int,
                     allowed: Callable[[dict[str, AttemptCount]], bool]) -> tuple[bool, dict[str, AttemptCount]]:
        """Counts one attempt on every key if `allowed(the counts so far)` says yes, in one locked transaction.

        Deciding and counting together means concurrent attempts cannot all pass the check first.
        Returns (allowed, the counts it decided on); windows older than `window_ms` count as empty.
        """
        for attempt in range(5):
            try:
                with self._write() as conn:
                    rows = conn.execute(select(t.attempts).where(t.attempts.c.key.in_(keys)).with_for_update())
                    seen = {k: AttemptCount() for k in keys}
                    locked = set()
                    for r in rows:
                        locked.add(r.key)
                        if r.window_start + window_ms > now:
                            seen[r.key] = AttemptCount(r.count, r.window_start, r.last_at)
                    if not allowed(seen):
                        return False, seen
                    for key, current in seen.items():
                        values = {"count": current.count + 1, "window_start": current.window_start or now,
                                  "last_at": now}
                        if key in locked:
                            conn.execute(update(t.attempts).where(t.attempts.c.key == key).values(**values))
                        else:  # a row nobody had: if another worker adds it first, this insert fails
                            conn.execute(insert(t.attempts).values(key=key, **values))
                    return True, seen
            except IntegrityError:  # another worker inserted the same new key first: decide again
                time.sleep(0.01 * (attempt + 1))
        raise OperationalError("take_attempt", {}, Exception("rate-limit rows kept changing"))

    def give_back_attempt(self, keys: list[str]) -> None:
        """Uncounts one attempt on each key (a sign-in that succeeded is not an attempt against anyone)."""
        with self._write() as conn:
            conn.execute(update(t.attempts).where(t.attempts.c.key.in_(keys), t.attempts.c.count > 0)
                         .values(count=t.attempts.c.count - 1))

    def clear_attempts(self, keys: list[str]) -> None:
        with self._write() as conn:
            conn.execute(t.attempts.delete().where(t.attempts.c.key.in_(keys)))

    # ---- one-time codes -------------------------------------------------------------------

    def put_otp(self, username: str, code_digest: str, expires_at: int) -> None:
        with self._write() as conn:
            conn.execute(t.otps.delete().where(t.otps.c.username == username))
            conn.execute(
                insert(t.otps).values(username=username, code_digest=code_digest, expires_at=expires_at, attempts=0)
            )

    def take_otp_attempt(self, username: str) -> Row | None:
        """The stored code after counting one more attempt against it (None: no code).

        The increment comes first: it locks the row, so concurrent attempts each read their own count
        (reading first let two attempts both see the same count on PostgreSQL).
        """
        with self._write() as conn:
            counted = conn.execute(
                update(t.otps).where(t.otps.c.username == username).values(attempts=t.otps.c.attempts + 1)
            )
            if counted.rowcount == 0:
                return None
            row = conn.execute(select(t.otps).where(t.otps.c.username == username)).first()
            return dict(row._mapping)

    def delete_otp(self, username: str) -> None:
        with self._write() as conn:
            conn.execute(t.otps.delete().where(t.otps.c.username == username))

    # ---- reports --------------------------------------------------------------------------

    def create_report(self, record: Row, audit: Row) -> tuple[Row, bool]:
        """Stores a new report; with a client id already used by that user, the first one, False."""
        client_id = record.get("client_report_id")
        if client_id:
            existing = self.report_by_client_id(record["username"], client_id)
            if existing:
                return existing, False
        try:
            with self._write() as conn:
                seq = self._next_seq(conn, "reports")
                conn.execute(insert(t.reports).values(**record, seq=seq))
                conn.execute(insert(t.report_audit).values(**audit, report_id=record["id"]))
        except IntegrityError:
            existing = self.report_by_client_id(record["username"], client_id) if client_id else None
            if existing:  # the same retry raced us into the database
                return existing, False
            raise
        return self.get_report(record["id"]), True

    def report_by_client_id(self, username: str, client_id: str) -> Row | None:
        return self._first_row(
            select(t.reports).where(
                t.reports.c.username == username, t.reports.c.client_report_id == client_id
            )
        )

    def get_report(self, report_id: str) -> Row | None:
        return self._first_row(select(t.reports).where(t.reports.c.id == report_id))

    def list_reports(
        self, *, username: str | None = None, status: str | None = None,
        since: int | None = None, limit: int | None = None,
    ) -> list[Row]:
        query = select(t.reports).order_by(t.reports.c.seq)
        if username is not None:
            query = query.where(t.reports.c.username == username)
        if status is not None:
            query = query.where(t.reports.c.status == status)
        if since is not None:
            query = query.where(t.reports.c.seq > since)
        if limit:
            query = query.limit(limit)
        with self._read() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    def reports_wire(
        self, *, username: str | None = None, status: str | None = None,
        since: int | None = None, limit: int | None = None,
    ) -> wire.WirePage:
        """What `list_reports` selects, as wire JSON written by the database (for whole-list polls)."""
        params = [p for p in (username, status, since, limit) if p is not None]
        sql = wire.reports_query(self.engine.dialect.name, username=username is not None, status=status is not None,
                                 since=since is not None, limit=limit is not None)
        return wire.page(self._raw_rows(sql, params), self.engine.dialect.name, "reports")

    def _raw_rows(self, sql: str, params: list[Any]) -> list[tuple]:
        """Runs SQL on the driver's own cursor: plain tuples, none of SQLAlchemy's per-row work."""
        with self._read() as conn:
            cursor = conn.connection.cursor()
            try:
                cursor.execute(sql, params)
                return cursor.fetchall()
            finally:
                cursor.close()

    def update_report(
        self, report_id: str, changes: Row, audit: Row, *, client_review_id: str | None = None
    ) -> tuple[Row | None, bool]:
        """Applies `changes`, bumps the report's cursor and appends `audit`; (None, False) if there is
        no such report. A `client_review_id` already applied to this report changes nothing and
        returns (the report as it is, False)."""
        applied = True
        try:
            with self._write() as conn:
                if conn.scalar(select(func.count()).where(t.reports.c.id == report_id)) == 0:
                    return None, False
                if client_review_id and self._review_applied(conn, report_id, client_review_id):
                    applied = False
                else:
                    if client_review_id:
                        conn.execute(insert(t.report_review_keys).values(
                            report_id=report_id, client_review_id=client_review_id, at=audit["at"]))
                    seq = self._next_seq(conn, "reports")
                    conn.execute(update(t.reports).where(t.reports.c.id == report_id).values(**changes, seq=seq))
                    conn.execute(insert(t.report_audit).values(**audit, report_id=report_id))
        except IntegrityError:
            if not client_review_id:
                raise
            applied = False  # the same resend raced us into the database
        return self.get_report(report_id), applied

    @staticmethod
    def _review_applied(conn: Connection, report_id: str, client_review_id: str) -> bool:
        return conn.scalar(select(func.count()).where(
            t.report_review_keys.c.report_id == report_id,
            t.report_review_keys.c.client_review_id == client_review_id,
        )) > 0

    def report_audit(self, report_id: str) -> list[Row]:
        query = (
            select(t.report_audit).where(t.report_audit.c.report_id == report_id).order_by(t.report_audit.c.id)
        )
        with self._read() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    # ---- messages -------------------------------------------------------------------------

    def add_message(self, record: Row, *, rising_stamps: bool = True) -> tuple[Row, bool]:
        """Stores a message; a client id the sender already used returns the first message, False."""
        return self.add_messages([record], rising_stamps=rising_stamps)[0]

    def add_messages(self, records: list[Row], *, rising_stamps: bool = True) -> list[tuple[Row, bool]]:
        """Stores messages in order, all in one transaction; (stored row, created) for each.

        A client id the sender already used (earlier, or before in `records`) gives back the first
        message and stores nothing. With `rising_stamps` the stamps within a conversation rise
        strictly with the arrival order (1 ms apart at least), so clients that sort by time keep a
        batch's order; an import of old history keeps its stamps as they are.
        """
        if not records:
            return []
        for attempt in range(2):
            try:
                with self._write() as conn:
                    return self._insert_messages(conn, records, rising_stamps)
            except IntegrityError:
                if attempt:
                    raise
                # The same retry raced us into the database: its rows are found on the second try.
        raise AssertionError("unreachable")

    def _insert_messages(self, conn: Connection, records: list[Row], rising_stamps: bool) -> list[tuple[Row, bool]]:
        known = self._messages_by_client_ids(conn, records)
        fresh: list[Row] = []
        for record in records:
            key = (record["sender"], record.get("client_message_id"))
            if key[1] and key in known:
                continue
            fresh.append(record)
            if key[1]:
                known[key] = record  # a repeat later in this batch maps to this one
        if fresh:
            last_seq = self._next_seq(conn, "messages", len(fresh))  # also orders the stamps below
            last_stamp = self._last_stamps(conn, {r["pair"] for r in fresh}) if rising_stamps else {}
            for seq, record in enumerate(fresh, start=last_seq - len(fresh) + 1):
                record["seq"] = seq
                if rising_stamps:
                    stamp = max(float(record["timestamp"]), last_stamp.get(record["pair"], 0.0) + 0.001)
                    record["timestamp"] = last_stamp[record["pair"]] = round(stamp, 3)
                record["wire"] = wire.message_text(record)
            conn.execute(insert(t.messages), fresh)
        created = {id(r) for r in fresh}
        results = []
        for record in records:
            if id(record) in created:
                results.append((dict(record), True))
            else:
                results.append((dict(known[(record["sender"], record["client_message_id"])]), False))
        return results

    def _messages_by_client_ids(self, conn: Connection, records: list[Row]) -> dict[tuple[str, str], Row]:
        wanted: dict[str, set[str]] = {}
        for record in records:
            if record.get("client_message_id"):
                wanted.setdefault(record["sender"], set()).add(record["client_message_id"])
        found: dict[tuple[str, str], Row] = {}
        for sender, client_ids in wanted.items():
            ids = sorted(client_ids)
            for start in range(0, len(ids), 500):  # keeps each IN list far below database limits
                query = select(t.messages).where(
                    t.messages.c.sender == sender, t.messages.c.client_message_id.in_(ids[start:start + 500])
                )
                for row in conn.execute(query):
                    found[(sender, row.client_message_id)] = dict(row._mapping)
        return found

    def _last_stamps(self, conn: Connection, pairs: set[str]) -> dict[str, float]:
        stamps = {}
        for pair in pairs:
            query = (select(t.messages.c.timestamp).where(t.messages.c.pair == pair)
                     .order_by(t.messages.c.seq.desc()).limit(1))
            stamp = conn.scalar(query)
            if stamp is not None:
                stamps[pair] = float(stamp)
        return stamps

    def get_message(self, message_id: str) -> Row | None:
        return self._first_row(select(t.messages).where(t.messages.c.id == message_id))

    def list_messages(self, pair: str, *, since: int | None = None, limit: int | None = None) -> list[Row]:
        query = select(t.messages).where(t.messages.c.pair == pair).order_by(t.messages.c.seq)
        if since is not None:
            query = query.where(t.messages.c.seq > since)
        if limit:
            query = query.limit(limit)
        with self._read() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    def messages_wire(self, pair: str, *, since: int | None = None, limit: int | None = None) -> wire.WirePage:
        """What `list_messages` selects, as wire JSON written by the database."""
        params = [p for p in (pair, since, limit) if p is not None]
        sql = wire.messages_query(self.engine.dialect.name, since=since is not None, limit=limit is not None)
        return wire.page(self._raw_rows(sql, params), self.engine.dialect.name, "messages")

    def messages_of(self, username: str, *, since: int | None = None, limit: int | None = None) -> list[Row]:
        mine = or_(t.messages.c.sender == username, t.messages.c.receiver == username)
        query = select(t.messages).where(mine).order_by(t.messages.c.seq)
        if since is not None:
            query = query.where(t.messages.c.seq > since)
        if limit:
            query = query.limit(limit)
        with self._read() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    # ---- federated learning ---------------------------------------------------------------

    def add_update(self, record: Row) -> tuple[Row, bool]:
        """Stores a client update; a repeated client update id returns the first (False).

        Raises DuplicateError when the client already sent a different update this round.
        """
        client_update_id = record.get("client_update_id")
        if client_update_id:
            existing = self.update_by_client_id(record["username"], client_update_id)
            if existing:
                return existing, False
        try:
            with self._write() as conn:
                conn.execute(insert(t.fl_updates).values(**record))
        except IntegrityError as exc:
            existing = (
                self.update_by_client_id(record["username"], client_update_id) if client_update_id else None
            )
            if existing:
                return existing, False
            raise DuplicateError(record["client_id"]) from exc
        return record, True

    def update_by_client_id(self, username: str, client_update_id: str) -> Row | None:
        return self._first_row(
            select(t.fl_updates).where(
                t.fl_updates.c.username == username, t.fl_updates.c.client_update_id == client_update_id
            )
        )

    def updates_for_round(self, round_number: int) -> list[Row]:
        query = select(t.fl_updates).where(t.fl_updates.c.round == round_number).order_by(t.fl_updates.c.created_at)
        with self._read() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    def latest_version(self) -> Row | None:
        return self._first_row(select(t.fl_versions).order_by(t.fl_versions.c.round.desc()).limit(1))

    def get_version(self, version: str) -> Row | None:
        return self._first_row(select(t.fl_versions).where(t.fl_versions.c.version == version))

    def versions(self) -> list[Row]:
        with self._read() as conn:
            return [dict(r._mapping) for r in conn.execute(select(t.fl_versions).order_by(t.fl_versions.c.round))]

    def add_version(self, record: Row) -> None:
        """Raises DuplicateError when that round (or version name) already has global weights."""
        try:
            with self._write() as conn:
                conn.execute(insert(t.fl_versions).values(**record))
        except IntegrityError as exc:
            raise DuplicateError(record["version"]) from exc

    # ---- bulk import ----------------------------------------------------------------------

    def existing_keys(self, kind: str, keys: list[str]) -> set[str]:
        """Which of `keys` are already stored: user names (`users`) or ids (`reports`, `messages`)."""
        column = {"users": t.users.c.username, "reports": t.reports.c.id, "messages": t.messages.c.id}[kind]
        found: set[str] = set()
        with self._read() as conn:
            for start in range(0, len(keys), 500):  # keeps each IN list far below database limits
                found.update(conn.scalars(select(column).where(column.in_(keys[start:start + 500]))))
        return found

    def import_users(self, records: list[Row]) -> None:
        """Stores new users in one transaction (the caller checked the names are free)."""
        if records:
            with self._write() as conn:
                conn.execute(insert(t.users), records)

    def import_reports(self, records: list[Row], audits: list[Row]) -> None:
        """Stores new reports (ids checked free by the caller) and their audit entries in one transaction."""
        if not records:
            return
        with self._write() as conn:
            last = self._next_seq(conn, "reports", len(records))
            rows = [{**r, "seq": seq} for seq, r in enumerate(records, start=last - len(records) + 1)]
            conn.execute(insert(t.reports), rows)
            conn.execute(insert(t.report_audit), audits)

    def counts(self) -> dict[str, int]:
        """How many records each main table holds (for import reports and health)."""
        tables = {"users": t.users, "reports": t.reports, "messages": t.messages, "fl_updates": t.fl_updates}
        with self._read() as conn:
            return {name: int(conn.scalar(select(func.count()).select_from(table))) for name, table in tables.items()}


def _add_missing_columns(conn: Connection) -> None:
    """Columns added after a database was created (create_all only makes missing tables)."""
    if "wire" not in {c["name"] for c in inspect(conn).get_columns("messages")}:
        conn.exec_driver_sql("ALTER TABLE messages ADD COLUMN wire TEXT")  # a racing worker's retry sees it
    if "abstained" not in {c["name"] for c in inspect(conn).get_columns("reports")}:
        conn.exec_driver_sql("ALTER TABLE reports ADD COLUMN abstained BOOLEAN")


def normalize_url(url: str) -> str:
    """`postgres://` and driver-less `postgresql://` URLs get whichever PostgreSQL driver is installed."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        import importlib.util

        driver = "psycopg2" if importlib.util.find_spec("psycopg2") else "psycopg"
        url = f"postgresql+{driver}://" + url[len("postgresql://"):]
    return url


def _private_sqlite_file(url: str) -> None:
    """The database file (and its -wal/-shm, which SQLite creates with the database's permissions)
    readable by the server's account only: it holds every patient's reports and messages."""
    from sqlalchemy.engine import make_url

    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    for each in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if each.exists() and each.stat().st_mode & 0o077:
            each.chmod(0o600)


def _make_engine(url: str) -> Engine:
    url = normalize_url(url)
    if url.startswith("sqlite"):
        _private_sqlite_file(url)
        engine = create_engine(url, pool_size=10, max_overflow=30, pool_timeout=60)

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_conn, _record) -> None:
            dbapi_conn.isolation_level = None  # the "begin" hook below issues BEGIN itself
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")  # health records: durable at commit
            cursor.execute("PRAGMA busy_timeout=60000")
            # The default 2 MiB page cache re-reads most pages of a 500-message conversation from the
            # OS on every poll (scattered rows); 32 MiB per connection keeps a clinic's hot data.
            cursor.execute("PRAGMA cache_size=-32768")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Connection) -> None:
            # Writers queue on the lock up front instead of failing later; a read is one SELECT,
            # atomic on its own in autocommit mode, so it skips the BEGIN/ROLLBACK round.
            options = conn.get_execution_options()
            if options.get("tp_write"):
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            elif not options.get("tp_read"):
                conn.exec_driver_sql("BEGIN")  # any other caller (scripts, bulk loads) gets a transaction

        return engine
    return create_engine(url, pool_size=10, max_overflow=30, pool_timeout=60, pool_pre_ping=True)
