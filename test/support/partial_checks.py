"""Checks of partial validators (``_partial.PartialValidator``) that need a fresh interpreter.

    python test/support/partial_checks.py [CHECK ...]  # prints {check: [problem, ...]} as one JSON line

A partial validator leaves models out only while their classes have no validator of their own;
the test suite's process builds most of them early, so these checks run in a process of their
own: first every answer of the partial validators, then, once the models are built whole, the
answers of the complete validators to the same input, which they must equal.
"""
from __future__ import annotations

import copy
import json
import sys
import threading
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pydantic import TypeAdapter, ValidationError  # noqa: E402

import pieces_os_client  # noqa: E402
from pieces_os_client import Asset, Assets  # noqa: E402
from pieces_os_client._partial import NeededModels, PartialValidator  # noqa: E402
from support.spec_documents import OBJECT_SCHEMAS, dependencies_first, whole_document  # noqa: E402

TIME = {"value": "2024-05-13T10:15:30.123456Z"}
ASSET: Dict[str, Any] = {
    "id": "a1",
    "creator": "me",
    "mechanism": "MANUAL",
    "created": TIME,
    "updated": TIME,
    "formats": {"iterable": []},
    "original": {"id": "f1"},
    "preview": {"base": {"id": "f1"}},
}
TAG: Dict[str, Any] = {"id": "t1", "text": "py", "category": "LANGUAGE", "created": TIME, "updated": TIME,
                       "mechanisms": {"a1": "MANUAL", "a2": "A_MECHANISM_OF_LATER_VERSIONS"}}
LATER_TAG = {**copy.deepcopy(TAG), "score": {"manual": 1, "automatic": 2}}


def with_tags(*tags: Dict[str, Any]) -> Dict[str, Any]:
    return {**ASSET, "tags": {"iterable": list(tags)}}


def outcome(validate: Callable[[Any], Any], data: Any) -> Any:
    """What validating ``data`` gives: the model, or the error's text and details."""
    try:
        return ("model", validate(data))
    except ValidationError as error:
        return ("error", str(error), error.errors(include_url=False))


def comparable(answer: Any) -> Any:
    """``answer`` in a form two validators' answers can be compared by. Serializing builds a
    model's own validator: only done once every partial answer is in."""
    if answer[0] == "error":
        return answer
    model = answer[1]
    return ("model", type(model), model, model.model_dump(exclude_unset=True), model.to_json(), repr(model))


# (model, input, "json" or "python"): every input some check validates, and its partial answer.
Job = Tuple[Any, Any, str]
answered: List[Tuple[str, Job, Any]] = []


def partial_answer(check: str, validator: PartialValidator, job: Job) -> Any:
    model, data, way = job
    validate = validator.validate_json if way == "json" else validator.validate_python
    answer = outcome(validate, json.dumps(data) if way == "json" else data)
    answered.append((check, job, answer))
    return answer


def a_model_met_later() -> List[str]:
    problems = []
    validator = PartialValidator(Asset, NeededModels())
    partial_answer("a model met later", validator, (Asset, ASSET, "json"))
    if not {"Tags", "Activities"} <= validator.left_out or "Tag" in validator.left_out:
        problems.append(f"left out after a plain asset: {sorted(validator.left_out)[:10]}")
    answer = partial_answer("a model met later", validator, (Asset, with_tags(TAG), "json"))
    if answer[0] != "model" or answer[1].tags[0].mechanisms["a2"] != "A_MECHANISM_OF_LATER_VERSIONS":
        problems.append(f"tagged asset: {answer[:2]}")
    if not {"Tags", "Tag", "TagCategoryEnum", "MechanismEnum"}.isdisjoint(validator.left_out):
        problems.append("a model the data needed is still left out")
    if "Activities" not in validator.left_out:
        problems.append("a model no data needed was built")
    return problems


BROKEN = [
    with_tags({**TAG, "text": ["not", "text"]}),  # an error inside a model left out so far
    with_tags({**TAG, "created": {"value": "not a time"}}, {"id": 3}),
    {**with_tags(TAG), "creator": None},  # an error beside a model left out so far
    {**ASSET, "tags": []},
]


def errors() -> List[str]:
    for document in BROKEN:
        answer = partial_answer("errors", PartialValidator(Asset, NeededModels()), (Asset, document, "json"))
        if answer[0] != "error":
            return [f"no error for {document}"]
    return []


def python_input() -> List[str]:
    validator = PartialValidator(Assets, NeededModels())
    partial_answer("python input", validator, (Assets, {"iterable": [with_tags(TAG), ASSET]}, "python"))
    partial_answer("python input", validator, (Assets, {"iterable": [ASSET, {"id": 1}]}, "python"))
    return []


def threads() -> List[str]:
    """Threads sharing validators, and what they learn, starting at the same moment."""
    needs = NeededModels()
    validators = {Asset: PartialValidator(Asset, needs), Assets: PartialValidator(Assets, needs)}
    jobs: List[Job] = [
        (Asset, ASSET, "json"), (Asset, with_tags(TAG), "json"), (Asset, with_tags(LATER_TAG), "json"),
        (Asset, with_tags({**TAG, "text": 1}), "json"), (Assets, {"iterable": [ASSET, with_tags(LATER_TAG)]}, "json"),
        (Assets, {"iterable": [with_tags(TAG)] * 12 + [with_tags(LATER_TAG)]}, "json"),
        (Asset, {**ASSET, "summaries": {"iterable": []}}, "json"), (Assets, {"iterable": [{**ASSET, "id": 5}]}, "json"),
    ] * 3
    start = threading.Barrier(len(jobs))
    failures: List[str] = []

    def parse(job: Job) -> None:
        start.wait()
        try:
            partial_answer("threads", validators[job[0]], job)
        except BaseException as error:  # noqa: BLE001 - reported, not swallowed
            failures.append(f"{type(error).__name__}: {error}")

    workers = [threading.Thread(target=parse, args=(job,)) for job in jobs]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return failures


