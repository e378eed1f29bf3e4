"""The state in PostgreSQL (`--state postgresql://USER@HOST:PORT/DB?state=NAME`), through psycopg 3.

    reconciler_states   one row per state NAME: the document, its lineage and serial, and the
                        previous document (`previous_document`, the backup); a save is one
                        transaction that updates the row only if its serial is still the one read
    reconciler_locks    one row per locked NAME: the lock record, for messages and force-unlock

The lock itself is a session-level advisory lock, so the server releases it the moment a holder's
connection ends, however it ends (kill -9 included); the record row is only for people. A new
holder replaces a record left by a dead one. The password is never part of the location: libpq
reads it from PGPASSWORD or ~/.pgpass (PGPASSFILE).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import psycopg

from reconciler.errors import LockError, StateError
from reconciler.state.backend import PollingLock, StateStore, Stored
from reconciler.state.lock import (
    LockInfo,
    checked_unlock,
    encode_lock_info,
    parse_lock_info,
)

CONNECT_TIMEOUT_SECONDS = 10
STATEMENT_TIMEOUT = "60s"
LOCK_POLL_SECONDS = 0.5
SCHEMA_LOCK = 0x7265636F6E63696C  # serialises the tables' creation among first users ("reconcil")
SCHEMA = (
    """CREATE TABLE IF NOT EXISTS reconciler_states (
        name text PRIMARY KEY,
        lineage text NOT NULL,
        serial bigint NOT NULL,
        document text NOT NULL,
        previous_document text,
        updated_at timestamptz NOT NULL DEFAULT now())""",
    """CREATE TABLE IF NOT EXISTS reconciler_locks (
        name text PRIMARY KEY,
        lock_id text NOT NULL,
        info text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now())""",
)


def advisory_key(name: str) -> int:
    """The 64-bit advisory lock key of a state name."""
    return int.from_bytes(hashlib.sha256(f"reconciler-state:{name}".encode()).digest()[:8], "big", signed=True)


def _reason(exc: psycopg.Error) -> str:
    primary = getattr(getattr(exc, "diag", None), "message_primary", None)
    text = primary or str(exc).strip() or type(exc).__name__
    return " ".join(text.split())


class PostgresState(StateStore):
    def __init__(self, location: str, conninfo: str, name: str, *, password: str | None = None) -> None:
        self.location = location
        self.where = f"state {location}"
        self.name = name
        self._conninfo = conninfo
        self._password = password  # PGPASSWORD of the environment given; else libpq reads ~/.pgpass
        self._connection: psycopg.Connection[Any] | None = None
        self._key = advisory_key(name)
        self._tables_ready = False

    @property
    def restore_hint(self) -> str:
        """Only when a previous version is kept (the first save keeps none)."""
        try:
            cursor = self._run(
                "looking for the previous state",
                "SELECT previous_document IS NOT NULL FROM reconciler_states WHERE name = %s",
                (self.name,),
                missing_table=(),
            )
            row = cursor.fetchone() if cursor != () else None
        except StateError:
            return ""
        if not row or not row[0]:
            return ""
        return (
            f"restore the previous version kept in reconciler_states.previous_document (state name {self.name!r}) "
            "if that holds your last good state"
        )

    # --- connection ----------------------------------------------------------------------------

    def _connect(self) -> psycopg.Connection[Any]:
        if self._connection is None or self._connection.closed:
            try:
                extra = {"password": self._password} if self._password else {}
                connection = psycopg.connect(
                    self._conninfo, autocommit=True, connect_timeout=CONNECT_TIMEOUT_SECONDS, **extra
                )
                connection.execute(f"SET statement_timeout = '{STATEMENT_TIMEOUT}'")
            except psycopg.Error as exc:
                raise StateError(f"cannot connect to {self.where}: {_reason(exc)}") from None
            self._connection = connection
        return self._connection

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()

    def _run(self, action: str, query: str, params: tuple[Any, ...] = (), *, missing_table: Any = None) -> Any:
        """One statement's cursor; `missing_table` is returned instead when the tables do not exist yet."""
        connection = self._connect()
        try:
            return connection.execute(query, params)
        except psycopg.errors.UndefinedTable:
            if missing_table is not None:
                return missing_table
            raise StateError(f"{self.where}: {action} failed: the reconciler tables do not exist") from None
        except psycopg.Error as exc:
            raise StateError(f"{self.where}: {action} failed: {_reason(exc)}") from None

    def create_tables(self) -> None:
        """Create the tables if they do not exist yet (once per store: writers only)."""
        if self._tables_ready:
            return
        connection = self._connect()
        try:
            with connection.transaction():
                connection.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
                for statement in SCHEMA:
                    connection.execute(statement)
        except psycopg.Error as exc:
            raise StateError(f"{self.where}: creating the tables failed: {_reason(exc)}") from None
        self._tables_ready = True

    # --- the document --------------------------------------------------------------------------

    def fetch(self) -> Stored | None:
        cursor = self._run(
            "reading the state",
            "SELECT document, serial FROM reconciler_states WHERE name = %s",
            (self.name,),
            missing_table=(),
        )
        row = cursor.fetchone() if cursor != () else None
        if row is None:
            return None
        return Stored(row[0].encode("utf-8"), str(row[1]))

    def store(self, content: bytes, previous: Stored | None) -> None:
        self.create_tables()
        document = content.decode("utf-8")
        head = json.loads(document)
        if previous is None:
            cursor = self._run(
                "writing the state",
                "INSERT INTO reconciler_states (name, lineage, serial, document) VALUES (%s, %s, %s, %s) "
                "ON CONFLICT (name) DO NOTHING",
                (self.name, head["lineage"], head["serial"], document),
            )
        else:
            cursor = self._run(
                "writing the state",
                "UPDATE reconciler_states SET previous_document = document, document = %s, lineage = %s, "
                "serial = %s, updated_at = now() WHERE name = %s AND serial = %s",
                (document, head["lineage"], head["serial"], self.name, int(previous.version)),
            )
        if cursor.rowcount != 1:
            raise StateError(
                f"{self.where} was changed by another writer while this run saved it (its serial moved); "
                "nothing was overwritten: run again"
            )

    # --- the lock ------------------------------------------------------------------------------

    def lock(self, operation: str, timeout: float = 0) -> PollingLock:
        self.create_tables()
        return PollingLock(
            self, operation, timeout, take=self._take_lock, give_back=self._give_back, interval=LOCK_POLL_SECONDS
        )

    def _take_lock(self, info: LockInfo) -> bool:
        """The advisory lock on this session, then its record (replacing one a dead holder left)."""
        if not self.try_lock():
            return False
        try:
            self.record_lock(info)
        except BaseException:
            self.unlock()
            raise
        return True

    def _give_back(self, info: LockInfo) -> None:
        try:
            self.erase_lock(info.ID)
            self.unlock()
        except StateError:
            self.close()  # ending the session releases the advisory lock in any case
            raise

    def lock_holder(self) -> LockInfo | None:
        cursor = self._run(
            "reading the lock record",
            "SELECT info FROM reconciler_locks WHERE name = %s",
            (self.name,),
            missing_table=(),
        )
        row = cursor.fetchone() if cursor != () else None
        return None if row is None else parse_lock_info(row[0].encode("utf-8"))

    def try_lock(self) -> bool:
        return bool(self._run("taking the lock", "SELECT pg_try_advisory_lock(%s)", (self._key,)).fetchone()[0])

    def unlock(self) -> None:
        self._run("releasing the lock", "SELECT pg_advisory_unlock(%s)", (self._key,))

    def record_lock(self, info: LockInfo) -> None:
        self._run(
            "taking the lock",
            "INSERT INTO reconciler_locks (name, lock_id, info) VALUES (%s, %s, %s) ON CONFLICT (name) "
            "DO UPDATE SET lock_id = EXCLUDED.lock_id, info = EXCLUDED.info, created_at = now()",
            (self.name, info.ID, encode_lock_info(info).decode("utf-8")),
        )

    def erase_lock(self, lock_id: str) -> None:
        self._run(
            "releasing the lock", "DELETE FROM reconciler_locks WHERE name = %s AND lock_id = %s", (self.name, lock_id)
        )

    def force_unlock(self, lock_id: str) -> LockInfo:
        holder = checked_unlock(self.where, "table reconciler_locks", self.lock_holder(), lock_id)
        if not self.try_lock():
            raise LockError(
                f"lock {lock_id} on {self.where} is held by a running session, {holder.describe()}; it is released "
                "as soon as that session ends: stop it rather than unlocking under it"
            )
        try:
            self.erase_lock(lock_id)
        finally:
            self.unlock()
        return holder
