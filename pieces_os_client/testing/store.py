"""The emulator's storage: SQLite through the standard library, one transaction per write.

Assets live in the ``assets`` table and their formats in ``formats``; everything else a plugin
creates (tags, websites, annotations, anchors, conversations and their messages, applications,
models, sessions) is an entity in ``entities``, one JSON body per row. Deleted ids stay in ``tombstones`` (assets) and
``entity_tombstones`` so that asking for one answers 410 Gone rather than 404. The database runs
in WAL mode. Every write commits before anyone hears of it: listeners are called after the commit,
in commit order, with a ``Change`` that carries the state right after it.

An asset's tags, websites, annotations, anchors, conversations and messages are entities too,
linked to it: the asset keeps a copy of each in its collection (what Pieces OS serves inside an asset), and a
write keeps the two sides the same (see ``_sync``): renaming a tag renames it on every asset holding it, and a tag
an asset update brings in becomes the tag of that text. Which assets an entity is linked to is
read off the assets, never stored twice.

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
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Set, Tuple, TypeVar

from pieces_os_client.exceptions import describe_problems
from pieces_os_client.models.asset import Asset
from pieces_os_client.testing.catalogue import catalogue
from pieces_os_client.testing.records import AssetRecord
from pieces_os_client.testing.validation import enum_value

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
CREATE TABLE IF NOT EXISTS entities (
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (kind, id)
);
CREATE TABLE IF NOT EXISTS entity_tombstones (
    kind TEXT NOT NULL, id TEXT NOT NULL, deleted TEXT NOT NULL, PRIMARY KEY (kind, id)
);
"""

#: The asset collections whose items are entities of the same name.
RELATIONS = ("tags", "websites", "annotations", "anchors", "conversations", "messages")
#: The entities that refer to annotations by id in their ``annotations`` (conversations, messages).
ANNOTATION_HOLDERS = ("conversations", "messages")
#: Fields of an entity read off the assets linking to it rather than stored: which assets, and
#: (tags, websites) how each asset got it, a map of asset ids each asset's copy keeps its entry of.
LINK_FIELDS = ("assets", "asset", "mechanisms")

T = TypeVar("T")
Json = Dict[str, Any]


@dataclass(frozen=True)
class Change:
    """One committed write: ``kind`` is "create", "update", "delete" or "reset".

    ``records`` is every stored asset right after the commit, in creation order; ``affected`` are
    the records the write created, changed or removed. ``entities`` are the (kind, id, deleted)
    of the entities it created, changed or removed, those whose links to assets changed included.
    """

    version: int
    kind: str
    affected: Tuple[AssetRecord, ...]
    records: Tuple[AssetRecord, ...]
    entities: Tuple[Tuple[str, str, bool], ...] = ()


@dataclass(frozen=True)
class State:
    """What the store holds at one version: the assets and the ids of every entity kind."""

    version: int
    records: Tuple[AssetRecord, ...]
    entity_ids: Dict[str, Tuple[str, ...]]


@dataclass(frozen=True)
class Links:
    """The assets holding one entity, and (tags, websites) how each got it."""

    assets: List[str]
    mechanisms: Dict[str, str]


Listener = Callable[[Change], None]


class StoreClosedError(RuntimeError):
    """The store was used after ``close()``."""


class UnusableDatabaseError(sqlite3.DatabaseError):
    """The database cannot be the emulator's: another application's, not SQLite, read-only, or
    holding a row the emulator cannot read. Raised when the store opens, before anything is
    written to a database the emulator did not create."""


def copied(data: T) -> T:
    """A deep copy of JSON data (through the json module's C code: faster than deepcopy)."""
    result: T = json.loads(json.dumps(data))
    return result


def items_of(data: Json, key: str) -> List[Json]:
    """The items of the asset collection ``key`` in an asset's JSON (an empty list when absent)."""
    holder = data.get(key) or {}
    items: List[Json] = holder.get("iterable") or []
    return items


