"""Keep a live set of the user's snippet ids, as an IDE plugin's side panel would.

    python examples/live_count.py [SECONDS]

The identifiers stream delivers every id on connect, then each creation and deletion; the
callback runs on the stream's own thread, so the main thread stays free. If Pieces OS restarts,
the stream reconnects, and ids deleted meanwhile still arrive as deletions.
"""
import sys
import threading
import time

from pieces_os_client import ApiClient, AssetsApi, Configuration, StreamedIdentifiers


def main(seconds: float) -> int:
    ids = set()
    lock = threading.Lock()

    def on_message(message: StreamedIdentifiers) -> None:
        with lock:
            for item in message.iterable:
                if item.asset is None:
                    continue
                if item.deleted:
                    ids.discard(item.asset.id)
                else:
                    ids.add(item.asset.id)
            print(f"{len(ids)} snippets", flush=True)

    with ApiClient(Configuration()) as client:
        stream = AssetsApi(client).assets_stream_identifiers()
        stream.start(on_message, on_close=lambda: print("stream closed", flush=True))
        try:
            time.sleep(seconds)
        except KeyboardInterrupt:
            pass
        finally:
            stream.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(float(sys.argv[1]) if len(sys.argv) > 1 else 60.0))
