"""Measurements that need a process of their own; ``run.py`` starts them and reads one JSON line.

    python probes.py parse COUNT REPEAT      # SDK parse/serialize paths vs pydantic, same bytes
    python probes.py memory FILE WAY         # peak memory of parsing FILE: sdk, json or plain
    python probes.py calls URL COUNT ROUNDS  # sequential calls: SDK vs bare urllib3
    python probes.py threads URL COUNT THREADS ROUNDS
    python probes.py stream URL COUNT        # consume COUNT identifiers messages, then time parsing
    python probes.py paths                   # Python calls of a parse, collector passes of a large one
"""
from __future__ import annotations

import gc
import json
import resource
import statistics
import sys
import threading
import time
from functools import partial
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parent))

import data  # noqa: E402


def _median_time(function: Callable[[], Any], repeat: int, collected: bool = False) -> float:
    """The median wall time of ``function``; with ``collected``, of ``function`` and then a full
    collection: the collection a parse leaves behind (as the collector pause does) is the next
    step's cost otherwise, so it is counted where it is made, for every way alike."""
    times: List[float] = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        result = function()
        if collected:
            gc.collect()
        times.append(time.perf_counter() - start)
        del result
    return statistics.median(times)


def parse(count: int, repeat: int) -> Dict[str, Any]:
    """The SDK's parse and serialize paths against plain pydantic models of the same spec
    (``plain_models.py``: standard datetime and Enum fields, unknown fields ignored), on the same
    bytes, with the garbage collector on as in any program, each parse timed together with the
    collection it leaves behind."""
    import plain_models

    from pieces_os_client import ApiClient, Assets, Configuration

    raw = data.snapshot_json(count)
    client = ApiClient(Configuration(host="http://127.0.0.1:1"))
    # Build every validator first: this compares steady-state parsing, not first use.
    client.deserialize(raw, "Assets")
    snapshot = Assets.from_json(raw)
    plain = plain_models.Assets.model_validate_json(raw)
    ways: Dict[str, Callable[[], Any]] = {
        "deserialize": lambda: client.deserialize(raw, "Assets"),
        "from_json": lambda: Assets.from_json(raw),
        "plain": lambda: plain_models.Assets.model_validate_json(raw),
        "to_json": snapshot.to_json,
        "plain_dump": lambda: plain.model_dump_json(by_alias=True, exclude_none=True),
    }
    results: Dict[str, List[float]] = {name: [] for name in ways}
    # Interleaved, in a rotating order, so that neither a slow moment of the machine nor the
    # clean-up of the previous way's objects favours one way.
    names = list(ways)
    for round_number in range(repeat):
        shift = round_number % len(names)
        for name in names[shift:] + names[:shift]:
            results[name].append(_median_time(ways[name], 1, collected=True))
    return {"samples": results, "bytes": len(raw)}


def _rss_peak_kb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _rss_now_kb() -> int:
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * resource.getpagesize() // 1024


def memory(path: str, way: str) -> Dict[str, Any]:
    """Resident memory growth while parsing the snapshot in ``path`` (read from a file, so no
    earlier peak of building it hides the parse), and what stays resident afterwards."""
    from pieces_os_client import Assets

    raw = Path(path).read_bytes()
    if way == "plain":  # plain pydantic models of the same spec: what any pydantic model holds
        import plain_models

        parse: Callable[[bytes], Any] = plain_models.Assets.model_validate_json
    else:
        parse = Assets.from_json if way == "sdk" else json.loads
    parse(data.snapshot_json(1))
    gc.collect()
    before = _rss_now_kb()
    kept = parse(raw)
    peak = _rss_peak_kb()
    after = _rss_now_kb()
    del kept
    return {"bytes": len(raw), "peak_growth_kb": peak - before, "retained_kb": after - before}


