"""The performance benchmarks of pieces-os-client, each against its floor measured in the same run.

    python benchmarks/run.py            # the full run (four to six minutes on 2 cores)
    python benchmarks/run.py --quick    # a smoke run: no warm-up, one repetition, tiny sizes
    python benchmarks/run.py --peer     # also the official SDK, pieces-os-client 5.0.1 from PyPI

Figures are medians of several repetitions. Import figures come from fresh interpreters, with
the bytecode of every module already cached (as after ``pip install``), so that both the SDK
and its floor pay for running their modules, not for compiling them. What each floor is, and
why, is in docs/performance.md.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from functools import partial
from pathlib import Path
from typing import Any, Callable, Dict, List, NamedTuple, Optional, Sequence, Tuple, Union

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import data  # noqa: E402

FLOOR_IMPORT = "import pydantic, urllib3, dateutil.parser, websocket, typing_extensions"
SDK_IMPORT = "from pieces_os_client import ApiClient, Configuration, AssetsApi, Asset, Seed"
STAR_IMPORT = "from pieces_os_client import *"
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
    large_parse_assets: int
    large_parse_repeat: int
    memory_assets: int
    calls: int
    call_rounds: int
    thread_calls: int
    stream_changes: int
    search_assets: int
    search_repeat: int
    large_create_mb: int
    cli_assets: int
    library_assets: int
    library_repeat: int
    peer_import_repeat: int
    peer_calls: int
    peer_call_rounds: int
    # Whether each measured thing runs once untimed first. The quick run's figures are never
    # read, so it skips that; the peer section warms up in both.
    warm_up: bool
    # Whether the probes and the emulator run in this interpreter rather than one each, and the
    # fresh interpreters of a round start together: the figures are then meaningless (a shared
    # heap, a process-wide peak RSS, CPUs shared), which a smoke run can afford.
    in_process: bool


FULL = Settings(import_repeat=16, parse_assets=2000, parse_repeat=7, large_parse_assets=10000, large_parse_repeat=3,
                memory_assets=10000, calls=2000,
                call_rounds=10, thread_calls=4000, stream_changes=1000, search_assets=10000, search_repeat=7,
                large_create_mb=30, cli_assets=20, library_assets=10000, library_repeat=5,
                peer_import_repeat=8, peer_calls=1000, peer_call_rounds=5,
                warm_up=True, in_process=False)
QUICK = Settings(import_repeat=1, parse_assets=5, parse_repeat=1, large_parse_assets=8, large_parse_repeat=1,
                 memory_assets=20, calls=10,
                 call_rounds=1, thread_calls=16, stream_changes=3, search_assets=20, search_repeat=1,
                 large_create_mb=1, cli_assets=3, library_assets=20, library_repeat=1,
                 peer_import_repeat=1, peer_calls=10, peer_call_rounds=1,
                 warm_up=False, in_process=True)


def child_env() -> Dict[str, str]:
    """The environment of every measured child: bytecode caching on, the checkout importable."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


class Launched(NamedTuple):
    """A fresh interpreter started by ``launch``, and when."""
    process: subprocess.Popen[bytes]
    start: float
    what: str


def launch(code: str, *arguments: str, python: Optional[Path] = None) -> Launched:
    """Start ``python -c code [arguments]`` in a fresh interpreter: ours, or the peer venv's
    ``python`` (isolated from our checkout). Its output is discarded."""
    command, env, cwd = [sys.executable, "-c", code, *arguments], child_env(), str(ROOT)
    if python is not None:
        command, env, cwd = [str(python), "-I", "-c", code, *arguments], peer_env(), str(cache_dir())
    start = time.perf_counter()
    return Launched(subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.DEVNULL), start,
                    " ".join(arguments) or code[:200])


def finish(launched: Launched) -> Tuple[float, float]:
    """Wall time (s) and peak resident memory (MB) of a launched interpreter, once it has ended."""
    _, status, usage = os.wait4(launched.process.pid, 0)
    elapsed = time.perf_counter() - launched.start
    launched.process.returncode = os.waitstatus_to_exitcode(status)
    if launched.process.returncode != 0:
        raise RuntimeError(f"the benchmark child failed ({launched.process.returncode}): {launched.what}")
    return elapsed, usage.ru_maxrss / 1024