def stored_entity(item: Json) -> Json:
    """An entity's body as stored: without the links read off the assets."""
    return {key: value for key, value in item.items() if key not in LINK_FIELDS}


@dataclass
class Draft:
    """The writes of one transaction, read through to the committed state.

    Write functions get one, read what they need and put what they change, as JSON data
    (timestamps as text, as ``seeds.grouped_timestamp`` writes them); nothing is stored until the
    function returns, and nothing at all when it raises. What is put belongs to the draft.
    """

    store: AssetStore
    assets: Dict[str, Optional[Json]] = field(default_factory=dict)  # None: deleted
    created: Set[str] = field(default_factory=set)
    entities: Dict[Tuple[str, str], Optional[Json]] = field(default_factory=dict)  # None: deleted

    # ----- assets
    def asset(self, asset_id: str) -> Optional[Json]:
        """The asset's JSON (with content) as it stands in this transaction, a copy to change."""
        if asset_id in self.assets:
            pending = self.assets[asset_id]
            return None if pending is None else pending
        record = self.store._records.get(asset_id)
        return None if record is None else json.loads(record.json)

    def asset_ids(self) -> List[str]:
        ids = [asset_id for asset_id in self.store._records if self.assets.get(asset_id, True) is not None]
        return ids + [asset_id for asset_id in self.created if asset_id not in self.store._records]

    def add_asset(self, data: Json) -> None:
        self.assets[data["id"]] = data
        self.created.add(data["id"])

    def put_asset(self, data: Json) -> None:
        if data["id"] not in self.store._records and data["id"] not in self.created:
            raise KeyError(data["id"])
        self.assets[data["id"]] = data

    def delete_asset(self, asset_id: str) -> None:
        self.assets[asset_id] = None

    # ----- entities
    def entity(self, kind: str, entity_id: str) -> Optional[Json]:
        """The entity's stored body as it stands in this transaction, a copy to change."""
        key = (kind, entity_id)
        if key in self.entities:
            pending = self.entities[key]
            return None if pending is None else copied(pending)
        found = self.store._entities.get(kind, {}).get(entity_id)
        return None if found is None else copied(found)

    def entities_of(self, kind: str) -> List[Json]:
        """Every entity of ``kind`` in creation order, as it stands in this transaction."""
        stored = self.store._entities.get(kind, {})
        found = []
        for entity_id, body in stored.items():
            pending = self.entities.get((kind, entity_id), body)
            if pending is not None:
                found.append(pending)
        found += [body for (k, i), body in self.entities.items() if k == kind and i not in stored and body]
        return found

    def put_entity(self, kind: str, body: Json) -> None:
        self.entities[(kind, body["id"])] = stored_entity(body)

    def delete_entity(self, kind: str, entity_id: str) -> None:
        self.entities[(kind, entity_id)] = None


