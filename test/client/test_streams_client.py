"""Stream[T] (pieces_os_client.streams) against purpose-built WebSocket servers on loopback: parsing, faults, reconnects, threads.

The servers are the ``websockets`` package's (its threaded server, or its sans-I/O protocol on a
raw socket for a peer that stops answering); every test talks to one over a real socket.
"""
from __future__ import annotations

import gc
import json
import socket
import threading
from typing import Any, Callable, Dict, Iterator, List, Set

import pytest
from support.auth_proxy import AuthProxy, Seen
from support.httpserver_helpers import minimal_instance, refused_url
from websockets.sync.server import Server, ServerConnection, serve

from pieces_os_client import ApiClient, AssetsApi, Configuration, ConversationsApi
from pieces_os_client._operation import Operation
from pieces_os_client.exceptions import (
    ApiConnectionError,
    ApiException,
    ApiTimeoutError,
    ApiValueError,
    NotFoundException,
)
from pieces_os_client.models.assets import Assets
from pieces_os_client.models.streamed_identifiers import StreamedIdentifiers
from pieces_os_client.streams import (
    ReconnectEvent,
    ReconnectPolicy,
    Stream,
    StreamClosedError,
    StreamMessageError,
    StreamMessageTooLargeError,
    StreamRedirectError,
    reconnect_backoff,
    stream_url,
)
from pieces_os_client.testing import PiecesOSEmulator

WAIT = 10.0  # generous bound for anything that should happen at once
FAST = ReconnectPolicy(max_attempts=5, backoff_base=0.02, backoff_max=0.1)

Handler = Callable[[ServerConnection, int], None]


class ScriptedServer:
    """A WebSocket server whose handler gets each connection and its number (1 for the first)."""

    def __init__(self, handler: Handler, **options: Any) -> None:
        self.handler = handler
        self.connections = 0
        self.requests: List[Dict[str, str]] = []
        self.release = threading.Event()  # handlers that wait for the test's end wait on this
        self._lock = threading.Lock()
        self.server: Server = serve(self._handle, "127.0.0.1", 0, **options)
        self.port = self.server.socket.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def _handle(self, connection: ServerConnection) -> None:
        with self._lock:
            self.connections += 1
            number = self.connections
        assert connection.request is not None
        self.requests.append({"path": connection.request.path, **dict(connection.request.headers.raw_items())})
        self.handler(connection, number)

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self._thread.join(WAIT)


@pytest.fixture
def scripted() -> Iterator[Callable[..., ScriptedServer]]:
    servers: List[ScriptedServer] = []

    def start(handler: Handler, **options: Any) -> ScriptedServer:
        server = ScriptedServer(handler, **options)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def api_for(url: str, **configuration: Any) -> AssetsApi:
    return AssetsApi(ApiClient(Configuration(host=url, **configuration)))


def identifiers(*ids: str, deleted: bool = False) -> str:
    items: List[Dict[str, Any]] = [{"asset": {"id": i}, **({"deleted": True} if deleted else {})} for i in ids]
    return json.dumps({"iterable": items})


def first_id(message: Any) -> str:
    asset = message.iterable[0].asset
    assert asset is not None
    return str(asset.id)


def apply(view: Set[str], message: StreamedIdentifiers) -> None:
    """What a consumer does with each identifiers message."""
    for item in message.iterable:
        assert item.asset is not None
        if item.deleted:
            view.discard(item.asset.id)
        else:
            view.add(item.asset.id)


# ----- pure functions ------------------------------------------------------------------------
def test_reconnect_backoff_doubles_up_to_the_cap_with_jitter_in_the_upper_half() -> None:
    for attempt in range(1, 12):
        ceiling = min(4.0, 0.25 * 2 ** (attempt - 1))
        for _ in range(50):
            delay = reconnect_backoff(attempt, 0.25, 4.0)
            assert ceiling / 2 <= delay <= ceiling
    assert 2.0 <= reconnect_backoff(100_000, 0.25, 4.0) <= 4.0


def test_stream_url_maps_http_to_ws_and_https_to_wss() -> None:
    assert stream_url("http://localhost:1000", "/assets/stream") == "ws://localhost:1000/assets/stream"
    assert stream_url("https://pieces.example:8443/base", "/assets/stream") == "wss://pieces.example:8443/base/assets/stream"