def interleaved(commands: Dict[str, Callable[[], Launched]], rounds: int, warm_up: bool,
                together: bool = False) -> Dict[str, List[Tuple[float, float]]]:
    """``finish`` of every command, ``rounds`` times, in a rotating order so that machine noise
    hits every command alike; each run once untimed first if ``warm_up``. ``together`` starts
    the commands of a round at once (a quick run: its figures are never read)."""
    for command in commands.values() if warm_up else ():  # caches bytecode, fills the OS file cache
        finish(command())
    samples: Dict[str, List[Tuple[float, float]]] = {name: [] for name in commands}
    names = list(commands)
    for round_number in range(rounds):
        shift = round_number % len(names)
        order = names[shift:] + names[:shift]
        if together:
            for name, launched in [(name, commands[name]()) for name in order]:
                samples[name].append(finish(launched))
        else:
            for name in order:
                samples[name].append(finish(commands[name]()))
    return samples


def probe(settings: Settings, *args: Any) -> Dict[str, Any]:
    """Run a probe of probes.py in its own interpreter (in this one for a quick run) and return
    its result."""
    if settings.in_process:
        import probes

        return probes.run([str(arg) for arg in args])
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
    codes = {"floor": FLOOR_IMPORT, "model floor": MODEL_FLOOR, "import": SDK_IMPORT, "first use": first_use,
             "star": STAR_IMPORT}
    samples = interleaved({name: partial(launch, code) for name, code in codes.items()}, settings.import_repeat,
                          settings.warm_up, together=settings.in_process)

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
        # A star import binds every model and API class, so it creates them all: a report of what
        # that costs as the API grows, not a target.
        ratio_row("star import: every model and API class", series("star", 0), series("floor", 0), None,
                  note=f"{(statistics.median(series('star', 0)) - statistics.median(model_floor)) / len(every_model()) * 1000:.2f}"
                  f" ms per model or enum ({len(every_model())}) beyond urllib3 + one pydantic model class"),
    ]


def every_model() -> List[str]:
    from pieces_os_client import models

    return list(models.MODULES)


def bench_parsing(settings: Settings) -> List[Row]:
    rows: List[Row] = []
    for count, repeat in ((settings.parse_assets, settings.parse_repeat),
                          (settings.large_parse_assets, settings.large_parse_repeat)):
        result = probe(settings, "parse", count, repeat)
        size = f"{count} assets, {result['bytes'] / 1e6:.1f} MB"
        samples = result["samples"]
        floor = samples["plain"]
        rows += [
            ratio_row(f"ApiClient.deserialize ({size})", samples["deserialize"], floor, 0.6,
                      note="floor: plain pydantic models of the same spec (benchmarks/plain_models.py),"
                      " model_validate_json; each parse timed with the full collection it leaves behind"),
            ratio_row(f"Assets.from_json ({size})", samples["from_json"], floor, 0.6),
            ratio_row(f"Assets.from_json against ApiClient.deserialize ({size})", samples["from_json"],
                      samples["deserialize"], 1.2, note="the same bytes through the model and the client"),
        ]
        if count == settings.parse_assets:
            rows.append(ratio_row(f"Assets.to_json ({size})", samples["to_json"], samples["plain_dump"], 1.1,
                                  note="floor: the plain models' model_dump_json(by_alias=True, exclude_none=True)"))
    paths = probe(settings, "paths")
    calls, passes = paths["calls"], paths["passes"]
    rows += [
        Row("Python calls of the SDK parsing and writing an asset in the usual form",
            str(calls["usual_parse"] + calls["usual_write"]), "0", None, None,
            "RFC 3339 timestamps and known enum values, which pydantic-core reads and writes alone;"
            f" timestamps only python-dateutil reads take {calls['lenient_parse']} calls"),
        Row(f"collector passes during a large snapshot parse ({paths['bytes'] / 1e6:.1f} MB)",
            str(passes["paused"]), f"{passes['plain']} (pause_gc=False)",
            passes["paused"] / max(passes["plain"], 1), 0.25,
            "timestamps only python-dateutil reads, so Python runs for every asset and an unpaused collector"
            " runs during the parse"),
    ]
    return rows


