"""The garbage collector pause around large parses: paused while any parse runs, always restored,
and never turning on a collector the program turned off."""
from __future__ import annotations

import gc
import json
import threading
from typing import Callable, Iterator, List

import pytest
from pydantic import BaseModel, ValidationError, field_validator
from pytest_httpserver import HTTPServer
from support.httpserver_helpers import base_url, make_client, minimal_instance

from pieces_os_client import ApiClient, Assets, AssetsApi, Configuration, _collector
from pieces_os_client.exceptions import ApiDecodeError

LARGE = _collector.MIN_CHARS


def collecting() -> bool:
    """Whether automatic collection runs now: enabled, and not paused (a first threshold of 0)."""
    return gc.isenabled() and gc.get_threshold()[0] != 0


class Observed(BaseModel):
    """Its validator runs in the middle of the parse and reports what it sees there."""

    text: str

    @field_validator("text")
    @classmethod
    def _observe(cls, value: str) -> str:
        _observer(value)
        return value


def _note_state(value: str) -> None:
    seen.append(collecting())
    if value.strip() == "fail":
        raise ValueError("rejected on purpose")


_observer: Callable[[str], None] = _note_state
seen: List[bool] = []


def body(size: int, text: str = "x") -> str:
    return json.dumps({"text": text + " " * max(0, size - len(text) - 12)})


@pytest.fixture(autouse=True)
def collector_on() -> Iterator[None]:
    global _observer
    was_enabled, thresholds = gc.isenabled(), gc.get_threshold()
    gc.enable()
    seen.clear()
    _observer = _note_state
    yield
    _observer = _note_state
    gc.set_threshold(*thresholds)
    if not was_enabled:
        gc.disable()


@pytest.fixture
def client() -> Iterator[ApiClient]:
    with ApiClient(Configuration(host="http://127.0.0.1:9")) as api_client:
        yield api_client


def test_a_large_parse_runs_with_the_collector_paused_and_resumes_it(client: ApiClient) -> None:
    parsed = client.deserialize(body(LARGE), Observed)
    assert parsed.text.startswith("x")
    assert seen == [False]
    assert collecting()