def _call_loops(url: str, count: int, pool_size: int) -> Tuple[Callable[[], None], Callable[[], None]]:
    """Two loops of ``count`` fetches of one asset: through the SDK, and on a bare urllib3 pool
    with pydantic parsing the body; both warmed up (validators built, a connection open)."""
    import urllib3

    from pieces_os_client import ApiClient, Asset, AssetsApi, Configuration

    asset_id = json.loads(data.asset_json())["id"]
    api = AssetsApi(ApiClient(Configuration(host=url)))
    pool = urllib3.PoolManager(maxsize=pool_size)
    bare_url = f"{url}/assets/{asset_id}"

    def sdk() -> None:
        for _ in range(count):
            api.assets_specific_asset_snapshot(asset_id)

    def bare() -> None:
        for _ in range(count):
            Asset.model_validate_json(pool.request("GET", bare_url).data)

    api.assets_specific_asset_snapshot(asset_id)
    Asset.model_validate_json(pool.request("GET", bare_url).data)
    return sdk, bare


def calls(url: str, count: int, rounds: int) -> Dict[str, Any]:
    """``count`` calls each way, in ``rounds`` interleaved batches: the wall time of each batch,
    and the CPU time this process spent in it (the client's own work: the server is another
    process)."""
    sdk, bare = _call_loops(url, count // rounds, 1)
    times: Dict[str, List[float]] = {"sdk": [], "bare": [], "sdk_cpu": [], "bare_cpu": []}
    for round_number in range(rounds):
        for name, loop in (("sdk", sdk), ("bare", bare)) if round_number % 2 == 0 else (("bare", bare), ("sdk", sdk)):
            gc.collect()
            cpu = time.process_time()
            times[name].append(_median_time(loop, 1))
            times[name + "_cpu"].append(time.process_time() - cpu)
    return {"samples": times}


def threads(url: str, count: int, workers: int, rounds: int) -> Dict[str, Any]:
    """``count`` calls each way from ``workers`` threads, in ``rounds`` interleaved batches: the
    throughput of each batch."""
    per_thread = count // (workers * rounds)
    sdk_worker, bare_worker = _call_loops(url, per_thread, workers)

    def run(worker: Callable[[], None]) -> float:
        pool_threads = [threading.Thread(target=worker) for _ in range(workers)]
        start = time.perf_counter()
        for thread in pool_threads:
            thread.start()
        for thread in pool_threads:
            thread.join()
        return per_thread * workers / (time.perf_counter() - start)

    sdk_rates: List[float] = []
    bare_rates: List[float] = []
    for round_number in range(rounds):
        for worker in (sdk_worker, bare_worker) if round_number % 2 == 0 else (bare_worker, sdk_worker):
            (sdk_rates if worker is sdk_worker else bare_rates).append(run(worker))
    return {"samples": {"sdk": sdk_rates, "bare": bare_rates}}


def _per_call(ways: Dict[str, Callable[[], Any]], number: int, repeat: int = 9) -> Dict[str, List[float]]:
    """Seconds per call of each way, in ``repeat`` interleaved batches of ``number`` calls."""
    batches: Dict[str, List[float]] = {name: [] for name in ways}
    for _ in range(repeat):
        for name, function in ways.items():
            start = time.perf_counter()
            for _ in range(number):
                function()
            batches[name].append((time.perf_counter() - start) / number)
    return batches


def _say_ready() -> None:
    print("ready", flush=True)


def stream(url: str, count: int, ready: Callable[[], None] = _say_ready) -> Dict[str, Any]:
    """Receive ``count`` change messages on an identifiers stream, noting when each arrives.

    Calls ``ready`` (prints ``ready``) once the stream is open and its first message (the ids
    already there) has arrived; whoever started the probe then makes the changes.
    """
    from pieces_os_client import ApiClient, AssetsApi, Configuration, StreamedIdentifiers
    from pieces_os_client._models import type_adapter

    received: List[float] = []
    with ApiClient(Configuration(host=url)) as client:
        with AssetsApi(client).assets_stream_identifiers(reconnect=False) as messages:
            next(messages)
            ready()
            for _ in range(count):
                message = next(messages)
                received.append(time.perf_counter())
            raw = message.to_json().encode()
            # The parse the stream does for each message, and all it does with one (parse, track
            # the ids, hand it to the consumer's queue), against pydantic's own parse.
            adapter = type_adapter(StreamedIdentifiers)

            def handle() -> None:
                messages._connection._accept(raw)
                messages.next_message(timeout=0)

            samples = _per_call(
                {
                    "parse": lambda: adapter.validate_json(raw),
                    "floor": lambda: StreamedIdentifiers.model_validate_json(raw),
                    "handling": handle,
                },
                max(20, count * 5),
            )
    return {"received": received, "samples": samples, "bytes": len(raw)}


def _python_calls_into_the_sdk(function: Callable[[], Any]) -> List[str]:
    """The names of the SDK's model functions written in Python called while ``function`` runs."""
    from pieces_os_client import _fields, _models

    called: List[str] = []
    files = {_models.__file__, _fields.__file__}

    def profile(frame: Any, event: str, arg: Any) -> None:
        if event == "call" and frame.f_code.co_filename in files:
            called.append(frame.f_code.co_name)

    sys.setprofile(profile)
    try:
        function()
    finally:
        sys.setprofile(None)
    return called


def _collector_passes(function: Callable[[], Any]) -> int:
    passes = 0

    def callback(phase: str, info: Any) -> None:
        nonlocal passes
        passes += phase == "start"

    gc.callbacks.append(callback)
    try:
        function()
    finally:
        gc.callbacks.remove(callback)
    return passes


def paths() -> Dict[str, Any]:
    """How much of a parse runs as Python: the SDK functions called parsing and writing one asset
    whose timestamps (RFC 3339) and enum values are in Pieces OS's usual form (pydantic-core does
    it all), against one whose timestamps only python-dateutil reads; and the collector passes
    during a large snapshot parse with lenient timestamps (Python runs for every asset) with the
    collector pause and without it."""
    from pieces_os_client import ApiClient, Asset, Configuration
    from pieces_os_client._collector import MIN_CHARS

    usual = data.asset_json().decode()
    stamp = {"value": "May 13 2024 10:15:30 UTC"}
    lenient = json.dumps({**json.loads(usual), "created": stamp, "updated": stamp})
    Asset.model_validate_json(usual)
    Asset.model_validate_json(lenient)
    asset = Asset.model_validate_json(usual)
    calls = {
        "usual_parse": len(_python_calls_into_the_sdk(lambda: Asset.model_validate_json(usual))),
        "usual_write": len(_python_calls_into_the_sdk(lambda: asset.model_dump_json(by_alias=True))),
        "lenient_parse": len(_python_calls_into_the_sdk(lambda: Asset.model_validate_json(lenient))),
    }
    snapshot = json.dumps({"iterable": [json.loads(lenient)] * (2 * MIN_CHARS // len(lenient) + 1)}).encode()
    passes = {}
    for pause in (True, False):
        client = ApiClient(Configuration(host="http://127.0.0.1:1", pause_gc=pause))
        client.deserialize(snapshot, "Assets")
        gc.collect()
        passes["paused" if pause else "plain"] = _collector_passes(partial(client.deserialize, snapshot, "Assets"))
        client.close()
    return {"calls": calls, "passes": passes, "bytes": len(snapshot)}


def run(argv: List[str], ready: Callable[[], None] = _say_ready) -> Dict[str, Any]:
    """The result of the probe ``argv`` names (as on the command line), in this interpreter;
    ``ready`` is for ``stream``."""
    kind, args = argv[0], argv[1:]
    result: Dict[str, Any]
    if kind == "parse":
        result = parse(int(args[0]), int(args[1]))
    elif kind == "memory":
        result = memory(args[0], args[1])
    elif kind == "calls":
        result = calls(args[0], int(args[1]), int(args[2]))
    elif kind == "threads":
        result = threads(args[0], int(args[1]), int(args[2]), int(args[3]))
    elif kind == "stream":
        result = stream(args[0], int(args[1]), ready)
    elif kind == "paths":
        result = paths()
    else:
        raise SystemExit(f"unknown probe {kind!r}")
    return result


if __name__ == "__main__":
    print(json.dumps(run(sys.argv[1:])))
