"""The emulator (``pieces_os_client.testing``) in its own process, noting when it sends each
stream message; one process serves every section of a run that needs an emulator.

    python stream_server.py   # prints the emulator's URL, then answers commands on stdin:
      reset                   #   delete every asset and forget the send times; prints "ok"
      sent COUNT              #   once COUNT messages have gone (5 s at most), prints a JSON
                              #   list: the send time of every stream message since the reset
                              # and stops when stdin closes

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


def time_sends() -> None:
    """Note in ``SENT`` when every stream message of this process has been sent."""
    WebSocket.send_text = _timed_send_text  # type: ignore[method-assign, assignment]


def sent(count: int) -> List[float]:
    """``SENT`` once it has ``count`` times, or after 5 s: the last append follows the last
    frame's write by a moment of the event loop."""
    deadline = time.monotonic() + 5
    while len(SENT) < count and time.monotonic() < deadline:
        time.sleep(0.001)
    return list(SENT)


def main() -> None:
    time_sends()
    with PiecesOSEmulator() as emulator:
        print(emulator.url, flush=True)
        for line in sys.stdin:
            command, *arguments = line.split()
            if command == "reset":
                emulator.reset()
                SENT.clear()
                print("ok", flush=True)
            elif command == "sent":
                print(json.dumps(sent(int(arguments[0]))), flush=True)
            else:
                raise SystemExit(f"unknown command {command!r}")


if __name__ == "__main__":
    main()
