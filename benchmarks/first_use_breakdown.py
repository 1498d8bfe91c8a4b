"""Where the first ``Asset.from_json`` of a process spends its time (docs/performance.md).

    python benchmarks/first_use_breakdown.py [REPEAT]

Each repetition is a fresh interpreter that imports the SDK and parses one asset, with timers
around the steps of building the validators: importing the model modules (``ModelRef.resolve``),
creating the pydantic model classes and the enums inside those imports, and compiling the
validator and serializer in pydantic-core (complete validators, and the partial ones ``from_json``
builds, see ``_partial.PartialValidator``). What remains of the first parse is pydantic turning the
classes into core schemas (twice for a partial validator's first parse: before and after it meets
the models the data contains), and noting those models. The timers wrap pydantic internals
(``ModelMetaclass``, ``_model_construction``, ``type_adapter``), so this is a diagnostic for the
pydantic version installed, not an API.
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import data  # noqa: E402

_CHILD = """
import enum, json, sys, time
start = time.perf_counter()
from pieces_os_client import ApiClient, Configuration, AssetsApi, Asset, Seed
imported = time.perf_counter()

from pydantic._internal import _model_construction
from pieces_os_client._models import ModelRef

spent = {"modules": 0.0, "model classes": 0.0, "enums": 0.0, "validators": 0.0, "serializers": 0.0}
counts = {"modules": 0, "model classes": 0, "enums": 0}
depth = [0]

def timed(name, function, counted=False, outermost=False):
    def wrapper(*args, **kwargs):
        if outermost:
            depth[0] += 1
        begin = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            if outermost:
                depth[0] -= 1
            if not outermost or depth[0] == 0:
                spent[name] += time.perf_counter() - begin
                if counted:
                    counts[name] += 1
    return wrapper

loaded = set()
resolve = ModelRef.resolve
def resolve_timed(self):
    first = self._target is None and self.name not in loaded
    loaded.add(self.name)
    if not first:
        return resolve(self)
    return timed("modules", resolve, counted=True, outermost=True)(self)
ModelRef.resolve = resolve_timed
model_new = _model_construction.ModelMetaclass.__new__
_model_construction.ModelMetaclass.__new__ = timed("model classes", model_new, counted=True)
enum_new = enum.EnumMeta.__new__
enum.EnumMeta.__new__ = timed("enums", enum_new, counted=True)
# Complete validators are built in _model_construction, partial ones through TypeAdapter.
from pydantic import type_adapter
for module in (_model_construction, type_adapter):
    module.create_schema_validator = timed("validators", module.create_schema_validator)
    module.SchemaSerializer = timed("serializers", module.SchemaSerializer)

parse_start = time.perf_counter()
Asset.from_json(sys.argv[1])
done = time.perf_counter()
spent["import"] = imported - start
spent["first parse"] = done - parse_start
print(json.dumps({"spent": spent, "counts": counts}))
"""


def main() -> None:
    repeat = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(HERE.parent), env.get("PYTHONPATH")]))
    asset = data.asset_json().decode()
    runs: List[Dict[str, float]] = []
    counts: Dict[str, int] = {}
    for attempt in range(repeat + 1):
        output = subprocess.run(
            [sys.executable, "-c", _CHILD, asset], env=env, check=True, stdout=subprocess.PIPE, text=True
        ).stdout
        result = json.loads(output)
        if attempt:  # the first run writes the bytecode caches
            runs.append(result["spent"])
            counts = result["counts"]

    def median(name: str) -> float:
        return statistics.median(run[name] for run in runs) * 1000

    parse = median("first parse")
    # Module loading contains the class and enum creation; compiling is inside the first parse.
    loading = median("modules") - median("model classes") - median("enums")
    schema = parse - median("modules") - median("validators") - median("serializers")
    print(f"import of the SDK:                      {median('import'):6.1f} ms")
    print(f"first Asset.from_json:                  {parse:6.1f} ms")
    print(f"  loading {counts['modules']} model modules:           {loading:6.1f} ms")
    print(f"  creating {counts['model classes']} pydantic model classes:  {median('model classes'):6.1f} ms")
    print(f"  creating {counts['enums']} enums:                     {median('enums'):6.1f} ms")
    print(f"  generating core schemas (pydantic):    {schema:6.1f} ms")
    print(f"  compiling validators (pydantic-core):  {median('validators'):6.1f} ms")
    print(f"  compiling serializers (pydantic-core): {median('serializers'):6.1f} ms")
    print(f"(medians of {repeat} fresh interpreters)")


if __name__ == "__main__":
    main()