# ----- messages ------------------------------------------------------------------------------
def test_messages_arrive_parsed_with_the_clients_headers(scripted: Callable[..., ScriptedServer]) -> None:
    def handler(connection: ServerConnection, number: int) -> None:
        asset = {**minimal_instance("Asset"), "id": "a1", "future_field": 7}
        connection.send(json.dumps({"iterable": [asset]}))
        server.release.wait(WAIT)

    server = scripted(handler)
    client = ApiClient(Configuration(host=server.url))
    client.set_default_header("X-Plugin", "notebook")
    with AssetsApi(client).stream_assets(_headers={"X-Request": "42"}) as stream:
        message = stream.next_message(timeout=WAIT)
    assert isinstance(message, Assets)
    assert [asset.id for asset in message.iterable] == ["a1"]
    assert message.iterable[0].to_dict()["future_field"] == 7
    request = server.requests[0]
    assert request["path"] == "/assets/stream"
    assert request["User-Agent"].startswith("pieces-os-client-python/")
    assert request["X-Plugin"] == "notebook"
    assert request["X-Request"] == "42"


def test_each_stream_method_opens_its_path_and_parses_its_type(scripted: Callable[..., ScriptedServer]) -> None:
    bodies = {
        "/assets/stream/identifiers": identifiers("x"),
        "/assets/stream/transferables": json.dumps({"iterable": []}),
        "/assets/stream": json.dumps({"iterable": []}),
        "/workstream/suggestions/stream": json.dumps({"iterable": []}),
    }

    def handler(connection: ServerConnection, number: int) -> None:
        assert connection.request is not None
        connection.send(bodies[connection.request.path])
        server.release.wait(WAIT)

    server = scripted(handler)
    api = api_for(server.url)
    openers: List[Any] = [
        ("StreamedIdentifiers", api.assets_stream_identifiers),
        ("Assets", api.get_assets_stream_transferables),
        ("Assets", api.stream_assets),
        ("WorkstreamSuggestions", api.workstream_suggestions_stream),
    ]
    for type_name, opener in openers:
        with opener() as stream:
            message = stream.next_message(timeout=WAIT)
        assert type(message).__name__ == type_name
    assert sorted(r["path"] for r in server.requests) == sorted(bodies)


def test_a_malformed_message_is_raised_with_its_raw_text_and_the_stream_goes_on(
    scripted: Callable[..., ScriptedServer],
) -> None:
    def handler(connection: ServerConnection, number: int) -> None:
        connection.send(identifiers("a"))
        connection.send("not json {")
        connection.send('{"iterable": 5}')
        connection.send(b"\xff\xfe binary garbage")
        connection.send(identifiers("b"))
        server.release.wait(WAIT)

    server = scripted(handler)
    with api_for(server.url).assets_stream_identifiers() as stream:
        received: List[Any] = []
        while len(received) < 5:
            try:
                received.append(stream.next_message(timeout=WAIT))
            except StreamMessageError as error:
                received.append(error)
    first, bad_json, wrong_shape, garbage, last = received
    assert isinstance(first, StreamedIdentifiers) and first_id(first) == "a"
    assert isinstance(bad_json, StreamMessageError) and bad_json.raw == "not json {"
    assert "StreamedIdentifiers" in str(bad_json) and "not json {" in str(bad_json)
    assert isinstance(wrong_shape, StreamMessageError) and wrong_shape.raw == '{"iterable": 5}'
    assert isinstance(garbage, StreamMessageError) and "binary garbage" in garbage.raw
    assert isinstance(last, StreamedIdentifiers) and first_id(last) == "b"


def test_with_on_error_malformed_messages_are_reported_and_iteration_continues(
    scripted: Callable[..., ScriptedServer],
) -> None:
    def handler(connection: ServerConnection, number: int) -> None:
        for text in (identifiers("a"), "[1, 2", identifiers("b"), "{}", identifiers("c")):
            connection.send(text)
        server.release.wait(WAIT)

    server = scripted(handler)
    errors: List[Exception] = []
    with api_for(server.url).assets_stream_identifiers(on_error=errors.append) as stream:
        ids = []
        for message in stream:
            ids.append(first_id(message))
            if len(ids) == 3:
                break
    assert ids == ["a", "b", "c"]
    assert [e.raw for e in errors if isinstance(e, StreamMessageError)] == ["[1, 2", "{}"]


