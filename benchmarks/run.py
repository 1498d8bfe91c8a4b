"""The performance benchmarks of pieces-os-client, each against its floor measured in the same run.

    python benchmarks/run.py            # the full run (about 2-3 minutes on 2 cores)
    python benchmarks/run.py --quick    # a smoke run: few repetitions, small sizes

Figures are medians of several repetitions. Import figures come from fresh interpreters, with
the bytecode of every module already cached (as after ``pip install``), so that both the SDK
and its floor pay for running their modules, not for compiling them. What each floor is, and
why, is in docs/performance.md.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List, NamedTuple, Optional, Sequence, Tuple

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import data  # noqa: E402

FLOOR_IMPORT = "import pydantic, urllib3, dateutil.parser, websocket, typing_extensions"
SDK_IMPORT = "from pieces_os_client import ApiClient, Configuration, AssetsApi, Asset, Seed"
# What any SDK of pydantic models pays before its own code runs: ``import pydantic`` is lazy and
# loads neither BaseModel nor FieldInfo; the first model class with a field loads both.
MODEL_FLOOR = (
    "import urllib3\n"
    "from pydantic import BaseModel, Field\n"
    "class Probe(BaseModel):\n"
    "    name: str = Field(default='', alias='n')"
)


class Row(NamedTuple):
    figure: str
    value: str
    floor: str
    ratio: Optional[float]  # value / floor, or floor / value for throughputs
    target: Optional[float]  # the ratio must be at most this
    note: str = ""

    @property
    def status(self) -> str:
        if self.ratio is None or self.target is None:
            return "report"
        return "met" if self.ratio <= self.target else "MISSED"


class Settings(NamedTuple):
    import_repeat: int
    parse_assets: int
    parse_repeat: int
    memory_assets: int
    calls: int
    call_rounds: int
    thread_calls: int
    stream_changes: int
    search_assets: int = 10000
    search_repeat: int = 7


FULL = Settings(import_repeat=16, parse_assets=2000, parse_repeat=7, memory_assets=10000, calls=2000,
                call_rounds=10, thread_calls=4000, stream_changes=1000)
QUICK = Settings(import_repeat=1, parse_assets=50, parse_repeat=1, memory_assets=200, calls=50,
                 call_rounds=1, thread_calls=80, stream_changes=20, search_assets=200, search_repeat=1)


def child_env() -> Dict[str, str]:
    """The environment of every measured child: bytecode caching on, the checkout importable."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def timed_process(code: str) -> Tuple[float, float]:
    """Wall time (s) and peak resident memory (MB) of ``python -c code`` in a fresh interpreter."""
    start = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-c", code], env=child_env(), cwd=str(ROOT))
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"the benchmark child failed ({process.returncode}): {code[:200]}")
    return elapsed, usage.ru_maxrss / 1024


def probe(*args: Any) -> Dict[str, Any]:
    """Run a probe of probes.py in its own interpreter and return its JSON result."""
    output = subprocess.run(
        [sys.executable, str(HERE / "probes.py"), *map(str, args)],
        env=child_env(), cwd=str(ROOT), check=True, stdout=subprocess.PIPE, text=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])  # type: ignore[no-any-return]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 10 else f"{seconds:.1f} s"


def mb(megabytes: float) -> str:
    return f"{megabytes:.1f} MB"


def paired_ratio(values: Sequence[float], floors: Sequence[float]) -> float:
    """The median of value/floor over samples taken side by side: a slow moment of the machine
    lands on both members of a pair, so it moves their ratio far less than either figure."""
    return statistics.median(value / floor for value, floor in zip(values, floors))


def ratio_row(figure: str, values: Sequence[float], floors: Sequence[float], target: Optional[float],
              unit: str = "ms", note: str = "") -> Row:
    show = {"ms": ms, "MB": mb}[unit]
    value, floor = statistics.median(values), statistics.median(floors)
    return Row(figure, show(value), show(floor), paired_ratio(values, floors), target, note)