def bench_memory(settings: Settings) -> List[Row]:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "snapshot.json"
        path.write_bytes(data.snapshot_json(settings.memory_assets))
        sdk = probe(settings, "memory", path, "sdk")
        plain = probe(settings, "memory", path, "json")
        models = probe(settings, "memory", path, "plain")
    size = sdk["bytes"] / 1e6
    # In one interpreter (a quick run) the peak may predate the parse: no growth to divide by.
    floor_kb = max(plain["peak_growth_kb"], 1)
    return [
        Row(
            f"peak memory, parsing {settings.memory_assets} assets ({size:.0f} MB)",
            mb(sdk["peak_growth_kb"] / 1024),
            mb(plain["peak_growth_kb"] / 1024) + " (json.loads)",
            sdk["peak_growth_kb"] / floor_kb, 2.0,
            f"retained {sdk['retained_kb'] / 1024:.0f} MB as models vs {plain['retained_kb'] / 1024:.0f} MB as dicts;"
            f" plain pydantic models of the same spec: peak {mb(models['peak_growth_kb'] / 1024)}"
            f" ({models['peak_growth_kb'] / floor_kb:.2f}x), retained {models['retained_kb'] / 1024:.0f} MB",
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
        sequential = probe(settings, "calls", server.url, settings.calls, settings.call_rounds)
        threaded = probe(settings, "threads", server.url, settings.thread_calls, 8, settings.call_rounds)
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


class EmulatorProcess:
    """``stream_server.py`` in its own process: the emulator of a full run (``section_emulator``)."""

    def __init__(self) -> None:
        self._process: Optional[subprocess.Popen[str]] = None
        self._url: Optional[str] = None

    def start(self) -> None:
        """Start the process without waiting for it: it gets ready while other sections run."""
        if self._process is None:
            self._process = subprocess.Popen(
                [sys.executable, str(HERE / "stream_server.py")],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=child_env(), text=True,
            )

    @property
    def url(self) -> str:
        self.start()
        assert self._process is not None and self._process.stdout is not None
        if self._url is None:
            line = self._process.stdout.readline().strip()
            if not line.startswith("http"):
                self._process.kill()
                raise RuntimeError(
                    "the emulator did not start (it needs the server extra: pip install -e '.[server]')"
                )
            self._url = line
        return self._url

    def _command(self, line: str) -> str:
        self.url  # noqa: B018 (started and ready)
        assert self._process is not None and self._process.stdin is not None and self._process.stdout is not None
        self._process.stdin.write(line + "\n")
        self._process.stdin.flush()
        return self._process.stdout.readline().strip()

    def reset(self) -> None:
        """No assets, and no send times noted."""
        if self._command("reset") != "ok":
            raise RuntimeError("the emulator did not reset")

    def sent(self, count: int) -> List[float]:
        """The send time of every stream message since the reset, once ``count`` have gone."""
        return json.loads(self._command(f"sent {count}"))  # type: ignore[no-any-return]

    def close(self) -> None:
        if self._process is not None:
            assert self._process.stdin is not None
            self._process.stdin.close()
            self._process.wait(timeout=30)
            self._process = None


class EmulatorHere:
    """The emulator in this interpreter, noting send times as ``stream_server.py`` does: the
    emulator of a quick run, which starts no interpreter it can do without."""

    def __init__(self) -> None:
        self._emulator: Optional[Any] = None

    def start(self) -> None:
        if self._emulator is None:
            import stream_server

            from pieces_os_client.testing import PiecesOSEmulator

            stream_server.time_sends()
            self._emulator = PiecesOSEmulator().start()

    @property
    def url(self) -> str:
        self.start()
        return self._emulator.url  # type: ignore[no-any-return, union-attr]

    def reset(self) -> None:
        import stream_server

        self.start()
        self._emulator.reset()  # type: ignore[union-attr]
        stream_server.SENT.clear()

    def sent(self, count: int) -> List[float]:
        import stream_server

        return stream_server.sent(count)

    def close(self) -> None:
        if self._emulator is not None:
            self._emulator.stop()
            self._emulator = None


# The one emulator of a run, shared by the sections that need one; each begins with a reset.
EMULATORS = {False: EmulatorProcess(), True: EmulatorHere()}


def section_emulator(settings: Settings) -> Union[EmulatorProcess, EmulatorHere]:
    """The run's emulator, with no assets and no send times noted."""
    emulator = EMULATORS[settings.in_process]
    emulator.reset()
    return emulator


class BackgroundProbe:
    """A probe of probes.py running beside this code, in its own interpreter (in a thread of
    this one for a quick run); ``stream`` says when it is ready to be fed."""

    def __init__(self, settings: Settings, *args: Any) -> None:
        argv = [str(arg) for arg in args]
        self._process: Optional[subprocess.Popen[str]] = None
        self._ready = threading.Event()
        self._outcome: Dict[str, Any] = {}
        if settings.in_process:
            import probes

            def run_probe() -> None:
                try:
                    self._outcome["result"] = probes.run(argv, ready=self._ready.set)
                except BaseException as error:  # handed to whoever waits for the result
                    self._outcome["error"] = error
                finally:
                    self._ready.set()

            self._thread = threading.Thread(target=run_probe, name=f"probe {argv[0]}", daemon=True)
            self._thread.start()
        else:
            self._process = subprocess.Popen(
                [sys.executable, str(HERE / "probes.py"), *argv],
                stdout=subprocess.PIPE, env=child_env(), cwd=str(ROOT), text=True,
            )

    def wait_ready(self) -> None:
        if self._process is not None:
            assert self._process.stdout is not None
            if self._process.stdout.readline().strip() != "ready":
                raise RuntimeError("the probe did not start")
        elif not self._ready.wait(60) or "error" in self._outcome:
            raise RuntimeError("the probe did not start") from self._outcome.get("error")

    def result(self) -> Dict[str, Any]:
        if self._process is not None:
            assert self._process.stdout is not None
            try:
                return json.loads(self._process.stdout.read().strip().splitlines()[-1])  # type: ignore[no-any-return]
            finally:
                self._process.wait(timeout=60)
        self._thread.join(60)
        if "result" not in self._outcome:
            raise RuntimeError("the probe failed") from self._outcome.get("error")
        return self._outcome["result"]  # type: ignore[no-any-return]


def create_assets(url: str, count: int) -> List[str]:
    """Create ``count`` assets in the emulator at ``url``; their ids."""
    from pieces_os_client import ApiClient, AssetsApi, Configuration, Seed

    with ApiClient(Configuration(host=url)) as client:
        api = AssetsApi(client)
        return [api.assets_create_new_asset(seed=Seed.from_dict(data.seed(index))).id for index in range(count)]


def bench_streams(settings: Settings) -> List[Row]:
    from pieces_os_client import ApiClient, AssetsApi, Configuration, Seed

    count = settings.stream_changes
    emulator = section_emulator(settings)
    consumer = BackgroundProbe(settings, "stream", emulator.url, count)
    consumer.wait_ready()
    seeds = [Seed.from_dict(data.seed(index)) for index in range(count)]
    with ApiClient(Configuration(host=emulator.url)) as client:
        api = AssetsApi(client)
        for seed in seeds:
            api.assets_create_new_asset(seed=seed)
    result = consumer.result()
    sent = emulator.sent(count + 1)
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
            None, None, "the stream connection's _accept + next_message; the parse alone is the row above"),
    ]


