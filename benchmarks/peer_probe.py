"""The same measurements of either SDK: ``run.py --peer`` runs this file with the python of the
official SDK's venv and with ours, and compares what the two print (one JSON line).

    python peer_probe.py parse FILE REPEAT              # parse the snapshot in FILE, then write it
    python peer_probe.py calls URL ASSET COUNT ROUNDS   # COUNT fetches of one asset, in ROUNDS batches

Only the names both SDKs have are used (module paths, ``ApiClient.deserialize`` with a content
type, ``from_json``/``to_json``, ``AssetsApi``), and nothing of this directory is imported, so
that the official SDK's interpreter runs it isolated (``python -I``) from our checkout.
"""
from __future__ import annotations

import gc
import json
import sys
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional


def parse(path: str, repeat: int) -> Dict[str, Any]:
    """The parse of a response (the text a body decodes to, as the official ``ApiClient``
    passes it on), ``Assets.from_json`` of the same text, and ``to_json`` of the result; each
    done once before timing, then ``repeat`` rounds in a rotating order."""
    from pieces_os_client.api_client import ApiClient
    from pieces_os_client.configuration import Configuration
    from pieces_os_client.models.assets import Assets

    raw = Path(path).read_bytes()
    client = ApiClient(Configuration(host="http://127.0.0.1:1"))
    ways: Dict[str, Callable[[], Any]] = {
        "deserialize": lambda: client.deserialize(raw.decode("utf-8"), "Assets", "application/json"),
        "from_json": lambda: Assets.from_json(raw.decode("utf-8")),
    }
    snapshot = ways["from_json"]()
    to_json_error: Optional[str] = None
    try:
        snapshot.to_json()
    except Exception as error:  # the figure is then what fails, and how
        to_json_error = f"{type(error).__name__}: {error}".splitlines()[0][:120]
    else:
        ways["to_json"] = snapshot.to_json
    for way in ways.values():  # warm-up: validators built, memory the parse needs mapped
        way()
    samples: Dict[str, List[float]] = {name: [] for name in ways}
    names = list(ways)
    for round_number in range(repeat):
        shift = round_number % len(names)
        for name in names[shift:] + names[:shift]:
            gc.collect()
            start = time.perf_counter()
            ways[name]()
            samples[name].append(time.perf_counter() - start)
    return {"samples": samples, "to_json_error": to_json_error, "bytes": len(raw)}


def calls(url: str, asset_id: str, count: int, rounds: int) -> Dict[str, Any]:
    """Seconds of wall and of this process's CPU per call, for each of ``rounds`` batches of
    ``assets_specific_asset_snapshot`` after one untimed call (validators, a connection open)."""
    from pieces_os_client.api.assets_api import AssetsApi
    from pieces_os_client.api_client import ApiClient
    from pieces_os_client.configuration import Configuration

    api = AssetsApi(ApiClient(Configuration(host=url)))
    api.assets_specific_asset_snapshot(asset_id)
    per_round = max(1, count // rounds)
    wall: List[float] = []
    cpu: List[float] = []
    for _ in range(rounds):
        gc.collect()
        start, start_cpu = time.perf_counter(), time.process_time()
        for _ in range(per_round):
            api.assets_specific_asset_snapshot(asset_id)
        wall.append((time.perf_counter() - start) / per_round)
        cpu.append((time.process_time() - start_cpu) / per_round)
    return {"wall": wall, "cpu": cpu}


def main(argv: List[str]) -> None:
    kind, args = argv[0], argv[1:]
    if kind == "parse":
        result = parse(args[0], int(args[1]))
    elif kind == "calls":
        result = calls(args[0], args[1], int(args[2]), int(args[3]))
    else:
        raise SystemExit(f"unknown probe {kind!r}")
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