def bench_import(settings: Settings) -> List[Row]:
    first_use = f"{SDK_IMPORT}; Asset.from_json({data.asset_json()!r})"
    commands = {"floor": FLOOR_IMPORT, "model floor": MODEL_FLOOR, "import": SDK_IMPORT, "first use": first_use}
    for code in commands.values():  # warm-up: caches bytecode, fills the OS file cache
        timed_process(code)
    samples: Dict[str, List[Tuple[float, float]]] = {name: [] for name in commands}
    names = list(commands)
    for round_number in range(settings.import_repeat):
        # Interleaved in a rotating order, so that machine noise hits every command alike.
        shift = round_number % len(names)
        for name in names[shift:] + names[:shift]:
            samples[name].append(timed_process(commands[name]))

    def series(name: str, index: int) -> List[float]:
        return [sample[index] for sample in samples[name]]

    model_floor = series("model floor", 0)
    return [
        ratio_row("import: wall time", series("import", 0), series("floor", 0), 1.25,
                  note=f"{paired_ratio(series('import', 0), model_floor):.2f}x urllib3 + one pydantic model"
                  f" class ({ms(statistics.median(model_floor))}), the floor of any SDK of pydantic models"),
        ratio_row("import: peak RSS", series("import", 1), series("floor", 1), 1.25, "MB"),
        ratio_row("first use (import + Asset.from_json)", series("first use", 0), series("floor", 0), 1.75,
                  note=f"{paired_ratio(series('first use', 0), model_floor):.2f}x urllib3 + one pydantic"
                  " model class"),
        ratio_row("first use: peak RSS", series("first use", 1), series("floor", 1), None, "MB"),
    ]


def bench_parsing(settings: Settings) -> List[Row]:
    result = probe("parse", settings.parse_assets, settings.parse_repeat)
    size = f"{settings.parse_assets} assets, {result['bytes'] / 1e6:.1f} MB"
    samples = result["samples"]
    floor = samples["plain"]
    return [
        ratio_row(f"ApiClient.deserialize ({size})", samples["deserialize"], floor, 0.6,
                  note="floor: plain pydantic models of the same spec (benchmarks/plain_models.py),"
                  " model_validate_json, collector on; the SDK pauses it for large bodies"),
        ratio_row("Assets.from_json (same bytes)", samples["from_json"], floor, 1.1),
        ratio_row("Assets.from_json, collector off in both", samples["from_json_gc_off"],
                  samples["plain_gc_off"], 1.1),
        ratio_row("Assets.to_json", samples["to_json"], samples["plain_dump"], 1.1,
                  note="floor: the plain models' model_dump_json(by_alias=True, exclude_none=True)"),
    ]


def bench_memory(settings: Settings) -> List[Row]:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "snapshot.json"
        path.write_bytes(data.snapshot_json(settings.memory_assets))
        sdk = probe("memory", path, "sdk")
        plain = probe("memory", path, "json")
        models = probe("memory", path, "plain")
    size = sdk["bytes"] / 1e6
    return [
        Row(
            f"peak memory, parsing {settings.memory_assets} assets ({size:.0f} MB)",
            mb(sdk["peak_growth_kb"] / 1024),
            mb(plain["peak_growth_kb"] / 1024) + " (json.loads)",
            sdk["peak_growth_kb"] / plain["peak_growth_kb"], 2.0,
            f"retained {sdk['retained_kb'] / 1024:.0f} MB as models vs {plain['retained_kb'] / 1024:.0f} MB as dicts;"
            f" plain pydantic models of the same spec: peak {mb(models['peak_growth_kb'] / 1024)}"
            f" ({models['peak_growth_kb'] / plain['peak_growth_kb']:.2f}x), retained {models['retained_kb'] / 1024:.0f} MB",
        )
    ]