CLI = "import sys; from pieces_os_client.cli import main; sys.exit(main())"


def bench_cli(settings: Settings) -> List[Row]:
    """The command line's start against ``import argparse``, and ``list``/``show`` against the
    emulator against a script doing the same call (the first-use cost plus one call)."""
    url = section_emulator(settings).url
    ids = create_assets(url, settings.cli_assets)
    call = f"from pieces_os_client import ApiClient, Configuration, AssetsApi; api = AssetsApi(ApiClient(Configuration(host={url!r})))"
    # The command line is started as its console script starts it.
    commands: Dict[str, Callable[[], Launched]] = {
        "argparse": partial(launch, "import argparse"),
        "--version": partial(launch, CLI, "--version"),
        "--help": partial(launch, CLI, "--help"),
        "list floor": partial(launch, f"{call}; api.assets_snapshot(transferables=False)"),
        "list": partial(launch, CLI, "--host", url, "list"),
        "show floor": partial(launch, f"{call}; api.assets_specific_asset_snapshot({ids[0]!r}, transferables=True)"),
        "show": partial(launch, CLI, "--host", url, "show", ids[0]),
    }
    # The warm-up also builds the validators' modules' bytecode.
    results = interleaved(commands, settings.import_repeat, settings.warm_up, together=settings.in_process)
    samples = {name: [elapsed for elapsed, _ in results[name]] for name in commands}
    return [
        ratio_row("command line: --version", samples["--version"], samples["argparse"], 1.5,
                  note="floor: python -c 'import argparse'"),
        ratio_row("command line: --help", samples["--help"], samples["argparse"], 1.5),
        ratio_row(f"command line: list ({settings.cli_assets} assets, emulator)", samples["list"], samples["list floor"],
                  1.2, note="floor: a script importing the SDK and making the same assets_snapshot call"),
        ratio_row("command line: show", samples["show"], samples["show floor"], 1.2,
                  note="floor: a script making the same assets_specific_asset_snapshot call"),
    ]