# ----- threads -------------------------------------------------------------------------------
def test_close_from_another_thread_unblocks_a_waiting_iterator(scripted: Callable[..., ScriptedServer]) -> None:
    def handler(connection: ServerConnection, number: int) -> None:
        connection.send(identifiers("a"))
        server.release.wait(WAIT * 3)

    server = scripted(handler)
    stream = api_for(server.url).assets_stream_identifiers()
    seen: List[StreamedIdentifiers] = []
    waiting = threading.Event()
    outcome: List[str] = []

    def consume() -> None:
        for message in stream:
            seen.append(message)
            waiting.set()
        outcome.append("iteration ended")

    consumer = threading.Thread(target=consume, daemon=True)
    consumer.start()
    assert waiting.wait(WAIT)
    stream.close()
    consumer.join(WAIT)
    assert not consumer.is_alive()
    assert outcome == ["iteration ended"] and len(seen) == 1
    assert stream.closed
    stream.close()  # a second close is harmless
    with pytest.raises(StreamClosedError):
        stream.next_message(timeout=0)


def test_start_delivers_messages_on_a_daemon_thread_and_calls_on_close_once(
    scripted: Callable[..., ScriptedServer],
) -> None:
    def handler(connection: ServerConnection, number: int) -> None:
        connection.send(identifiers("a"))
        connection.send("oops")
        connection.send(identifiers("b"))
        server.release.wait(WAIT)

    server = scripted(handler)
    stream = api_for(server.url).assets_stream_identifiers()
    delivered: List[str] = []
    threads: List[threading.Thread] = []
    errors: List[Exception] = []
    closes: List[bool] = []
    both = threading.Event()
    closed = threading.Event()

    def on_message(message: StreamedIdentifiers) -> None:
        threads.append(threading.current_thread())
        delivered.append(first_id(message))
        if len(delivered) == 2:
            both.set()

    def on_close() -> None:
        closes.append(True)
        closed.set()

    thread = stream.start(on_message, on_error=errors.append, on_close=on_close)
    assert both.wait(WAIT)
    with pytest.raises(ApiValueError):
        stream.next_message(timeout=0)
    stream.close()
    assert closed.wait(WAIT)
    thread.join(WAIT)
    assert delivered == ["a", "b"]
    assert all(t is thread for t in threads) and thread.daemon and thread is not threading.main_thread()
    assert [e.raw for e in errors if isinstance(e, StreamMessageError)] == ["oops"]
    assert closes == [True]


def test_a_callback_that_raises_does_not_stop_delivery(scripted: Callable[..., ScriptedServer]) -> None:
    def handler(connection: ServerConnection, number: int) -> None:
        for name in "abc":
            connection.send(identifiers(name))
        server.release.wait(WAIT)

    server = scripted(handler)
    delivered: List[str] = []
    done = threading.Event()

    def on_message(message: StreamedIdentifiers) -> None:
        delivered.append(first_id(message))
        if len(delivered) == 3:
            done.set()
        raise RuntimeError("a bug in the consumer")

    with api_for(server.url).assets_stream_identifiers() as stream:
        stream.start(on_message)
        assert done.wait(WAIT)
    assert delivered == ["a", "b", "c"]


# ----- connection failures and reconnects ----------------------------------------------------
def test_a_refused_connection_raises_api_connection_error_naming_the_host() -> None:
    host = refused_url()
    with pytest.raises(ApiConnectionError) as raised:
        api_for(host).stream_assets()
    assert host in str(raised.value) and "/assets/stream" in str(raised.value)


def test_a_refused_handshake_raises_the_status_exception(scripted: Callable[..., ScriptedServer]) -> None:
    server = scripted(lambda c, n: None, process_request=lambda connection, request: connection.respond(404, "no"))
    with pytest.raises(NotFoundException) as raised:
        api_for(server.url).assets_stream_identifiers()
    assert raised.value.status == 404 and "/assets/stream/identifiers" in str(raised.value)


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_a_redirected_handshake_is_a_typed_error_and_never_followed(
    scripted: Callable[..., ScriptedServer], status: int
) -> None:
    elsewhere = scripted(lambda connection, number: connection.send(identifiers("from-elsewhere")))
    target = elsewhere.url.replace("http://", "ws://user:s3cret@") + "/assets/stream/identifiers"

    def redirect(connection: ServerConnection, request: Any) -> Any:
        response = connection.respond(status, "")
        response.headers["Location"] = target
        return response

    server = scripted(lambda c, n: None, process_request=redirect)
    client = ApiClient(Configuration(host=server.url))
    client.set_default_header("X-Pieces-Api-Key", "key-for-this-host-only")
    with pytest.raises(StreamRedirectError) as raised:
        AssetsApi(client).assets_stream_identifiers(reconnect=False)
    error = raised.value
    assert isinstance(error, ApiException) and error.status == status
    assert error.location == elsewhere.url.replace("http://", "ws://user:***@") + "/assets/stream/identifiers"
    assert "s3cret" not in str(error) and "s3cret" not in repr(error.headers)
    assert error.location in str(error) and "never follow" in str(error)
    assert server.connections == 0 and elsewhere.connections == 0  # nothing was opened there


