"""What a stream's messages are, and what a Stream does with them.

Each WebSocket operation declares what its messages are (``Operation.messages``, from
``spec/overlay.json``):

- ``"snapshots"``: every message is the whole state (``Assets``, ``WorkstreamSuggestions``), so
  a newer one supersedes an older one still waiting for the consumer: when the queue is full the
  oldest is dropped.
- ``"optional snapshots"``: snapshots, where an empty message or JSON ``null`` means there is
  none (``/user/stream`` with nobody signed in): delivered as None.
- ``"changes"``: every message is a change (``StreamedIdentifiers``: ids of assets,
  conversations, tags... created, updated or deleted) and none may be lost: when the queue is full the reader waits for the consumer. The
  first message after each connect is the server's full set of ids; ids that disappeared while
  disconnected are added to it as ``deleted: true`` items, so a consumer that applies every
  message converges to the server's set.

``Stream`` asks ``message_handling(operation.messages)`` for a fresh handler and calls it; the
handler holds whatever state its kind needs (the ids known so far).
"""
from __future__ import annotations

import logging
from typing import Any, Dict, Optional, Set, Tuple, Type

from pieces_os_client._operation import resolve_model
from pieces_os_client.exceptions import ApiValueError

logger = logging.getLogger("pieces_os_client")

CHANGES = "changes"
SNAPSHOTS = "snapshots"
OPTIONAL_SNAPSHOTS = "optional snapshots"


class MessageHandling:
    """The handling of one stream's messages; the base treats them as snapshots."""

    #: When the queue is full: drop the oldest message (True) or wait for the consumer (False).
    supersede = True
    #: How many parsed messages may wait for the consumer when the stream is not told.
    default_max_queued = 8
    #: Whether an empty message (nothing but whitespace) or JSON ``null`` means there is none,
    #: delivered as None.
    empty_is_none = False

    def __init__(self, name: str) -> None:
        self.name = name  # the stream, for log lines

    def connected(self) -> None:
        """A connection opened: its first message is the server's whole state."""

    def received(self, message: Any) -> Any:
        """The message to deliver for ``message`` as parsed."""
        return message


class Snapshots(MessageHandling):
    """Every message is the whole state: only the newest matters."""


class OptionalSnapshots(Snapshots):
    """Every message is the whole state, and an empty one (or ``null``) says there is none."""

    empty_is_none = True


class Changes(MessageHandling):
    """Every message is a change to a set of ids (of assets, conversations, tags...), each one to
    be delivered. An item names what changed by its one reference with an id (``item.asset``,
    ``item.conversation``...); the set is kept as (field, id) pairs."""

    supersede = False
    default_max_queued = 1024

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self._known: Set[Tuple[str, str]] = set()
        self._first_after_connect = True
        self._field = "asset"  # the field the last item named, tried first

    def connected(self) -> None:
        self._first_after_connect = True

    def _named(self, item: Any) -> Optional[Tuple[str, str]]:
        """(field, id) of the one reference ``item`` carries, or None."""
        for field in (self._field, *type(item).model_fields):
            identifier = getattr(getattr(item, field, None), "id", None)
            if isinstance(identifier, str):
                self._field = field
                return field, identifier
        return None

    def received(self, message: Any) -> Any:
        if self._first_after_connect:
            self._first_after_connect = False
            present = {named for item in message.iterable if not item.deleted for named in [self._named(item)] if named}
            vanished = sorted(self._known - present)
            if vanished:
                identifier = resolve_model("StreamedIdentifier")
                logger.info("stream %s: %d item(s) were deleted while disconnected", self.name, len(vanished))
                message.iterable = list(message.iterable) + [
                    identifier.from_dict({field: {"id": gone}, "deleted": True}) for field, gone in vanished
                ]
            self._known = present
            return message
        for item in message.iterable:
            named = self._named(item)
            if named is None:
                continue
            if item.deleted:
                self._known.discard(named)
            else:
                self._known.add(named)
        return message


_KINDS: Dict[str, Type[MessageHandling]] = {
    SNAPSHOTS: Snapshots, OPTIONAL_SNAPSHOTS: OptionalSnapshots, CHANGES: Changes,
}


def message_handling(kind: Optional[str], name: str) -> MessageHandling:
    """A fresh handler for messages of ``kind`` (an operation's ``messages``) on stream ``name``."""
    handling = _KINDS.get(kind or "")
    if handling is None:
        raise ApiValueError(
            f"the operation {name} declares no stream messages ({kind!r}); expected one of {sorted(_KINDS)}"
        )
    return handling(name)