class FixedServer:
    """``fixed_server.py`` in its own process, serving one asset."""

    def __init__(self, body: bytes) -> None:
        self._directory = tempfile.TemporaryDirectory()
        path = Path(self._directory.name) / "body.json"
        path.write_bytes(body)
        self.process = subprocess.Popen(
            [sys.executable, str(HERE / "fixed_server.py"), str(path)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=child_env(), text=True,
        )
        assert self.process.stdout is not None
        port = self.process.stdout.readline().strip()
        if not port.isdigit():
            self.process.kill()
            raise RuntimeError("the loopback server of the per-call benchmark did not start")
        self.url = f"http://127.0.0.1:{port}"

    def __enter__(self) -> FixedServer:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=10)
        self._directory.cleanup()


def bench_calls(settings: Settings) -> List[Row]:
    with FixedServer(data.asset_json()) as server:
        sequential = probe("calls", server.url, settings.calls, settings.call_rounds)
        threaded = probe("threads", server.url, settings.thread_calls, 8, settings.call_rounds)
    per_call = settings.calls
    calls = sequential["samples"]
    sdk_cpu, bare_cpu = sum(calls["sdk_cpu"]) / per_call, sum(calls["bare_cpu"]) / per_call
    rates = threaded["samples"]
    rows = [
        Row(
            f"{per_call} sequential assets_specific_asset_snapshot",
            f"{ms(sum(calls['sdk']))} ({sum(calls['sdk']) / per_call * 1e6:.0f} us/call)",
            f"{ms(sum(calls['bare']))} ({sum(calls['bare']) / per_call * 1e6:.0f} us/call)",
            paired_ratio(calls["sdk"], calls["bare"]), 1.1,
            f"floor: bare urllib3 PoolManager + model_validate_json, in {settings.call_rounds} interleaved"
            f" batches; client CPU per call {sdk_cpu * 1e6:.0f} us vs {bare_cpu * 1e6:.0f} us"
            f" ({paired_ratio(calls['sdk_cpu'], calls['bare_cpu']):.2f}x)",
        ),
        Row(
            "8 threads, one client: throughput",
            f"{statistics.median(rates['sdk']):.0f} calls/s",
            f"{statistics.median(rates['bare']):.0f} calls/s",
            paired_ratio(rates["bare"], rates["sdk"]), 1.1, "ratio = floor / SDK throughput",
        ),
    ]
    return rows


def bench_streams(settings: Settings) -> List[Row]:
    from pieces_os_client import ApiClient, AssetsApi, Configuration, Seed

    count = settings.stream_changes
    server = subprocess.Popen(
        [sys.executable, str(HERE / "stream_server.py")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=child_env(), text=True,
    )
    assert server.stdin is not None and server.stdout is not None
    url = server.stdout.readline().strip()
    if not url.startswith("http"):
        server.kill()
        raise RuntimeError(
            "the emulator did not start (it needs the server extra: pip install -e '.[server]')"
        )
    consumer = subprocess.Popen(
        [sys.executable, str(HERE / "probes.py"), "stream", url, str(count)],
        stdout=subprocess.PIPE, env=child_env(), cwd=str(ROOT), text=True,
    )
    assert consumer.stdout is not None
    try:
        if consumer.stdout.readline().strip() != "ready":
            raise RuntimeError("the stream consumer did not start")
        seeds = [Seed.from_dict(data.seed(index)) for index in range(count)]
        with ApiClient(Configuration(host=url)) as client:
            api = AssetsApi(client)
            for seed in seeds:
                api.assets_create_new_asset(seed=seed)
        result = json.loads(consumer.stdout.read().strip().splitlines()[-1])
    finally:
        consumer.wait(timeout=60)
        server.stdin.close()
        sent = json.loads(server.stdout.read().strip().splitlines()[-1])
        server.wait(timeout=30)
    received: List[float] = result["received"]
    samples: Dict[str, List[float]] = result["samples"]

    def median(name: str) -> float:
        return statistics.median(samples[name])

    if len(sent) != count + 1:
        raise RuntimeError(f"the emulator sent {len(sent)} stream messages for {count} changes")
    # The first message sent is the ids present on connect; the rest pair up in order.
    delays = sorted(arrived - departed for departed, arrived in zip(sent[1:], received))
    p99 = delays[min(len(delays) - 1, int(len(delays) * 0.99))]
    rate = (count - 1) / (received[-1] - received[0]) if count > 1 else 0.0
    return [
        Row(f"stream: delay, server send -> parsed object in consumer ({count} changes)",
            f"mean {statistics.mean(delays) * 1e3:.2f} ms, p99 {p99 * 1e3:.2f} ms", "", None, None),
        Row("stream: messages per second received", f"{rate:.0f}/s", "", None, None,
            "paced by the creates (one create call per change, made from another process)"),
        Row(f"stream: parse per message ({result['bytes']} bytes)", f"{median('parse') * 1e6:.2f} us",
            f"{median('floor') * 1e6:.2f} us", paired_ratio(samples["parse"], samples["floor"]), 1.1,
            "floor: StreamedIdentifiers.model_validate_json"),
        Row("stream: all per-message handling (parse, id tracking, hand-off)",
            f"{median('handling') * 1e6:.2f} us", f"{median('floor') * 1e6:.2f} us",
            None, None, "Stream._accept + next_message; the parse alone is the row above"),
    ]


CLI = "import sys; from pieces_os_client.cli import main; sys.exit(main())"


def cli_process(*arguments: str) -> Tuple[float, float]:
    """``timed_process`` of the command line, started as its console script starts it."""
    start = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-c", CLI, *arguments], env=child_env(), cwd=str(ROOT),
                               stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"the command line failed: {' '.join(arguments)}")
    return elapsed, usage.ru_maxrss / 1024