def test_after_a_drop_the_identifiers_stream_reports_ids_deleted_while_disconnected(
    scripted: Callable[..., ScriptedServer],
) -> None:
    server_state = [{"a", "b", "c"}]

    def handler(connection: ServerConnection, number: int) -> None:
        connection.send(identifiers(*sorted(server_state[0])))
        if number == 1:
            connection.send(identifiers("d"))
            connection.send(identifiers("a", deleted=True))
            # While the client is away: b and d are deleted, e is created.
            server_state[0] = {"c", "e"}
            connection.close(1012, "restarting")
            return
        server.release.wait(WAIT)

    server = scripted(handler)
    events: List[ReconnectEvent] = []
    view: Set[str] = set()
    with api_for(server.url).assets_stream_identifiers(reconnect=FAST, on_reconnect=events.append) as stream:
        messages = [stream.next_message(timeout=WAIT) for _ in range(4)]
    for message in messages:
        assert message is not None
        apply(view, message)
    assert view == {"c", "e"}
    resync = messages[3]
    assert resync is not None
    assert [(i.asset.id, i.deleted) for i in resync.iterable if i.asset] == [
        ("c", None), ("e", None), ("b", True), ("d", True),
    ]
    assert events[0].attempt == 1 and isinstance(events[0].error, ApiConnectionError)
    assert events[-1].connected and server.connections == 2


def test_every_identifiers_stream_reports_what_was_deleted_while_disconnected(
    scripted: Callable[..., ScriptedServer],
) -> None:
    # A conversations stream names conversations, not assets; a tags stream, tags.
    def named(field: str, *ids: str) -> str:
        return json.dumps({"iterable": [{field: {"id": i}} for i in ids]})

    def handler(connection: ServerConnection, number: int) -> None:
        if number == 1:
            connection.send(named("conversation", "c1", "c2", "c3"))
            connection.close(1012, "restarting")  # c2 is deleted while the client is away
            return
        connection.send(named("conversation", "c1", "c3"))
        server.release.wait(WAIT)

    server = scripted(handler)
    client = ApiClient(Configuration(host=server.url))
    with ConversationsApi(client).conversations_stream_identifiers(reconnect=FAST) as stream:
        messages = [stream.next_message(timeout=WAIT) for _ in range(2)]
    resync = messages[1]
    assert resync is not None
    assert [(i.conversation.id, i.deleted) for i in resync.iterable if i.conversation] == [
        ("c1", None), ("c3", None), ("c2", True),
    ]
    assert all(item.asset is None for item in resync.iterable)


def test_reconnect_logs_at_info(scripted: Callable[..., ScriptedServer], caplog: pytest.LogCaptureFixture) -> None:
    def handler(connection: ServerConnection, number: int) -> None:
        connection.send(identifiers("a"))
        if number == 1:
            return
        server.release.wait(WAIT)

    server = scripted(handler)
    caplog.set_level("INFO", logger="pieces_os_client")
    with api_for(server.url).assets_stream_identifiers(reconnect=FAST) as stream:
        stream.next_message(timeout=WAIT)
        stream.next_message(timeout=WAIT)
    lines = [r.getMessage() for r in caplog.records if r.name == "pieces_os_client" and r.levelname == "INFO"]
    assert any("reconnect attempt 1" in line for line in lines)
    assert any("reconnected" in line for line in lines)


def test_without_reconnect_a_normal_close_ends_the_iteration(scripted: Callable[..., ScriptedServer]) -> None:
    def handler(connection: ServerConnection, number: int) -> None:
        connection.send(identifiers("a"))
        connection.close(1000)

    server = scripted(handler)
    with api_for(server.url).assets_stream_identifiers(reconnect=False) as stream:
        assert [first_id(m) for m in stream] == ["a"]
    assert server.connections == 1


