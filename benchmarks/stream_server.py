"""The emulator (``pieces_os_client.testing``) in its own process, noting when it sends each
stream message.

    python stream_server.py   # prints the emulator's URL, serves until stdin closes, then
                              # prints a JSON list: the send time of every stream message

A send time is ``time.perf_counter()`` (CLOCK_MONOTONIC on Linux, the same clock in every
process) taken when Starlette's ``WebSocket.send_text`` returns: the frame has been written to
the socket. The consumer reads the same clock when a parsed message reaches it, so the
difference is the client's side of the delay: the loopback hop, reading the frame, parsing,
and handing the object to the consumer's thread.
"""
from __future__ import annotations

import json
import sys
import time
from typing import List

from starlette.websockets import WebSocket

from pieces_os_client.testing import PiecesOSEmulator

SENT: List[float] = []
_send_text = WebSocket.send_text


async def _timed_send_text(self: WebSocket, data: str) -> None:
    await _send_text(self, data)
    SENT.append(time.perf_counter())


def main() -> None:
    WebSocket.send_text = _timed_send_text  # type: ignore[method-assign, assignment]
    with PiecesOSEmulator() as emulator:
        print(emulator.url, flush=True)
        sys.stdin.read()
    print(json.dumps(SENT), flush=True)


if __name__ == "__main__":
    main()