class AssetStore:
    """Assets and the entities around them in one SQLite database; safe to share between threads.

    ``path`` None keeps everything in memory for the life of the store. ``seed_entities`` gives,
    per kind, entities that must exist whenever the store opens or is reset (by default the model
    catalogue).
    """

    def __init__(self, path: Optional[str] = None, seed_entities: Optional[Dict[str, List[Json]]] = None) -> None:
        self.path = path
        # Writers hold _lock for the whole of a write (building the records, the transaction);
        # readers take only _read_lock, which a write holds just while it swaps in what it
        # committed: a write of a 30 MB asset never keeps a reader (the server's event loop)
        # waiting for more than that swap.
        self._lock = threading.RLock()
        self._read_lock = threading.RLock()
        self._connection: Optional[sqlite3.Connection] = sqlite3.connect(
            path if path is not None else ":memory:", check_same_thread=False, isolation_level=None
        )
        self._records: Dict[str, AssetRecord] = {}
        self._format_owner: Dict[str, str] = {}
        self._entities: Dict[str, Dict[str, Json]] = {}
        self._seed_entities = {"models": catalogue()} if seed_entities is None else seed_entities
        self._listeners: List[Listener] = []
        self._version = 0
        self._seq = 0
        self._entity_seq = 0
        try:
            self._open()
        except BaseException:
            self.close()
            raise

    def _open(self) -> None:
        connection = self._db()
        self._check_ours(connection)
        try:
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
                    # A write, so that a database the emulator may not change is refused now
                    # rather than on the first request that changes something.
                    db.execute("UPDATE meta SET value = value WHERE key = ?", ("creator",))
        except sqlite3.OperationalError as error:
            if "readonly" not in str(error) and "read-only" not in str(error):
                raise
            raise UnusableDatabaseError(
                f"{self.path} cannot be written ({error}): the emulator keeps its assets in a database it"
                " can change; check the file's (and its folder's) permissions, or give --db another file"
            ) from None
        self._load()
        self._seed()

    def _check_ours(self, connection: sqlite3.Connection) -> None:
        """Refuse, before anything is written, a database the emulator did not create: one whose
        tables are there but not its ``meta`` table with the emulator's ``creator`` row."""
        try:
            tables = sorted(name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'"))
            if not tables:
                return  # a new (or empty) database: the emulator's from now on
            if "meta" in tables and connection.execute("SELECT 1 FROM meta WHERE key = 'creator'").fetchone():
                return
        except sqlite3.DatabaseError as error:
            if "no such column" not in str(error):
                raise UnusableDatabaseError(f"{self.path} is not an SQLite database ({error})") from None
        shown = ", ".join(tables[:5]) + (f" and {len(tables) - 5} more" if len(tables) > 5 else "")
        raise UnusableDatabaseError(
            f"{self.path} is not a database the emulator created (its tables: {shown}); it changes no other"
            " application's database: give --db a new file, or one the emulator made"
        )

    def _load(self) -> None:
        db = self._db()
        formats: Dict[str, List[str]] = {}
        for asset_id, body in db.execute("SELECT asset, body FROM formats ORDER BY asset, position"):
            formats.setdefault(asset_id, []).append(body)
        for asset_id, seq, body in db.execute("SELECT id, seq, body FROM assets ORDER BY seq"):
            with self._row("assets", asset_id):
                data = json.loads(body)
                data["formats"] = {"iterable": [json.loads(item) for item in formats.get(asset_id, [])]}
                self._set_record(AssetRecord.from_data(data))
                self._seq = max(self._seq, int(seq))
        for kind, entity_id, seq, body in db.execute("SELECT kind, id, seq, body FROM entities ORDER BY seq"):
            with self._row("entities", entity_id):
                self._entities.setdefault(kind, {})[entity_id] = json.loads(body)
                self._entity_seq = max(self._entity_seq, int(seq))
        logger.debug("opened %s with %d assets", self.path or "an in-memory store", len(self._records))

    @contextmanager
    def _row(self, table: str, row_id: str) -> Iterator[None]:
        """A row that cannot be read (not JSON, not an asset: changed outside the emulator) is an
        UnusableDatabaseError naming it, not a traceback."""
        try:
            yield
        except (ValueError, TypeError, KeyError, RecursionError) as error:
            raise UnusableDatabaseError(
                f"{self.path or 'the database'}: the row {row_id!r} of the table {table} cannot be read"
                f" ({describe_problems(error)}); it was changed outside the emulator: delete the row, or give"
                " --db another file"
            ) from None

    def _seed(self) -> None:
        """Store the seed entities that are missing, and the entities of assets stored without them."""
        def add_missing(draft: Draft) -> None:
            for kind, bodies in self._seed_entities.items():
                for body in bodies:
                    if draft.entity(kind, body["id"]) is None:
                        draft.put_entity(kind, body)
            for record in self._records.values():
                for key in RELATIONS:
                    holder = getattr(record.asset, key)
                    for item in holder.iterable if holder is not None else []:
                        if draft.entity(key, item.id) is None:
                            draft.put_entity(key, json.loads(item.to_json()))

        self.write(add_missing, quiet=True)

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

    def _set_record(self, record: AssetRecord) -> None:
        previous = self._records.get(record.id)
        if previous is not None:
            for item in previous.asset.formats.iterable:
                self._format_owner.pop(item.id, None)
        self._records[record.id] = record
        for item in record.asset.formats.iterable:
            self._format_owner[item.id] = record.id

    def _drop_record(self, asset_id: str) -> None:
        record = self._records.pop(asset_id)
        for item in record.asset.formats.iterable:
            self._format_owner.pop(item.id, None)

    def _publish(
        self, kind: str, affected: Tuple[AssetRecord, ...], entities: Tuple[Tuple[str, str, bool], ...] = ()
    ) -> None:
        # Called with both locks held, right after the commit: listeners see changes in commit order.
        self._version += 1
        change = Change(self._version, kind, affected, tuple(self._records.values()), entities)
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

    def state(self) -> State:
        """The assets and entity ids at one instant; changes after it have higher versions."""
        with self._read_lock:
            self._db()
            ids = {kind: tuple(bodies) for kind, bodies in self._entities.items()}
            return State(self._version, tuple(self._records.values()), ids)

    # ----- reads -------------------------------------------------------------------------------
    def records(self, pseudo: bool = False, suggested: bool = True) -> List[AssetRecord]:
        """Stored assets in creation order; pseudo ones only when asked for."""
        with self._read_lock:
            self._db()
            return [
                record for record in self._records.values()
                if (pseudo or not record.pseudo) and (suggested or not record.suggested)
            ]

    def pseudo_records(self) -> List[AssetRecord]:
        with self._read_lock:
            self._db()
            return [record for record in self._records.values() if record.pseudo]

    def get(self, asset_id: str) -> Optional[AssetRecord]:
        with self._read_lock:
            self._db()
            return self._records.get(asset_id)

    def format_owner(self, format_id: str) -> Optional[AssetRecord]:
        """The stored asset one of whose formats has ``format_id``."""
        with self._read_lock:
            self._db()
            owner = self._format_owner.get(format_id)
            return None if owner is None else self._records.get(owner)

    def was_deleted(self, asset_id: str) -> bool:
        with self._lock:
            row = self._db().execute("SELECT 1 FROM tombstones WHERE id = ?", (asset_id,)).fetchone()
            return row is not None

    def entity(self, kind: str, entity_id: str) -> Optional[Json]:
        """A copy of the stored body of one entity (without its links to assets)."""
        with self._read_lock:
            self._db()
            found = self._entities.get(kind, {}).get(entity_id)
            return None if found is None else copied(found)

    def entities(self, kind: str) -> List[Json]:
        """Copies of every entity of ``kind``, in creation order."""
        with self._read_lock:
            self._db()
            return copied(list(self._entities.get(kind, {}).values()))

    def scan(self, kind: str, read: Callable[[Json], T]) -> List[T]:
        """``read`` of every entity of ``kind``, in creation order, without copying them: ``read``
        must not change the body it is given, nor keep it."""
        with self._read_lock:
            self._db()
            return [read(body) for body in self._entities.get(kind, {}).values()]

    def entity_was_deleted(self, kind: str, entity_id: str) -> bool:
        with self._lock:
            row = self._db().execute(
                "SELECT 1 FROM entity_tombstones WHERE kind = ? AND id = ?", (kind, entity_id)
            ).fetchone()
            return row is not None

    def links(self, kind: str) -> Dict[str, Links]:
        """For each entity of the asset collection ``kind``, the assets holding it."""
        with self._read_lock:
            self._db()
            found: Dict[str, Links] = {}
            for record in self._records.values():
                holder = getattr(record.asset, kind)
                for item in holder.iterable if holder is not None else []:
                    links = found.setdefault(item.id, Links([], {}))
                    links.assets.append(record.id)
                    for asset_id, mechanism in (getattr(item, "mechanisms", None) or {}).items():
                        links.mechanisms[asset_id] = enum_value(mechanism) or "MANUAL"
            return found

    def __len__(self) -> int:
        with self._read_lock:
            return len(self._records)

    def __iter__(self) -> Iterator[AssetRecord]:
        return iter(self.records(pseudo=True))

    # ----- writes ------------------------------------------------------------------------------
    def write(self, change: Callable[[Draft], T], when: Optional[datetime] = None, quiet: bool = False) -> T:
        """Run ``change`` on a Draft and store what it put, in one transaction; returns its result.

        Nothing is stored when ``change`` raises. ``when`` dates the tombstones of what is deleted.
        ``quiet`` stores without telling the listeners (seeding when the store opens).
        """
        with self._lock:
            self._db()
            draft = Draft(self)
            result = change(draft)
            touched_entities = _sync(draft, self._records)
            if not draft.assets and not draft.entities:
                return result
            stamp = (when or datetime.now().astimezone()).isoformat()
            records: Dict[str, Optional[AssetRecord]] = {}
            for asset_id, data in draft.assets.items():
                records[asset_id] = None if data is None else AssetRecord.from_data(data)
            removed = {asset_id: self._records[asset_id] for asset_id, data in draft.assets.items()
                       if data is None and asset_id in self._records}
            with self._transaction() as db:
                for asset_id, record in records.items():
                    if record is None:
                        if asset_id in self._records:
                            db.execute("DELETE FROM formats WHERE asset = ?", (asset_id,))
                            db.execute("DELETE FROM assets WHERE id = ?", (asset_id,))
                            db.execute("INSERT OR REPLACE INTO tombstones (id, deleted) VALUES (?, ?)",
                                       (asset_id, stamp))
                    elif asset_id in draft.created:
                        self._seq += 1
                        db.execute(
                            "INSERT INTO assets (id, seq, pseudo, body) VALUES (?, ?, ?, ?)",
                            (asset_id, self._seq, int(record.pseudo), _body_json(record.asset)),
                        )
                        _insert_formats(db, record.asset)
                    else:
                        db.execute("UPDATE assets SET pseudo = ?, body = ? WHERE id = ?",
                                   (int(record.pseudo), _body_json(record.asset), asset_id))
                        db.execute("DELETE FROM formats WHERE asset = ?", (asset_id,))
                        _insert_formats(db, record.asset)
                for (kind, entity_id), body in draft.entities.items():
                    if body is None:
                        db.execute("DELETE FROM entities WHERE kind = ? AND id = ?", (kind, entity_id))
                        db.execute("INSERT OR REPLACE INTO entity_tombstones (kind, id, deleted) VALUES (?, ?, ?)",
                                   (kind, entity_id, stamp))
                    elif entity_id in self._entities.get(kind, {}):
                        db.execute("UPDATE entities SET body = ? WHERE kind = ? AND id = ?",
                                   (json.dumps(body, ensure_ascii=False), kind, entity_id))
                    else:
                        self._entity_seq += 1
                        db.execute("INSERT INTO entities (kind, id, seq, body) VALUES (?, ?, ?, ?)",
                                   (kind, entity_id, self._entity_seq, json.dumps(body, ensure_ascii=False)))
            with self._read_lock:
                for asset_id, record in records.items():
                    if record is None:
                        if asset_id in self._records:
                            self._drop_record(asset_id)
                    else:
                        self._set_record(record)
                for (kind, entity_id), body in draft.entities.items():
                    bodies = self._entities.setdefault(kind, {})
                    if body is None:
                        bodies.pop(entity_id, None)
                    else:
                        bodies[entity_id] = body
                if not quiet:
                    affected = tuple(removed.values()) if removed else tuple(
                        record for record in records.values() if record is not None
                    )
                    kind = "delete" if removed else ("create" if draft.created else "update")
                    entities = tuple(
                        (kind_, entity_id, (kind_, entity_id) in draft.entities and draft.entities[(kind_, entity_id)] is None)
                        for kind_, entity_id in touched_entities
                    )
                    self._publish(kind, affected, entities)
            return result

    def add(self, asset: Asset) -> AssetRecord:
        """Store a new asset and its formats in one transaction."""
        data: Json = json.loads(asset.to_json())
        self.write(lambda draft: draft.add_asset(data))
        return self._records[asset.id]

    def replace(self, asset: Asset) -> AssetRecord:
        """Store a changed version of an asset that is stored (same id), formats and all.

        Raises KeyError when no asset with that id is stored.
        """
        data: Json = json.loads(asset.to_json())
        self.write(lambda draft: draft.put_asset(data))
        return self._records[asset.id]

    def modify(
        self,
        asset_id: str,
        change: Callable[[Json], None],
        precondition: Optional[Callable[[AssetRecord], None]] = None,
    ) -> Optional[AssetRecord]:
        """Apply ``change`` to the stored asset's JSON (with content) and store the result, atomically.

        None if no such asset is stored; nothing is stored when ``precondition`` (given the
        stored record, under the same lock) or ``change`` raises.
        """
        def apply(draft: Draft) -> bool:
            record = self._records.get(asset_id)
            if record is None:
                return False
            if precondition is not None:
                precondition(record)
            data = draft.asset(asset_id)
            assert data is not None
            change(data)
            draft.put_asset(data)
            return True

        with self._lock:
            return self._records[asset_id] if self.write(apply) else None

    def delete(self, asset_id: str, when: datetime) -> Optional[AssetRecord]:
        """Remove an asset and its formats, leaving a tombstone; None if it is not stored.

        Its annotations go with it, unless another asset, a conversation or a message holds them
        too; its tags, websites, anchors and conversations stay.
        """
        with self._lock:
            record = self._records.get(asset_id)
            if record is None:
                return None
            notes = {item.id for item in (record.asset.annotations.iterable if record.asset.annotations else [])}
            for other in self._records.values():
                if other.id != asset_id and other.asset.annotations is not None:
                    notes -= {item.id for item in other.asset.annotations.iterable}
            for holder in ANNOTATION_HOLDERS:
                for body in self._entities.get(holder, {}).values():
                    notes -= {item.get("id") for item in items_of(body, "annotations")}

            def remove(draft: Draft) -> None:
                draft.delete_asset(asset_id)
                for note_id in notes:
                    draft.delete_entity("annotations", note_id)

            self.write(remove, when)
            return record

    def reset(self) -> None:
        """Remove every asset, format, entity and tombstone in one transaction; seed entities come back."""
        with self._lock:
            with self._transaction() as db:
                for table in ("formats", "assets", "tombstones", "entities", "entity_tombstones"):
                    db.execute(f"DELETE FROM {table}")  # noqa: S608 (the names above, no input)
            with self._read_lock:
                removed = tuple(self._records.values())
                before = [(kind, entity_id) for kind, bodies in self._entities.items() for entity_id in bodies]
                self._records.clear()
                self._format_owner.clear()
                self._entities.clear()
            self._seed()
            # Seed entities come back as they were seeded: changed, not gone.
            with self._read_lock:
                entities = tuple(
                    (kind, entity_id, entity_id not in self._entities.get(kind, {})) for kind, entity_id in before
                )
                self._publish("reset", removed, entities)

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


# What each asset's copy of an entity keeps for itself: its entry of a tag's ``mechanisms``.
_OWN_FIELDS = ("mechanisms",)


def _shared(item: Json) -> Json:
    return {key: value for key, value in item.items() if key not in LINK_FIELDS}


def _same(left: Json, right: Json) -> bool:
    """Whether two copies of an entity agree on what every copy shares."""
    return _shared(left) == _shared(right)


def _links(data: Json) -> Set[Tuple[str, str]]:
    return {(key, item["id"]) for key in RELATIONS for item in items_of(data, key) if isinstance(item.get("id"), str)}


def _record_links(record: AssetRecord) -> Set[Tuple[str, str]]:
    found: Set[Tuple[str, str]] = set()
    for key in RELATIONS:
        holder = getattr(record.asset, key)
        found.update((key, item.id) for item in (holder.iterable if holder is not None else []))
    return found


def _sync(draft: Draft, committed: Dict[str, AssetRecord]) -> List[Tuple[str, str]]:
    """Make the assets' collections and the entities agree; returns the (kind, id) of every entity
    whose body or links changed.

    An entity the write put wins over the copies assets hold; a copy an asset the write put holds
    wins over the entity (a rename through the asset); a copy no entity has becomes one, a tag
    being the tag of its text when one exists. The copies of a changed entity on every other
    asset follow it, and copies of a deleted one go.
    """
    put_by_write = set(draft.entities)
    for data in draft.assets.values():
        if data is None:
            continue
        for key in RELATIONS:
            kept: List[Json] = []
            for item in items_of(data, key):
                pulled = _pull(draft, key, item, put_by_write)
                if pulled is not None and all(other["id"] != pulled["id"] for other in kept):
                    kept.append(pulled)
            if kept or data.get(key) is not None:
                data[key] = {"iterable": kept}
    # The entities whose copies on assets must follow: deleted ones, and those whose shared fields
    # differ from what was committed.
    stored = draft.store._entities
    changed = {
        (kind, entity_id) for (kind, entity_id), body in draft.entities.items()
        if body is None or entity_id not in stored.get(kind, {}) or not _same(body, stored[kind][entity_id])
    }
    if changed:
        for asset_id in draft.asset_ids():
            record = committed.get(asset_id)
            if asset_id not in draft.assets and record is not None and not (_record_links(record) & changed):
                continue
            data = draft.asset(asset_id)
            if data is None or not (_links(data) & changed):
                continue
            altered = False
            for key in RELATIONS:
                fresh = []
                for item in items_of(data, key):
                    if (key, item.get("id")) in changed:
                        body = draft.entity(key, item["id"])
                        if body is None:
                            altered = True
                            continue
                        if not _same(body, item):
                            item = dict(body, **{key: item[key] for key in _OWN_FIELDS if key in item})
                            altered = True
                    fresh.append(item)
                if data.get(key) is not None:
                    data[key] = {"iterable": fresh}
            if altered:
                draft.assets[asset_id] = data
    touched = set(draft.entities)
    for asset_id, data in draft.assets.items():
        record = committed.get(asset_id)
        before = _record_links(record) if record is not None else set()
        touched |= before ^ (_links(data) if data is not None else set())
    return sorted(touched)


def _pull(draft: Draft, key: str, item: Json, put_by_write: Iterable[Tuple[str, str]]) -> Optional[Json]:
    """The copy of ``item`` an asset keeps, after the entity it stands for is brought in line."""
    item_id = item.get("id")
    if not isinstance(item_id, str):
        return None
    own = {name: item[name] for name in _OWN_FIELDS if name in item}
    entity = draft.entity(key, item_id)
    if (key, item_id) in put_by_write:
        return None if entity is None else dict(entity, **own)  # None: the write deleted it
    if entity is None and key == "tags":
        entity = next((tag for tag in draft.entities_of("tags") if tag.get("text") == item.get("text")), None)
    if entity is None:
        draft.put_entity(key, item)
        return dict(stored_entity(item), **own)
    # The asset's copy of this very entity wins (a rename through the asset); a tag found by its
    # text keeps its own fields.
    if entity["id"] == item_id and not _same(entity, item):
        draft.put_entity(key, item)
        entity = stored_entity(item)
    return dict(entity, **own)


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