def test_without_reconnect_an_abnormal_close_raises(scripted: Callable[..., ScriptedServer]) -> None:
    def handler(connection: ServerConnection, number: int) -> None:
        connection.send(identifiers("a"))
        connection.close(1011, "internal error")

    server = scripted(handler)
    with api_for(server.url).assets_stream_identifiers(reconnect=False) as stream:
        assert stream.next_message(timeout=WAIT) is not None
        with pytest.raises(ApiConnectionError, match="1011"):
            stream.next_message(timeout=WAIT)
        with pytest.raises(StreamClosedError):
            stream.next_message(timeout=WAIT)


def test_reconnect_gives_up_after_max_attempts(scripted: Callable[..., ScriptedServer]) -> None:
    gone = threading.Event()

    def handler(connection: ServerConnection, number: int) -> None:
        connection.send(identifiers("a"))
        gone.wait(WAIT)

    server = scripted(handler)
    events: List[ReconnectEvent] = []
    policy = ReconnectPolicy(max_attempts=3, backoff_base=0.01, backoff_max=0.05)
    stream = api_for(server.url).assets_stream_identifiers(reconnect=policy, on_reconnect=events.append)
    assert stream.next_message(timeout=WAIT) is not None
    gone.set()
    server.stop()
    with pytest.raises(ApiConnectionError, match="Gave up .* after 3 attempts") as raised:
        stream.next_message(timeout=WAIT)
    assert server.url in str(raised.value)
    assert [e.attempt for e in events] == [1, 2, 3] and not any(e.connected for e in events)
    assert stream.closed


def test_reconnect_policy_is_checked() -> None:
    with pytest.raises(ApiValueError, match="max_attempts"):
        api_for("http://127.0.0.1:9").stream_assets(reconnect=ReconnectPolicy(max_attempts=0))
    with pytest.raises(ApiValueError, match="ping_interval"):
        api_for("http://127.0.0.1:9").stream_assets(ping_interval=0)


@pytest.mark.parametrize(
    "settings",
    [{"backoff_base": 0}, {"backoff_base": -1}, {"backoff_base": float("nan")}, {"backoff_max": 0},
     {"backoff_base": True}, {"max_attempts": 1.5}],
)
def test_a_policy_that_would_reconnect_without_waiting_is_refused_when_made(settings: Dict[str, Any]) -> None:
    with pytest.raises(ApiValueError, match=f"ReconnectPolicy.{next(iter(settings))}"):
        ReconnectPolicy(**settings)


def test_a_server_that_accepts_then_closes_at_once_is_waited_for_longer_and_longer(
    scripted: Callable[..., ScriptedServer],
) -> None:
    def handler(connection: ServerConnection, number: int) -> None:
        connection.send(identifiers("a"))
        connection.close(1011, "internal error")

    server = scripted(handler)
    events: List[ReconnectEvent] = []
    policy = ReconnectPolicy(max_attempts=4, backoff_base=0.01, backoff_max=0.5)
    stream = api_for(server.url).assets_stream_identifiers(reconnect=policy, on_reconnect=events.append)
    with pytest.raises(ApiConnectionError, match="Gave up .* after 4 attempts"):
        for _ in range(50):
            stream.next_message(timeout=WAIT)
    # Each handshake succeeded, yet every attempt counts: the waits double, and the policy's
    # attempts run out, rather than reconnecting at the first wait forever.
    waits = [event for event in events if not event.connected]
    assert [event.attempt for event in waits] == [1, 2, 3, 4]
    assert server.connections == 5  # the first, and one for each attempt


def test_a_message_over_max_message_bytes_ends_the_stream_with_a_typed_error(
    scripted: Callable[..., ScriptedServer],
) -> None:
    big = json.dumps({"iterable": [{"asset": {"id": "x" * 2000}}]})
    fragments = [big[:1000], big[1000:]]  # each fragment is under the limit, the message is not

    def handler(connection: ServerConnection, number: int) -> None:
        connection.send(identifiers("small"))
        connection.send(fragments if number == 1 else big)
        server.release.wait(WAIT)

    server = scripted(handler)
    for _ in range(2):
        with api_for(server.url).assets_stream_identifiers(max_message_bytes=1500) as stream:
            first = stream.next_message(timeout=WAIT)
            assert first is not None and first_id(first) == "small"
            with pytest.raises(StreamMessageTooLargeError) as raised:
                stream.next_message(timeout=WAIT)
            assert stream.closed
        error = raised.value
        assert error.size > 1500 and error.limit == 1500
        assert "max_message_bytes=1500" in str(error) and "/assets/stream/identifiers" in str(error)
    assert server.connections == 2  # never reconnected: it would meet the same message again
    with pytest.raises(ApiValueError, match="max_message_bytes"):
        api_for(server.url).assets_stream_identifiers(max_message_bytes=0)