def test_a_small_parse_leaves_the_collector_alone(client: ApiClient) -> None:
    client.deserialize(body(LARGE // 2), Observed)
    assert seen == [True]


def test_the_configuration_switch_turns_the_pause_off() -> None:
    with ApiClient(Configuration(host="http://127.0.0.1:9", pause_gc=False)) as client:
        client.deserialize(body(LARGE * 2), Observed)
    assert seen == [True]


def test_the_collector_is_resumed_when_the_parse_fails(client: ApiClient) -> None:
    with pytest.raises(ValidationError):
        client.deserialize(body(LARGE, "fail"), Observed)
    assert seen == [False]
    assert collecting()
    with pytest.raises(ValueError):
        client.deserialize(b"{" + b" " * LARGE, Observed)
    assert collecting()


def test_a_collector_the_program_disabled_stays_disabled(client: ApiClient) -> None:
    gc.disable()
    client.deserialize(body(LARGE), Observed)
    with pytest.raises(ValidationError):
        client.deserialize(body(LARGE, "fail"), Observed)
    assert seen == [False, False]
    assert not gc.isenabled()


def test_threads_parsing_at_once_resume_the_collector_only_after_the_last(client: ApiClient) -> None:
    global _observer
    threads = 4
    all_inside = threading.Barrier(threads, timeout=10)
    first_finished = threading.Event()
    states: List[bool] = []

    def observe(value: str) -> None:
        value = value.strip()
        states.append(collecting())
        all_inside.wait()  # every parse has started before any ends
        if value != "first":
            assert first_finished.wait(timeout=10)
            states.append(collecting())
        if value == "fail":
            raise ValueError("rejected on purpose")

    _observer = observe
    errors: List[BaseException] = []

    def parse(text: str) -> None:
        try:
            client.deserialize(body(LARGE, text), Observed)
        except ValidationError as error:
            errors.append(error)

    texts = ["first", "fail"] + ["other"] * (threads - 2)
    workers = [threading.Thread(target=parse, args=(text,)) for text in texts]
    for worker in workers:
        worker.start()
    workers[0].join(timeout=10)
    assert not workers[0].is_alive()
    assert not collecting()  # one parse ended, three still run
    first_finished.set()
    for worker in workers[1:]:
        worker.join(timeout=10)
    assert not any(worker.is_alive() for worker in workers)
    assert states == [False] * (2 * threads - 1)
    assert len(errors) == 1
    assert collecting()


def lenient_snapshot() -> str:
    """A snapshot over the pause's size whose timestamps only the lenient parser reads, so Python
    code runs for every asset during the parse."""
    stamp = {"value": "May 13 2024 10:15:30 UTC"}
    asset = json.dumps({**minimal_instance("Asset"), "created": stamp, "updated": stamp})
    text = json.dumps({"iterable": [json.loads(asset)] * (LARGE // len(asset) + 1)})
    assert len(text) >= LARGE
    return text


def test_a_large_snapshot_call_gives_the_same_assets_paused_or_not(httpserver: HTTPServer) -> None:
    payload = lenient_snapshot().encode()
    httpserver.expect_request("/assets").respond_with_data(payload, content_type="application/json")
    with make_client(base_url(httpserver)) as paused, make_client(base_url(httpserver), pause_gc=False) as plain:
        with_pause = AssetsApi(paused).assets_snapshot()
        assert collecting()
        without = AssetsApi(plain).assets_snapshot()
    assert with_pause == without == Assets.from_json(payload.decode())
    assert collecting()


def test_a_large_body_that_does_not_fit_resumes_the_collector(httpserver: HTTPServer) -> None:
    payload = json.dumps({"iterable": [{"id": "x" * 100}] * (LARGE // 100)}).encode()
    httpserver.expect_request("/assets").respond_with_data(payload, content_type="application/json")
    with make_client(base_url(httpserver)) as client:
        with pytest.raises(ApiDecodeError):
            AssetsApi(client).assets_snapshot()
    assert collecting()


def test_a_collector_the_program_disables_during_a_parse_stays_disabled(client: ApiClient) -> None:
    global _observer

    def disable(value: str) -> None:
        seen.append(collecting())
        gc.disable()

    _observer = disable
    client.deserialize(body(LARGE), Observed)
    assert seen == [False]
    assert not gc.isenabled()


def test_thresholds_the_program_sets_during_a_parse_are_kept(client: ApiClient) -> None:
    global _observer
    _observer = lambda value: gc.set_threshold(5000, 20, 20)  # noqa: E731
    client.deserialize(body(LARGE), Observed)
    assert gc.get_threshold() == (5000, 20, 20)


def test_cycles_other_threads_make_during_a_parse_are_collected_after_it(client: ApiClient) -> None:
    global _observer
    collected = threading.Event()

    class Cycle:
        def __init__(self) -> None:
            self.me = self

        def __del__(self) -> None:
            collected.set()

    def make_garbage(value: str) -> None:
        thread = threading.Thread(target=Cycle)
        thread.start()
        thread.join()
        assert not collected.is_set()  # nothing collects while the parse runs

    _observer = make_garbage
    client.deserialize(body(LARGE), Observed)
    # Automatic collection, resumed, gets to the cycle as the program allocates (and keeps what
    # it allocates: objects freed at once take back the count that sets off a pass).
    kept = []
    for _ in range(100):
        kept.append([[] for _ in range(1000)])
        if collected.is_set():
            break
    assert collected.is_set()


def test_from_json_of_a_large_snapshot_restores_the_collector_under_either_default() -> None:
    text = lenient_snapshot()
    with_pause = Assets.from_json(text)
    assert collecting()
    Configuration.set_default(Configuration(pause_gc=False))
    try:
        without = Assets.from_json(text)
    finally:
        Configuration.set_default(None)
    assert with_pause == without
    assert with_pause.iterable[0].created.value.year == 2024
    gc.disable()
    Assets.from_json(text)
    assert not gc.isenabled()