# A library as users reach it: ``import`` of a tree of source files, its snippets' content from
# benchmarks/data.py's searchable_seed, written once into a SQLite file that the emulator opens.
_LIBRARY_BUILD = """
import sys
sys.path.insert(0, sys.argv[3])
import data
from pieces_os_client.cli.snippets import language_for_path, snippet_seed
from pieces_os_client.testing.seeds import build_asset, now_utc
from pieces_os_client.testing.store import AssetStore
store = AssetStore(sys.argv[1])
for index in range(int(sys.argv[2])):
    name = f"src/module_{index:05}.py"
    text = data.searchable_seed(index)["asset"]["format"]["fragment"]["string"]["raw"]
    seed = snippet_seed(text, name=name, language=language_for_path(name), tags=[])
    store.add(build_asset(seed, "bench@example.com", now_utc()))
store.close()
"""
# Two words, fuzzy: a few hundred matches among 10,000 snippets.
LIBRARY_QUERY = "user settings"


def library_store(count: int) -> Path:
    """The SQLite file of a library of ``count`` imported snippets, made on first use and then
    reused (under ``cache_dir()``)."""
    path = cache_dir() / f"library-{count}-v1.db"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        building = path.with_name(path.name + ".building")
        for leftover in building.parent.glob(building.name + "*"):
            leftover.unlink()
        subprocess.run([sys.executable, "-c", _LIBRARY_BUILD, str(building), str(count), str(HERE)],
                       env=child_env(), cwd=str(ROOT), check=True)
        os.replace(building, path)
    return path


class LibraryEmulator:
    """``python -m pieces_os_client.testing`` on a library's SQLite file, in its own process."""

    def __init__(self, database: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pieces_os_client.testing", "--host", "http://127.0.0.1:0", "--db", str(database)],
            stdout=subprocess.PIPE, env=child_env(), cwd=str(ROOT), text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline().strip()
        if " on http" not in line:
            self.process.kill()
            raise RuntimeError(f"the emulator did not start on the library: {line!r}")
        self.url = line.rsplit(" ", 1)[1]

    def __enter__(self) -> LibraryEmulator:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def launch_shell(script: str) -> Launched:
    """Start ``sh -c script``, its output discarded."""
    start = time.perf_counter()
    process = subprocess.Popen(["sh", "-c", script], env=child_env(), cwd=str(ROOT), stdout=subprocess.DEVNULL)
    return Launched(process, start, script[:200])


def bench_library(settings: Settings) -> List[Row]:
    """``list`` and ``search`` on a library of 10,000 imported snippets, against ``curl | jq``
    printing the names of the same response, and their peak memory against ``json.loads`` of it."""
    count = settings.library_assets
    if shutil.which("curl") is None or shutil.which("jq") is None:
        figures = ["list", "list: peak RSS", "search", "search: peak RSS"]
        return [Row(f"command line: {figure}, {count} imported snippets", "unavailable: needs curl and jq", "",
                    None, None) for figure in figures]
    from urllib.parse import quote
    from urllib.request import urlopen

    with LibraryEmulator(library_store(count)) as emulator, tempfile.TemporaryDirectory() as directory:
        # The requests list and search send.
        snapshot_url = f"{emulator.url}/assets?transferables=false&pseudo=false"
        search_url = f"{emulator.url}/assets/search?query={quote(LIBRARY_QUERY)}&transferables=false"
        snapshot = Path(directory) / "snapshot.json"
        with urlopen(snapshot_url) as response:
            snapshot.write_bytes(response.read())
        with urlopen(search_url) as response:
            matches = len(json.loads(response.read())["iterable"])
        commands: Dict[str, Callable[[], Launched]] = {
            "list": partial(launch, CLI, "--host", emulator.url, "list"),
            "list floor": partial(launch_shell, f"curl -s '{snapshot_url}' | jq -r '.iterable[].name'"),
            "search": partial(launch, CLI, "--host", emulator.url, "search", LIBRARY_QUERY),
            "search floor": partial(launch_shell, f"curl -s '{search_url}' | jq -r '.iterable[].asset.name'"),
            "json.loads": partial(launch, "import json, sys; json.loads(open(sys.argv[1], 'rb').read())", str(snapshot)),
        }
        size = snapshot.stat().st_size / 1e6
        results = interleaved(commands, settings.library_repeat, settings.warm_up, together=settings.in_process)

    def series(name: str, index: int) -> List[float]:
        return [sample[index] for sample in results[name]]

    what = f"{count} imported snippets, emulator"
    return [
        ratio_row(f"command line: list ({what})", series("list", 0), series("list floor", 0), 1.5,
                  note=f"floor: curl -s URL | jq -r '.iterable[].name' over the same snapshot ({size:.0f} MB)"),
        ratio_row("command line: list: peak RSS", series("list", 1), series("json.loads", 1), 2.0, "MB",
                  note="floor: a fresh interpreter's json.loads of the same snapshot"),
        ratio_row(f"command line: search {LIBRARY_QUERY!r} ({what})", series("search", 0),
                  series("search floor", 0), 1.5,
                  note=f"{matches} matches, the best 30 printed; floor: curl -s URL | jq -r '.iterable[].asset.name'"
                  " over the same search"),
        ratio_row("command line: search: peak RSS", series("search", 1), series("json.loads", 1), 2.0, "MB",
                  note="floor: a fresh interpreter's json.loads of the snapshot"),
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
    ), bench_large_create(settings)]