def never_used_alone() -> List[str]:
    validator = PartialValidator(Asset, NeededModels())
    validator.validate_json(json.dumps(ASSET))
    try:
        validator._current().validate_json(json.dumps(with_tags(TAG)))
    except RuntimeError as error:
        return [] if "Tags was left out" in str(error) else [str(error)]
    return ["a validator leaving Tags out parsed a tagged asset on its own"]


def corrupted(document: Any) -> Any:
    """``document`` with its last nested value replaced by one of another JSON type."""
    broken = copy.deepcopy(document)
    place = broken
    while True:
        inner = [key for key, value in place.items() if isinstance(value, dict) and value]
        if not inner:
            break
        place = place[inner[-1]]
    if place:
        key = sorted(place)[-1]
        place[key] = "text" if isinstance(place[key], (dict, list)) else {"not": [place[key]]}
    return broken


def every_schema() -> List[str]:
    """A document of every schema of the spec with every property of the schema (and the required
    ones of the models it nests), and a broken version of it, parsed from JSON and from Python
    values, then written again by a serializer that starts from nothing too."""
    problems = []
    for name in OBJECT_SCHEMAS:
        model = getattr(pieces_os_client, name)
        document = whole_document(name, depth=1)
        validator = PartialValidator(model, NeededModels())
        serializer = PartialValidator(model, NeededModels())  # its own needs: it meets them serializing
        answer = partial_answer("every schema", validator, (model, document, "json"))
        partial_answer("every schema", validator, (model, corrupted(document), "json"))
        partial_answer("every schema", validator, (model, document, "python"))
        if answer[0] != "model":
            problems.append(f"{name}: its document did not parse: {answer[1]}")
            continue
        written.append((answer[1], serializer.dump_json(answer[1], by_alias=True, exclude_none=True),
                        serializer.dump_python(answer[1], by_alias=True, exclude_none=True)))
    return problems


# (model, what a partial serializer wrote as JSON, and as Python values)
written: List[Tuple[Any, bytes, Any]] = []


FRESH_MODULES = "pieces_os_client.models."


def program_wide() -> List[str]:
    """``from_json`` and ``to_json`` in a fresh process: they import what the data needs, and the model's own
    validator, when something builds it, is the complete one."""
    problems = []
    first = Asset.from_json(json.dumps(ASSET))
    loaded = {name for name in sys.modules if name.startswith(FRESH_MODULES)}
    answered.append(("program-wide", (Asset, ASSET, "json"), outcome(lambda data: first, None)))
    if FRESH_MODULES + "grouped_timestamp" not in loaded or len(loaded) >= 40:
        problems.append(f"{len(loaded)} model modules imported by the first parse")
    if {FRESH_MODULES + "workstream_summaries", FRESH_MODULES + "activities"} & loaded:
        problems.append("a model the asset does not contain was imported")
    first_json = first.to_json()
    if FRESH_MODULES + "workstream_summaries" in sys.modules or json.loads(first_json) != ASSET:
        problems.append(f"to_json after the first parse: {first_json}")
    listed = TypeAdapter(List[Asset]).validate_json(json.dumps([with_tags(TAG)]))
    if listed[0].tags[0].text != "py":
        problems.append("a list adapter built by the program gave a wrong tag")
    if len({name for name in sys.modules if name.startswith(FRESH_MODULES)}) < 200:
        problems.append("the list adapter was not the complete validator")
    summarised = Asset.from_json(json.dumps({**ASSET, "summaries": {"iterable": []}}))
    if type(summarised.summaries).__name__ != "WorkstreamSummaries":
        problems.append("summaries met after the first parse were not parsed")
    return problems


def main(chosen: List[str]) -> None:
    """Run the checks named (all without a name) and print what each found."""
    checks = {
        "program-wide": program_wide,  # first: it needs a process where nothing was parsed yet
        "a model met later": a_model_met_later,
        "errors": errors,
        "python input": python_input,
        "threads": threads,
        "never used alone": never_used_alone,
        "every schema": every_schema,
    }
    problems: Dict[str, List[str]] = {}
    for name, check in checks.items():
        if name in chosen or not chosen:
            problems[name] = check()
    # Now the complete validators, built by pydantic the usual way, answer the same inputs. Built
    # here each after the models it nests, so that each build reuses theirs.
    for name in dependencies_first():
        getattr(pieces_os_client, name).model_rebuild()
    for model, json_text, python in written:
        if (json_text.decode(), python) != (model.model_dump_json(by_alias=True, exclude_none=True),
                                            model.model_dump(by_alias=True, exclude_none=True)):
            problems["every schema"].append(f"{type(model).__name__} serialized as {json_text[:300]!r}")
    for check, (model, data, way), answer in answered:
        if way == "json":
            expected = outcome(model.model_validate_json, json.dumps(data))
        else:
            expected = outcome(model.model_validate, data)
        if comparable(answer) != comparable(expected):
            problems[check].append(f"{model.__name__} {json.dumps(data)[:300]}: {answer} != {expected}")
    print(json.dumps(problems))


if __name__ == "__main__":
    main(sys.argv[1:])
