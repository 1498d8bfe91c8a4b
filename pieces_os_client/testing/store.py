"""The emulator's storage: SQLite through the standard library, one transaction per write.

Assets live in the ``assets`` table and their formats in ``formats``; deleted ids stay in
``tombstones`` so that asking for one answers 410 Gone rather than 404. The database runs in WAL
mode. Every write commits before anyone hears of it: listeners are called after the commit, in
commit order, with a ``Change`` that carries the state right after it.

Reads are served from an in-memory mirror of the committed rows (parsed once), so a snapshot of a
thousand assets costs no parsing; the mirror is rebuilt from the database when a store opens.
"""
from __future__ import annotations

import json
import logging
import sqlite3
import threading
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

from pieces_os_client.models.asset import Asset
from pieces_os_client.testing.records import AssetRecord

logger = logging.getLogger("pieces_os_client.testing")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS assets (
    id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL UNIQUE,
    pseudo INTEGER NOT NULL,
    body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS formats (
    id TEXT PRIMARY KEY,
    asset TEXT NOT NULL REFERENCES assets(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS formats_by_asset ON formats(asset, position);
CREATE TABLE IF NOT EXISTS tombstones (id TEXT PRIMARY KEY, deleted TEXT NOT NULL);
"""


@dataclass(frozen=True)
class Change:
    """One committed write: ``kind`` is "create", "update", "delete" or "reset".

    ``records`` is every stored asset right after the commit, in creation order; ``affected`` are
    the records the write created, changed or removed.
    """

    version: int
    kind: str
    affected: Tuple[AssetRecord, ...]
    records: Tuple[AssetRecord, ...]


Listener = Callable[[Change], None]


class StoreClosedError(RuntimeError):
    """The store was used after ``close()``."""


class AssetStore:
    """Assets in one SQLite database; safe to share between threads.

    ``path`` None keeps everything in memory for the life of the store.
    """

    def __init__(self, path: Optional[str] = None) -> None:
        self.path = path
        self._lock = threading.RLock()
        self._connection: Optional[sqlite3.Connection] = sqlite3.connect(
            path if path is not None else ":memory:", check_same_thread=False, isolation_level=None
        )
        self._records: Dict[str, AssetRecord] = {}
        self._listeners: List[Listener] = []
        self._version = 0
        self._seq = 0
        try:
            self._open()
        except BaseException:
            self.close()
            raise

    def _open(self) -> None:
        connection = self._db()
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.execute("PRAGMA foreign_keys=ON")
        with self._transaction() as db:
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    db.execute(statement)
            row = db.execute("SELECT value FROM meta WHERE key = ?", ("creator",)).fetchone()
            if row is None:
                self.creator = str(uuid.uuid4())
                db.execute("INSERT INTO meta (key, value) VALUES (?, ?)", ("creator", self.creator))
            else:
                self.creator = str(row[0])
        self._load()

    def _load(self) -> None:
        db = self._db()
        formats: Dict[str, List[str]] = {}
        for asset_id, body in db.execute("SELECT asset, body FROM formats ORDER BY asset, position"):
            formats.setdefault(asset_id, []).append(body)
        for asset_id, seq, body in db.execute("SELECT id, seq, body FROM assets ORDER BY seq"):
            data = json.loads(body)
            data["formats"] = {"iterable": [json.loads(item) for item in formats.get(asset_id, [])]}
            self._records[asset_id] = AssetRecord.from_asset(Asset.model_validate(data))
            self._seq = max(self._seq, int(seq))
        logger.debug("opened %s with %d assets", self.path or "an in-memory store", len(self._records))

    # ----- plumbing ----------------------------------------------------------------------------
    def _db(self) -> sqlite3.Connection:
        if self._connection is None:
            raise StoreClosedError("the asset store is closed")
        return self._connection

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def _publish(self, kind: str, affected: Tuple[AssetRecord, ...]) -> None:
        # Called with the lock held, right after the commit: listeners see changes in commit order.
        self._version += 1
        change = Change(self._version, kind, affected, tuple(self._records.values()))
        for listener in list(self._listeners):
            try:
                listener(change)
            except Exception:
                logger.exception("an asset store listener failed")

    # ----- listeners ---------------------------------------------------------------------------
    def add_listener(self, listener: Listener) -> None:
        """Call ``listener`` after every committed write, in commit order.

        It runs on the writing thread with the store's lock held, so it must be quick: hand the
        change to another thread or loop rather than work on it there.
        """
        with self._lock:
            self._listeners.append(listener)

    def remove_listener(self, listener: Listener) -> None:
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    def state(self) -> Tuple[int, Tuple[AssetRecord, ...]]:
        """(version, every record) at one instant; changes after it have higher versions."""
        with self._lock:
            self._db()
            return self._version, tuple(self._records.values())

    # ----- reads -------------------------------------------------------------------------------
    def records(self, pseudo: bool = False, suggested: bool = True) -> List[AssetRecord]:
        """Stored assets in creation order; pseudo ones only when asked for."""
        with self._lock:
            self._db()
            return [
                record for record in self._records.values()
                if (pseudo or not record.pseudo) and (suggested or not record.suggested)
            ]

    def pseudo_records(self) -> List[AssetRecord]:
        with self._lock:
            self._db()
            return [record for record in self._records.values() if record.pseudo]

    def get(self, asset_id: str) -> Optional[AssetRecord]:
        with self._lock:
            self._db()
            return self._records.get(asset_id)

    def was_deleted(self, asset_id: str) -> bool:
        with self._lock:
            row = self._db().execute("SELECT 1 FROM tombstones WHERE id = ?", (asset_id,)).fetchone()
            return row is not None

    def __len__(self) -> int:
        with self._lock:
            return len(self._records)

    def __iter__(self) -> Iterator[AssetRecord]:
        return iter(self.records(pseudo=True))

    # ----- writes ------------------------------------------------------------------------------
    def add(self, asset: Asset) -> AssetRecord:
        """Store a new asset and its formats in one transaction."""
        record = AssetRecord.from_asset(asset)
        with self._lock:
            with self._transaction() as db:
                seq = self._seq + 1
                db.execute(
                    "INSERT INTO assets (id, seq, pseudo, body) VALUES (?, ?, ?, ?)",
                    (asset.id, seq, int(record.pseudo), _body_json(asset)),
                )
                _insert_formats(db, asset)
            self._seq = seq
            self._records[asset.id] = record
            self._publish("create", (record,))
        return record

    def replace(self, asset: Asset) -> AssetRecord:
        """Store a changed version of an asset that is stored (same id), formats and all.

        Raises KeyError when no asset with that id is stored.
        """
        record = AssetRecord.from_asset(asset)
        with self._lock:
            if asset.id not in self._records:
                raise KeyError(asset.id)
            with self._transaction() as db:
                db.execute(
                    "UPDATE assets SET pseudo = ?, body = ? WHERE id = ?",
                    (int(record.pseudo), _body_json(asset), asset.id),
                )
                db.execute("DELETE FROM formats WHERE asset = ?", (asset.id,))
                _insert_formats(db, asset)
            self._records[asset.id] = record
            self._publish("update", (record,))
        return record

    def modify(
        self,
        asset_id: str,
        change: Callable[[Dict[str, Any]], None],
        precondition: Optional[Callable[[AssetRecord], None]] = None,
    ) -> Optional[AssetRecord]:
        """Apply ``change`` to the stored asset's JSON (with content) and store the result, atomically.

        None if no such asset is stored; nothing is stored when ``precondition`` (given the
        stored record, under the same lock) or ``change`` raises.
        """
        with self._lock:
            record = self._records.get(asset_id)
            if record is None:
                return None
            if precondition is not None:
                precondition(record)
            data = json.loads(record.json)
            change(data)
            return self.replace(Asset.model_validate(data))

    def delete(self, asset_id: str, when: datetime) -> Optional[AssetRecord]:
        """Remove an asset and its formats, leaving a tombstone; None if it is not stored."""
        with self._lock:
            record = self._records.get(asset_id)
            if record is None:
                return None
            with self._transaction() as db:
                db.execute("DELETE FROM formats WHERE asset = ?", (asset_id,))
                db.execute("DELETE FROM assets WHERE id = ?", (asset_id,))
                db.execute(
                    "INSERT OR REPLACE INTO tombstones (id, deleted) VALUES (?, ?)",
                    (asset_id, when.isoformat()),
                )
            del self._records[asset_id]
            self._publish("delete", (record,))
            return record

    def reset(self) -> None:
        """Remove every asset, format and tombstone in one transaction."""
        with self._lock:
            with self._transaction() as db:
                db.execute("DELETE FROM formats")
                db.execute("DELETE FROM assets")
                db.execute("DELETE FROM tombstones")
            removed = tuple(self._records.values())
            self._records.clear()
            self._publish("reset", removed)

    def close(self) -> None:
        """Close the database; calling it again is harmless."""
        with self._lock:
            connection, self._connection = self._connection, None
            self._listeners.clear()
            if connection is not None:
                connection.close()

    @property
    def closed(self) -> bool:
        return self._connection is None


def _body_json(asset: Asset) -> str:
    """The asset's row: formats live in their own table, and references are rebuilt on reading."""
    body = json.loads(asset.to_json())
    body.pop("formats", None)
    for holder in (body.get("original"), (body.get("preview") or {}).get("base")):
        if isinstance(holder, dict):
            holder.pop("reference", None)
    return json.dumps(body, ensure_ascii=False)


def _insert_formats(db: sqlite3.Connection, asset: Asset) -> None:
    db.executemany(
        "INSERT INTO formats (id, asset, position, body) VALUES (?, ?, ?, ?)",
        [(item.id, asset.id, position, item.to_json()) for position, item in enumerate(asset.formats.iterable)],
    )