def bench_large_create(settings: Settings) -> Row:
    """How long other clients wait while the emulator stores one large asset (report only)."""
    import urllib3

    from pieces_os_client.testing import PiecesOSEmulator

    megabytes = settings.large_create_mb
    text = "def f(x):\n    return x + 1\n" * (megabytes * 1024 * 1024 // 28)
    body = json.dumps({"asset": {"application": data.application(), "format": {"fragment": {"string": {"raw": text}}}}})
    waits: List[float] = []
    with PiecesOSEmulator() as emulator:
        http = urllib3.PoolManager()
        creating = threading.Event()

        def poll() -> None:
            while creating.is_set():
                start = time.perf_counter()
                http.request("GET", emulator.url + "/.well-known/health")
                waits.append(time.perf_counter() - start)
                time.sleep(0.01)

        creating.set()
        poller = threading.Thread(target=poll)
        poller.start()
        start = time.perf_counter()
        http.request("POST", emulator.url + "/assets/create?transferables=false", body=body.encode(),
                     headers={"Content-Type": "application/json"})
        took = time.perf_counter() - start
        creating.clear()
        poller.join()
    return Row(
        f"emulator: longest wait of another client during a {megabytes} MB create", ms(max(waits)), "", None, None,
        note=f"a health check every 10 ms from another thread while one {megabytes} MB snippet is created"
        f" ({ms(took)}); {len(waits)} checks, median {ms(statistics.median(waits))}",
    )


# The official SDK: the package generated from the Pieces OS spec and published on PyPI. Its import
# name is ours too, so it lives in a venv of its own and is only ever run by that venv's python.
PEER_REQUIREMENT = "pieces_os_client==5.0.1"
PEER = "official 5.0.1"
# The public names by their module paths, which both SDKs have (the official package's
# ``__init__`` exports none of them).
PUBLIC_IMPORT = (
    "from pieces_os_client.api_client import ApiClient; "
    "from pieces_os_client.configuration import Configuration; "
    "from pieces_os_client.api.assets_api import AssetsApi; "
    "from pieces_os_client.models.asset import Asset; "
    "from pieces_os_client.models.seed import Seed"
)


class PeerUnavailableError(Exception):
    """The official SDK could not be installed or run; the message is one line saying why."""


def cache_dir() -> Path:
    """Where the peer's venv is kept between runs (``PIECES_OS_BENCH_CACHE`` overrides it)."""
    configured = os.environ.get("PIECES_OS_BENCH_CACHE")
    return Path(configured) if configured else Path.home() / ".cache" / "pieces-os-client-benchmarks"


def peer_env() -> Dict[str, str]:
    """The environment of the peer's processes: nothing that would put our package on its path."""
    env = dict(os.environ)
    for name in ("PYTHONPATH", "PYTHONDONTWRITEBYTECODE", "PYTHONHOME"):
        env.pop(name, None)
    return env


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("ERROR:")]
    return (errors or lines or [""])[-1][:200]


def peer_python() -> Path:
    """The python of the venv holding the official SDK, made on first use and then reused."""
    venv = cache_dir() / f"peer-{PEER_REQUIREMENT.replace('==', '-')}"
    python = venv / "bin" / "python"
    installed = venv / "installed"
    if installed.exists() and python.exists():
        return python
    shutil.rmtree(venv, ignore_errors=True)
    venv.parent.mkdir(parents=True, exist_ok=True)
    steps = [
        [sys.executable, "-m", "venv", "--without-pip", str(venv)],
        # This interpreter's pip installs into that venv, which therefore needs no pip of its own.
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet",
         "--disable-pip-version-check", PEER_REQUIREMENT],
        [str(python), "-I", "-c", "import pieces_os_client.api_client"],
    ]
    for step in steps:
        completed = subprocess.run(step, env=peer_env(), cwd=str(venv.parent), capture_output=True, text=True)
        if completed.returncode != 0:
            shutil.rmtree(venv, ignore_errors=True)
            raise PeerUnavailableError(_last_line(completed.stderr) or f"{' '.join(step[:4])} exited {completed.returncode}")
    installed.write_text(PEER_REQUIREMENT + "\n")
    return python


