"""Every exception of the SDK crosses a process boundary (multiprocessing, process pools) intact."""
from __future__ import annotations

import inspect
import pickle
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from typing import Callable, Dict, List, Type

import pytest

from pieces_os_client import exceptions, streams
from pieces_os_client.exceptions import ApiException, ApiTransportError, ApiTypeError, OpenApiException
from pieces_os_client.streams import StreamMessageError

MAKERS: Dict[str, Callable[[Type[OpenApiException]], OpenApiException]] = {
    "argument": lambda cls: cls("`asset` of `op` is not valid", ["seed", "asset", 0]),
    "type": lambda cls: cls("`asset` must be str", ["asset"], (str,), False),
    "transport": lambda cls: cls("could not connect", host="http://h:1", method="GET", url="http://h:1/assets"),
    "status": lambda cls: cls(
        status=418, reason="teapot", body=b"\xffnot utf-8", headers={"Set-Cookie": "s=1", "X-A": "b"},
        method="POST", url="http://h:1/assets/create",
    ),
    "stream message": lambda cls: cls("1 problem: id: Field required", b'{"x": 1}', "ws://h:1/assets/stream"),
    "plain": lambda cls: cls("the stream has ended"),
}


def _maker(cls: Type[OpenApiException]) -> str:
    if issubclass(cls, StreamMessageError):
        return "stream message"
    if issubclass(cls, ApiException):
        return "status"
    if issubclass(cls, ApiTransportError):
        return "transport"
    if issubclass(cls, ApiTypeError):
        return "type"
    if issubclass(cls, exceptions._ArgumentError):
        return "argument"
    return "plain"


def _exception_classes() -> List[Type[OpenApiException]]:
    found = set()
    for module in (exceptions, streams):
        for _, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, OpenApiException):
                found.add(value)
    return sorted(found, key=lambda cls: cls.__name__)


CLASSES = _exception_classes()


def test_the_classes_under_test_are_the_whole_tree() -> None:
    names = {cls.__name__ for cls in CLASSES}
    assert {"OpenApiException", "ApiDecodeError", "StreamMessageError", "StreamClosedError", "GoneException"} <= names
    assert len(CLASSES) >= 20


@pytest.mark.parametrize("cls", CLASSES, ids=[cls.__name__ for cls in CLASSES])
def test_every_exception_pickles_with_its_message_and_attributes(cls: Type[OpenApiException]) -> None:
    error = MAKERS[_maker(cls)](cls)
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is cls
    assert str(copy) == str(error)
    assert copy.args == error.args
    assert vars(copy) == vars(error)


def _parse_in_a_worker() -> None:
    raise StreamMessageError("1 problem: id: Field required", b'{"x": 1}', "ws://h:1/assets/stream")


def test_a_stream_message_error_raised_in_a_process_pool_arrives_whole() -> None:
    # spawn: forking a process that runs threads (a test worker does) may deadlock the child.
    with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
        future = pool.submit(_parse_in_a_worker)
        with pytest.raises(StreamMessageError) as caught:
            future.result(timeout=30)
    assert caught.value.raw == '{"x": 1}'
    assert caught.value.url == "ws://h:1/assets/stream"
    assert "Field required" in str(caught.value)