def test_a_stream_dropped_without_close_is_released_with_a_resource_warning(
    scripted: Callable[..., ScriptedServer],
) -> None:
    closed = threading.Event()

    def handler(connection: ServerConnection, number: int) -> None:
        connection.send(identifiers("a"))
        try:
            connection.recv()
        except Exception:  # noqa: BLE001 (the client went away, as expected)
            closed.set()

    server = scripted(handler)
    stream = api_for(server.url).assets_stream_identifiers()
    assert stream.next_message(timeout=WAIT) is not None
    reader = stream._connection.reader
    with pytest.warns(ResourceWarning, match="unclosed <Stream assets_stream_identifiers"):
        del stream
        gc.collect()
    reader.join(WAIT)
    assert not reader.is_alive()
    assert closed.wait(WAIT)


# ----- keepalive -----------------------------------------------------------------------------
class UnresponsivePeer:
    """Completes the WebSocket handshake, sends one message, then never reads again (no pongs)."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.accepted: List[socket.socket] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        from websockets.http11 import Request
        from websockets.server import ServerProtocol

        while True:
            try:
                sock, _ = self.listener.accept()
            except OSError:
                return
            self.accepted.append(sock)
            protocol = ServerProtocol()
            events: List[Any] = []
            while not events:
                protocol.receive_data(sock.recv(65536))
                events = protocol.events_received()
            assert isinstance(events[0], Request)
            protocol.send_response(protocol.accept(events[0]))
            protocol.send_text(identifiers("a").encode())
            sock.sendall(b"".join(protocol.data_to_send()))

    def close(self) -> None:
        self.listener.close()
        for sock in self.accepted:
            sock.close()


def test_a_peer_that_stops_answering_pings_is_treated_as_lost() -> None:
    peer = UnresponsivePeer()
    events: List[ReconnectEvent] = []
    lost = threading.Event()

    def on_reconnect(event: ReconnectEvent) -> None:
        events.append(event)
        lost.set()

    try:
        with api_for(peer.url).assets_stream_identifiers(
            reconnect=FAST, on_reconnect=on_reconnect, ping_interval=0.1
        ) as stream:
            assert stream.next_message(timeout=WAIT) is not None
            assert lost.wait(WAIT)
    finally:
        peer.close()
    assert isinstance(events[0].error, ApiTimeoutError) and "ping" in str(events[0].error)


def test_pings_keep_a_quiet_but_live_connection_open(scripted: Callable[..., ScriptedServer]) -> None:
    def handler(connection: ServerConnection, number: int) -> None:
        connection.send(identifiers("a"))
        server.release.wait(WAIT)

    server = scripted(handler, ping_interval=None)
    events: List[ReconnectEvent] = []
    with api_for(server.url).assets_stream_identifiers(
        reconnect=FAST, on_reconnect=events.append, ping_interval=0.05
    ) as stream:
        assert stream.next_message(timeout=WAIT) is not None
        # Twenty ping intervals of silence from the server: each ping is answered, nothing is lost.
        assert stream.next_message(timeout=1.0) is None
    assert events == [] and server.connections == 1


# ----- TLS -----------------------------------------------------------------------------------
def test_https_hosts_stream_over_wss_with_the_configured_ca(
    scripted: Callable[..., ScriptedServer], tmp_path: Any
) -> None:
    import ssl

    import trustme

    authority = trustme.CA()
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    authority.issue_cert("127.0.0.1").configure_cert(server_context)
    ca_file = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(ca_file))

    def handler(connection: ServerConnection, number: int) -> None:
        connection.send(identifiers("secure"))
        server.release.wait(WAIT)

    server = scripted(handler, ssl=server_context)
    https = server.url.replace("http://", "https://")
    with api_for(https, ssl_ca_cert=str(ca_file)).assets_stream_identifiers() as stream:
        assert stream.url.startswith("wss://")
        message = stream.next_message(timeout=WAIT)
    assert message is not None and first_id(message) == "secure"
    with pytest.raises(ApiConnectionError, match="TLS"):
        api_for(https).assets_stream_identifiers()
    with api_for(https, verify_ssl=False).assets_stream_identifiers() as stream:
        assert stream.next_message(timeout=WAIT) is not None
    with pytest.raises(ApiValueError, match="ssl_ca_cert"):
        api_for(https, ssl_ca_cert=str(tmp_path / "missing.pem")).assets_stream_identifiers()


# ----- proxy ---------------------------------------------------------------------------------
def test_credentials_in_the_proxy_url_authenticate_the_stream_tunnel(scripted: Callable[..., ScriptedServer]) -> None:
    def handler(connection: ServerConnection, number: int) -> None:
        connection.send(identifiers("via-proxy"))
        server.release.wait(WAIT)

    server = scripted(handler)
    with AuthProxy("user", "s3cr:et") as proxy:
        with api_for(server.url, proxy=proxy.url_with_credentials).assets_stream_identifiers() as stream:
            message = stream.next_message(timeout=WAIT)
    assert message is not None and first_id(message) == "via-proxy"
    assert proxy.seen == [Seen("CONNECT", f"127.0.0.1:{server.port}", proxy.expected_authorization)]


def test_proxy_headers_authenticate_the_stream_tunnel(scripted: Callable[..., ScriptedServer]) -> None:
    def handler(connection: ServerConnection, number: int) -> None:
        connection.send(identifiers("via-proxy"))
        server.release.wait(WAIT)

    server = scripted(handler)
    with AuthProxy("user", "pw") as proxy:
        api = api_for(server.url, proxy=proxy.url, proxy_headers={"Proxy-Authorization": proxy.expected_authorization})
        with api.assets_stream_identifiers() as stream:
            message = stream.next_message(timeout=WAIT)
    assert message is not None and first_id(message) == "via-proxy"
    assert [seen.proxy_authorization for seen in proxy.seen] == [proxy.expected_authorization]


def test_a_refused_tunnel_names_the_proxy_but_not_its_password(scripted: Callable[..., ScriptedServer]) -> None:
    server = scripted(lambda connection, number: None)
    with AuthProxy("user", "right") as proxy:
        wrong = proxy.url_with_credentials.replace("right", "wrong-s3cret")
        with pytest.raises(ApiConnectionError) as raised:
            api_for(server.url, proxy=wrong).assets_stream_identifiers()
    message = str(raised.value)
    assert "407" in message and f"127.0.0.1:{proxy.port}" in message
    assert "wrong-s3cret" not in message and "wrong-s3cret" not in repr(raised.value)


# ----- close and the receive queue -----------------------------------------------------------
def wait_until_blocked(threads: List[threading.Thread]) -> None:
    """Return once every thread waits on a condition (inside ``threading.Condition.wait``)."""
    import sys
    import time

    def waiting(thread: threading.Thread) -> bool:
        frame = sys._current_frames().get(thread.ident or 0)
        while frame is not None:
            if frame.f_code.co_name == "wait" and frame.f_code.co_filename == threading.__file__:
                return True
            frame = frame.f_back
        return False

    deadline = time.monotonic() + WAIT
    while not all(waiting(thread) for thread in threads):
        assert time.monotonic() < deadline, "the consumer threads never started waiting"
        time.sleep(0.01)


def test_close_wakes_every_thread_waiting_in_iteration_or_next_message(scripted: Callable[..., ScriptedServer]) -> None:
    def handler(connection: ServerConnection, number: int) -> None:
        server.release.wait(WAIT * 3)  # connected, but never sends

    server = scripted(handler)
    stream = api_for(server.url).assets_stream_identifiers()
    ended: List[str] = []

    def iterate() -> None:
        for _ in stream:
            pass
        ended.append("iteration")

    def wait_for_message() -> None:
        try:
            stream.next_message()
        except StreamClosedError:
            ended.append("next_message")

    def wait_with_timeout() -> None:
        try:
            stream.next_message(timeout=WAIT * 3)
        except StreamClosedError:
            ended.append("next_message(timeout)")

    threads = [threading.Thread(target=target, daemon=True) for target in [iterate] * 2 + [wait_for_message] * 2 + [wait_with_timeout] * 2]
    for thread in threads:
        thread.start()
    wait_until_blocked(threads)
    stream.close()
    for thread in threads:
        thread.join(WAIT)
    assert [thread for thread in threads if thread.is_alive()] == []
    assert sorted(ended) == sorted(["iteration"] * 2 + ["next_message"] * 2 + ["next_message(timeout)"] * 2)


def assets_named(name: str) -> str:
    return json.dumps({"iterable": [{**minimal_instance("Asset"), "id": name}]})


def first_asset_id(message: Any) -> str:
    return str(message.iterable[0].id)


@pytest.mark.parametrize(("max_queued", "bound"), [(5, 5), (None, 8)])
def test_a_snapshot_stream_keeps_only_the_newest_snapshots_for_a_consumer_that_stopped_reading(
    scripted: Callable[..., ScriptedServer], max_queued: Any, bound: int
) -> None:
    flushed = threading.Event()

    def handler(connection: ServerConnection, number: int) -> None:
        for i in range(300):
            connection.send(assets_named(f"snapshot-{i}"))
        # The close handshake completes once the client has read every frame before it.
        connection.close()
        flushed.set()

    server = scripted(handler)
    with api_for(server.url).stream_assets(reconnect=False, max_queued=max_queued) as stream:
        assert flushed.wait(WAIT)
        assert stream.max_queued == bound
        assert stream.queued == bound and stream.superseded == 300 - bound
        received = [first_asset_id(message) for message in stream]
    assert received == [f"snapshot-{i}" for i in range(300 - bound, 300)]


def test_the_identifiers_stream_never_drops_a_change_but_stops_reading_when_its_queue_is_full(
    scripted: Callable[..., ScriptedServer],
) -> None:
    sent = threading.Event()

    def handler(connection: ServerConnection, number: int) -> None:
        for i in range(200):
            connection.send(identifiers(f"id-{i}"))
        sent.set()
        server.release.wait(WAIT * 3)

    server = scripted(handler)
    with api_for(server.url).assets_stream_identifiers(max_queued=10) as stream:
        assert sent.wait(WAIT)
        first = stream.next_message(timeout=WAIT)
        assert first is not None
        # The reader thread waits for room instead of growing the queue.
        assert stream.queued <= 10
        received = [first_id(first)]
        while len(received) < 200:
            message = stream.next_message(timeout=WAIT)
            assert message is not None
            assert stream.queued <= 10
            received.append(first_id(message))
        assert stream.superseded == 0
    assert received == [f"id-{i}" for i in range(200)]


def test_max_queued_is_checked(scripted: Callable[..., ScriptedServer]) -> None:
    for bad in (0, -1, 1.5, True):
        with pytest.raises(ApiValueError, match="max_queued"):
            api_for("http://127.0.0.1:9").stream_assets(max_queued=bad)


def test_what_a_stream_does_with_its_messages_comes_from_the_operations_declaration(
    scripted: Callable[..., ScriptedServer],
) -> None:
    flushed = threading.Event()

    def handler(connection: ServerConnection, number: int) -> None:
        for i in range(20):
            connection.send(identifiers(f"id-{i}"))
        connection.close()
        flushed.set()

    server = scripted(handler)
    client = ApiClient(Configuration(host=server.url))
    # The identifiers path declared as snapshots: the newest supersede the rest, as for Assets.
    as_snapshots: Operation[StreamedIdentifiers] = Operation(
        name="identifiers_as_snapshots", method="GET", path="/assets/stream/identifiers",
        returns="StreamedIdentifiers", accept="application/json", messages="snapshots",
    )
    with Stream(client, as_snapshots, reconnect=False) as stream:
        assert flushed.wait(WAIT)
        assert stream.max_queued == 8 and stream.superseded == 12
        assert [first_id(message) for message in stream] == [f"id-{i}" for i in range(12, 20)]
    undeclared: Operation[StreamedIdentifiers] = Operation(
        name="undeclared", method="GET", path="/assets/stream/identifiers",
        returns="StreamedIdentifiers", accept="application/json",
    )
    with pytest.raises(ApiValueError, match="undeclared"):
        Stream(client, undeclared)
    assert server.connections == 1  # refused before connecting


def test_a_stream_operation_s_other_variants_send_the_plain_get_as_the_generated_sdk_did(
    emulator: PiecesOSEmulator, assets_api: AssetsApi
) -> None:
    """``op_with_http_info`` and ``op_without_preload_content`` of a WebSocket operation exist, as in
    the generated SDK, and send a plain GET (the emulator answers 426 Upgrade Required)."""
    raw = assets_api.assets_stream_identifiers_without_preload_content(_request_timeout=5)
    assert raw.status == 426
    with pytest.raises(ApiException) as raised:
        assets_api.stream_assets_with_http_info(_request_timeout=5)
    assert raised.value.status == 426