def peer_probe(python: Optional[Path], *args: Any) -> Dict[str, Any]:
    """Run peer_probe.py with the peer's python, or with ours (``python=None``)."""
    command = [sys.executable, str(HERE / "peer_probe.py")]
    env, cwd = child_env(), str(ROOT)
    if python is not None:
        command, env, cwd = [str(python), "-I", str(HERE / "peer_probe.py")], peer_env(), str(cache_dir())
    completed = subprocess.run([*command, *map(str, args)], env=env, cwd=cwd, capture_output=True, text=True)
    if completed.returncode != 0:
        raise PeerUnavailableError(f"peer_probe.py {args[0]} failed: {_last_line(completed.stderr)}")
    return json.loads(completed.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def peer_figures(settings: Settings) -> Dict[str, List[str]]:
    """The peer's figures, by the group that measures them."""
    return {
        "import": [f"{PEER}: import of the public names", f"{PEER}: import peak RSS",
                   f"{PEER}: first use (import + Asset.from_json)", f"{PEER}: star import"],
        "parse": [f"{PEER}: ApiClient.deserialize ({settings.parse_assets} assets, as text)",
                  f"{PEER}: Assets.from_json (same text)", f"{PEER}: Assets.to_json"],
        "calls": [f"{PEER}: {settings.peer_calls} sequential assets_specific_asset_snapshot, emulator"],
    }


def peer_import(settings: Settings, python: Path, names: Sequence[str]) -> List[Row]:
    first_use = f"{PUBLIC_IMPORT}; Asset.from_json({data.asset_json().decode()!r})"
    commands = {
        "import": partial(launch, PUBLIC_IMPORT),
        "peer import": partial(launch, PUBLIC_IMPORT, python=python),
        "first use": partial(launch, first_use),
        "peer first use": partial(launch, first_use, python=python),
        "star": partial(launch, STAR_IMPORT),
        "peer star": partial(launch, STAR_IMPORT, python=python),
    }
    # Warmed up in both kinds of run: the peer's first start in its venv reads files never read.
    samples = interleaved(commands, settings.peer_import_repeat, warm_up=True)

    def series(name: str, index: int) -> List[float]:
        return [sample[index] for sample in samples[name]]

    return [
        ratio_row(names[0], series("peer import", 0), series("import", 0), None,
                  note=f"value: {PEER_REQUIREMENT} from PyPI in a venv of its own; floor column: this SDK running"
                  " the same code; ratio: official / this SDK. The same import statement in both (the public"
                  f" names by module path); fresh interpreters, interleaved, {settings.peer_import_repeat} each"),
        ratio_row(names[1], series("peer import", 1), series("import", 1), None, "MB"),
        ratio_row(names[2], series("peer first use", 0), series("first use", 0), None),
        ratio_row(names[3], series("peer star", 0), series("star", 0), None),
    ]


def peer_parsing(settings: Settings, python: Path, names: Sequence[str]) -> List[Row]:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "snapshot.json"
        path.write_bytes(data.snapshot_json(settings.parse_assets))
        ours = peer_probe(None, "parse", path, settings.parse_repeat)
        peer = peer_probe(python, "parse", path, settings.parse_repeat)

    def row(figure: str, way: str, note: str = "") -> Row:
        ours_median, peer_median = statistics.median(ours["samples"][way]), statistics.median(peer["samples"][way])
        return Row(figure, ms(peer_median), ms(ours_median), peer_median / ours_median, None, note)

    rows = [
        row(names[0], "deserialize",
            "client.deserialize(body.decode(), 'Assets', 'application/json'), the official SDK's own parse"
            " of a response (the text it decodes a body to); the same call in both, in a process each;"
            f" ratio of medians of {settings.parse_repeat}"),
        row(names[1], "from_json"),
    ]
    if peer["to_json_error"]:
        rows.append(Row(names[2], f"fails: {peer['to_json_error']}", ms(statistics.median(ours["samples"]["to_json"])),
                        None, None))
    else:
        rows.append(row(names[2], "to_json"))
    return rows


def peer_calls(settings: Settings, python: Path, names: Sequence[str]) -> List[Row]:
    url = section_emulator(settings).url
    asset_id = create_assets(url, 1)[0]
    ours = peer_probe(None, "calls", url, asset_id, settings.peer_calls, settings.peer_call_rounds)
    peer = peer_probe(python, "calls", url, asset_id, settings.peer_calls, settings.peer_call_rounds)

    def show(result: Dict[str, Any]) -> str:
        return (f"{statistics.median(result['wall']) * 1e6:.0f} us/call"
                f" (client CPU {statistics.median(result['cpu']) * 1e6:.0f} us)")

    ratio = statistics.median(peer["wall"]) / statistics.median(ours["wall"])
    cpu_ratio = statistics.median(peer["cpu"]) / statistics.median(ours["cpu"])
    return [Row(names[0], show(peer), show(ours), ratio, None,
                f"one asset in the run's emulator; the same code in both, in a process each, after one call;"
                f" medians of {settings.peer_call_rounds} batches; client CPU ratio {cpu_ratio:.2f}x")]


PEER_MEASURES = {"import": peer_import, "parse": peer_parsing, "calls": peer_calls}


def bench_peer(settings: Settings) -> List[Row]:
    """The official SDK on the figures it has: import, first use, parsing, a call. Report only."""
    figures = peer_figures(settings)
    try:
        python = peer_python()
    except (PeerUnavailableError, OSError) as error:
        return [Row(figure, f"unavailable: {error}", "", None, None) for group in figures.values() for figure in group]
    rows: List[Row] = []
    for group, measure in PEER_MEASURES.items():
        try:
            rows += measure(settings, python, figures[group])
        except (PeerUnavailableError, OSError, RuntimeError, subprocess.SubprocessError) as error:
            rows += [Row(figure, f"unavailable: {error}", "", None, None) for figure in figures[group]]
    return rows


# In the order they run. Linux counts the memory a child shares with its parent until it starts
# python as the child's own, so a fresh interpreter's peak RSS is never below this process's RSS
# when it was started: the sections that measure peak RSS of fresh interpreters run first, before
# this process imports the SDK. The peer's rows are printed last.
SECTIONS = {
    "import": bench_import,
    "peer": bench_peer,
    "parsing": bench_parsing,
    "memory": bench_memory,
    "calls": bench_calls,
    "streams": bench_streams,
    "cli": bench_cli,
    "library": bench_library,
    "search": bench_search,
}
# The sections that use the run's emulator: in its own process, it is started at the beginning of
# a run that has them, and gets ready while the first sections run.
NEED_EMULATOR = ("streams", "cli")


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
    parser.add_argument("--quick", action="store_true", help="a smoke run: no warm-up, one repetition, tiny sizes")
    parser.add_argument("--only", choices=sorted(SECTIONS), action="append", help="run only these sections")
    parser.add_argument("--peer", action="store_true",
                        help=f"also measure the official SDK ({PEER_REQUIREMENT}, installed once in a venv under"
                        f" {cache_dir()}); the same as --only peer beside other sections")
    parser.add_argument("--each-pydantic", action="store_true",
                        help="then the import section in one environment per pydantic minor the metadata admits"
                        " (made with uv by scripts/environments.py), as a table of first use by pydantic version")
    options = parser.parse_args(argv)
    settings = QUICK if options.quick else FULL
    chosen = set(options.only or [name for name in SECTIONS if name != "peer"])
    if options.peer:
        chosen.add("peer")
    names = [name for name in SECTIONS if name in chosen]
    emulator = EMULATORS[settings.in_process]
    if not settings.in_process and any(name in NEED_EMULATOR for name in names):
        emulator.start()
    results: Dict[str, List[Row]] = {}
    started = time.perf_counter()
    try:
        for name in names:
            section_start = time.perf_counter()
            results[name] = SECTIONS[name](settings)
            print(f"[{name}: {time.perf_counter() - section_start:.1f} s]", file=sys.stderr, flush=True)
    finally:
        emulator.close()
    rows = [row for name in sorted(names, key=lambda name: name == "peer") for row in results[name]]
    import pydantic

    print(f"pieces-os-client benchmarks, Python {sys.version.split()[0]}, pydantic {pydantic.VERSION},"
          f" {os.cpu_count()} CPUs,"
          f" {'quick' if options.quick else 'full'} run in {time.perf_counter() - started:.0f} s")
    print()
    print(table(rows))
    if options.each_pydantic:
        print()
        print("First use by pydantic version (the latest patch of each minor):")
        print()
        sys.stdout.flush()
        return subprocess.run([sys.executable, str(HERE.parent / "scripts" / "environments.py"), "bench"]).returncode
    return 0


if __name__ == "__main__":
    sys.exit(main())