def bench_cli(settings: Settings) -> List[Row]:
    """The command line's start against ``import argparse``, and ``list``/``show`` against the
    emulator against a script doing the same call (the first-use cost plus one call)."""
    from pieces_os_client import ApiClient, AssetsApi, Configuration, Seed

    server = subprocess.Popen(
        [sys.executable, str(HERE / "stream_server.py")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=child_env(), text=True,
    )
    assert server.stdin is not None and server.stdout is not None
    url = server.stdout.readline().strip()
    if not url.startswith("http"):
        server.kill()
        raise RuntimeError("the emulator did not start (it needs the server extra)")
    try:
        with ApiClient(Configuration(host=url)) as client:
            api = AssetsApi(client)
            ids = [api.assets_create_new_asset(seed=Seed.from_dict(data.seed(index))).id for index in range(20)]
        call = f"from pieces_os_client import ApiClient, Configuration, AssetsApi; api = AssetsApi(ApiClient(Configuration(host={url!r})))"
        commands: Dict[str, Any] = {
            "argparse": lambda: timed_process("import argparse"),
            "--version": lambda: cli_process("--version"),
            "--help": lambda: cli_process("--help"),
            "list floor": lambda: timed_process(f"{call}; api.assets_snapshot(transferables=False)"),
            "list": lambda: cli_process("--host", url, "list"),
            "show floor": lambda: timed_process(f"{call}; api.assets_specific_asset_snapshot({ids[0]!r}, transferables=True)"),
            "show": lambda: cli_process("--host", url, "show", ids[0]),
        }
        for command in commands.values():  # warm-up: bytecode caches, validators' modules
            command()
        samples: Dict[str, List[float]] = {name: [] for name in commands}
        names = list(commands)
        for round_number in range(settings.import_repeat):
            shift = round_number % len(names)
            for name in names[shift:] + names[:shift]:
                samples[name].append(commands[name]()[0])
    finally:
        server.stdin.close()
        server.wait(timeout=30)
    return [
        ratio_row("command line: --version", samples["--version"], samples["argparse"], 1.5,
                  note="floor: python -c 'import argparse'"),
        ratio_row("command line: --help", samples["--help"], samples["argparse"], 1.5),
        ratio_row("command line: list (20 assets, emulator)", samples["list"], samples["list floor"], 1.2,
                  note="floor: a script importing the SDK and making the same assets_snapshot call"),
        ratio_row("command line: show", samples["show"], samples["show floor"], 1.2,
                  note="floor: a script making the same assets_specific_asset_snapshot call"),
    ]


# A mistyped identifier: a letter missing from "load" in load_user_settings, which is in the code
# of a few of the generated assets (benchmarks/data.py's searchable_seed); near misses of it too.
SEARCH_QUERY = "lod_user_settings"


def bench_search(settings: Settings) -> List[Row]:
    from rapidfuzz import fuzz, process

    from pieces_os_client import ApiClient, AssetsApi, Configuration, Seed
    from pieces_os_client.testing import PiecesOSEmulator
    from pieces_os_client.testing.seeds import build_asset, now_utc

    count = settings.search_assets
    seeds = [Seed.from_dict(data.searchable_seed(index)) for index in range(count)]
    texts = [seed.asset.format.fragment.string.raw for seed in seeds]  # type: ignore[union-attr]
    with PiecesOSEmulator() as emulator, ApiClient(Configuration(host=emulator.url)) as client:
        for seed in seeds:
            emulator.store.add(build_asset(seed, "bench@example.com", now_utc()))
        api = AssetsApi(client)
        start = time.perf_counter()
        found = len(api.assets_search_assets(query=SEARCH_QUERY, transferables=False).iterable)
        first = time.perf_counter() - start
        searches: List[float] = []
        floors: List[float] = []
        snapshots: List[float] = []
        for _ in range(settings.search_repeat):
            start = time.perf_counter()
            api.assets_search_assets(query=SEARCH_QUERY, transferables=False)
            searches.append(time.perf_counter() - start)
            start = time.perf_counter()
            process.extract(SEARCH_QUERY, texts, scorer=fuzz.partial_ratio, score_cutoff=75, limit=None)
            floors.append(time.perf_counter() - start)
            start = time.perf_counter()
            api.assets_snapshot(transferables=False)
            snapshots.append(time.perf_counter() - start)
    return [ratio_row(
        f"emulator search, {count} assets, mistyped identifier", searches, floors, None,
        note=f"assets_search_assets(query={SEARCH_QUERY!r}) on loopback, {found} assets found; floor:"
        " rapidfuzz process.extract(partial_ratio) over the same code texts, in-process; first search"
        f" after a change (its word index built) {ms(first)}; a snapshot of the same store without"
        f" content {ms(statistics.median(snapshots))}",
    )]


SECTIONS = {
    "import": bench_import,
    "parsing": bench_parsing,
    "memory": bench_memory,
    "calls": bench_calls,
    "streams": bench_streams,
    "cli": bench_cli,
    "search": bench_search,
}


def table(rows: Sequence[Row]) -> str:
    header = ("figure", "value", "floor", "ratio", "target", "status")
    lines = [header] + [
        (
            row.figure, row.value, row.floor,
            "" if row.ratio is None else f"{row.ratio:.2f}x",
            "" if row.target is None else f"<= {row.target:.2f}x",
            row.status,
        )
        for row in rows
    ]
    widths = [max(len(line[column]) for line in lines) for column in range(len(header))]

    def render(line: Sequence[str]) -> str:
        return "| " + " | ".join(cell.ljust(width) for cell, width in zip(line, widths)) + " |"

    out = [render(lines[0]), "|" + "|".join("-" * (width + 2) for width in widths) + "|"]
    out += [render(line) for line in lines[1:]]
    notes = [f"- {row.figure}: {row.note}" for row in rows if row.note]
    return "\n".join(out + ([""] + notes if notes else []))


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a fast smoke run: few repetitions, small sizes")
    parser.add_argument("--only", choices=sorted(SECTIONS), action="append", help="run only these sections")
    options = parser.parse_args(argv)
    settings = QUICK if options.quick else FULL
    rows: List[Row] = []
    started = time.perf_counter()
    for name, section in SECTIONS.items():
        if options.only and name not in options.only:
            continue
        section_start = time.perf_counter()
        rows += section(settings)
        print(f"[{name}: {time.perf_counter() - section_start:.1f} s]", file=sys.stderr, flush=True)
    print(f"pieces-os-client benchmarks, Python {sys.version.split()[0]}, {os.cpu_count()} CPUs,"
          f" {'quick' if options.quick else 'full'} run in {time.perf_counter() - started:.0f} s")
    print()
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
