#!/usr/bin/env python3
"""Write spec/pieces-os.openapi.json: the shared 2.2.0 spec plus what later SDK versions added.

    python scripts/extend_spec.py [SHARED_SPEC_DIR]    (default: the nearest shared/spec above the repo)

Reads ``pieces-os.openapi.json`` (the 2.2.0 AssetsApi, AssetApi and WellKnownApi) and
``later-versions.json`` (facts read off every published SDK up to 5.0.1) and keeps the superset
that code written for 2.2.0 up to 4.4.1 relies on, marking each addition with the first version
that had it:

- added fields, optional whatever later versions said (``x-since`` on the property); the fields
  a later version dropped stay;
- added enum values, appended so 2.2.0's order holds (``x-values-since``, and ``x-enum-names``
  where the generated SDK's member name is not the one derived from the value); removed values
  stay;
- added models (``x-since`` on the schema, in their 4.4.1 shape);
- ``Seed.type`` optional (``x-optional-since``), taking "UNKNOWN" too; 2.2.0's string literal is
  kept rather than 4.3's SeedTypeEnum, so ``str(seed.type)`` stays the plain value;
- renamed operations as aliases of 2.2.0's (``x-aliases`` on the operation);
- the ``application`` API key sent as X-Application-ID (4.1.0; ``x-since`` on the scheme).

2.2.0 wins where two versions conflict (field defaults of None, not "UNKNOWN"; enum order).
The output depends only on the two input files: run it again after they change.
"""
from __future__ import annotations

import argparse
import copy
import json
import re
import sys
from http import HTTPStatus
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sdk_wheel import OperationFacts, WheelFacts, read_wheel  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "spec" / "pieces-os.openapi.json"
LAST_VERSION = "4.4.1"  # 5.x facts are information only: its models are not in scope


def version_key(version: str) -> Tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def first_versions(facts: Dict[str, Any]) -> List[str]:
    """The versions after 2.2.0 up to LAST_VERSION that have facts of their own (others are
    ``identical_to`` an earlier one, so never the first to have a change)."""
    versions = [key for key in facts if key[0].isdigit() and key != "2.2.0" and "identical_to" not in facts[key]]
    return sorted((v for v in versions if version_key(v) <= version_key(LAST_VERSION)), key=version_key)


def since(facts: Dict[str, Any], versions: List[str], predicate: Any) -> str:
    """The first version whose facts satisfy ``predicate``."""
    for version in versions:
        if predicate(facts[version]):
            return version
    raise SystemExit("a change of the last version is missing from every earlier one")


def field_changes(version_facts: Dict[str, Any], model: str) -> List[Dict[str, Any]]:
    return list(version_facts["models"].get(model, []))


def default_member_name(value: str) -> str:
    sys.path.insert(0, str(ROOT / "scripts"))
    from generate import enum_member_name

    return enum_member_name(value)


def extend(spec: Dict[str, Any], facts: Dict[str, Any]) -> Dict[str, Any]:
    spec = copy.deepcopy(spec)
    versions = first_versions(facts)
    last = facts[LAST_VERSION]
    schemas: Dict[str, Any] = spec["components"]["schemas"]

    for name, shape in sorted(last["new_models"].items()):
        if name in schemas:
            continue  # the 2.2.0 package had it outside the shared spec: its later fields come from the 4.4.1 wheel
        first = since(facts, versions, lambda f, n=name: n in f["new_models"])
        schemas[name] = {**copy.deepcopy(shape), "x-since": first}

    for model, changes in sorted(last["models"].items()):
        schema = schemas[model]
        for change in changes:
            kind, key = change["change"], change["json_key"]

            def seen(f: Dict[str, Any], c: Dict[str, Any] = change, m: str = model) -> bool:
                return any(
                    other["change"] == c["change"] and other["json_key"] == c["json_key"]
                    for other in field_changes(f, m)
                )

            if kind == "field_added":
                prop = copy.deepcopy(change["schema"])
                prop["x-since"] = since(facts, versions, seen)
                schema["properties"][key] = prop
                if change["python_attr"] != key:
                    schema.setdefault("x-python-names", {})[key] = change["python_attr"]
            elif kind == "inline_enum_values_added":
                prop = schema["properties"][key]
                for value in change["values"]:
                    if value not in prop["enum"]:
                        prop["enum"].append(value)
                        prop.setdefault("x-values-since", {})[value] = since(facts, versions, seen)
            elif kind == "required_to_optional":
                schema["required"] = [field for field in schema.get("required", []) if field != key]
                if not schema["required"]:
                    del schema["required"]
                schema.setdefault("x-optional-since", {})[key] = since(facts, versions, seen)
            elif kind == "field_type_changed" and model == "Seed" and key == "type":
                # 4.3 made it SeedTypeEnum; its members are str, so the literal with UNKNOWN takes them.
                prop = schema["properties"][key]
                prop["enum"].append("UNKNOWN")
                prop["x-values-since"] = {"UNKNOWN": since(facts, versions, seen)}
            elif kind in ("field_removed", "inline_enum_check_changed", "field_default_changed"):
                continue  # 2.2.0's field, exact check and None default are kept
            else:
                raise SystemExit(f"{model}.{key}: no rule for the change {kind!r}")

    for enum, changes in sorted(last["enums"].items()):
        schema = schemas[enum]
        for change in changes:
            kind = change["change"]
            if kind == "enum_values_added":
                added = {
                    value: since(
                        facts, versions,
                        lambda f, v=value, e=enum: any(
                            c["change"] == "enum_values_added" and v in c["values"] for c in f["enums"].get(e, [])
                        ),
                    )
                    for value in change["values"]
                    if value not in schema["enum"]
                }
                # Oldest first, so each version's order extends the one before it.
                for value in sorted(added, key=lambda v: (version_key(added[v]), change["values"].index(v))):
                    schema["enum"].append(value)
                    schema.setdefault("x-values-since", {})[value] = added[value]
                for member, value in change.get("members", {}).items():
                    if member != default_member_name(value):
                        schema.setdefault("x-enum-names", {})[value] = member
            elif kind in ("enum_values_removed", "enum_order_changed"):
                continue  # removed values stay; 2.2.0's order stays, new values go last
            else:
                raise SystemExit(f"{enum}: no rule for the change {kind!r}")

    operations = {
        f"{method.upper()} {path}": op for path, item in spec["paths"].items() for method, op in item.items()
    }
    for rename in last["operations"]["renamed"]:
        first = since(
            facts, versions,
            lambda f, r=rename: any(o["to"] == r["to"] for o in f["operations"]["renamed"]),
        )
        op = operations[rename["http"]]
        if op["operationId"] != rename["from"]:
            raise SystemExit(f"{rename['http']} is {op['operationId']} in the spec, not {rename['from']}")
        op.setdefault("x-aliases", []).append({"operationId": rename["to"], "x-since": first})

    auth_since: Optional[str] = None
    for change in last["operations"]["changed"]:
        for detail in change["changes"]:
            if detail["change"] == "auth_settings_changed" and "application" in detail["to"]:
                auth_since = since(
                    facts, versions,
                    lambda f, m=change["method"]: any(
                        c["method"] == m and any("application" in d.get("to", []) for d in c["changes"])
                        for c in f["operations"]["changed"]
                    ),
                )
    if auth_since is not None:
        spec["components"]["securitySchemes"] = {
            "application": {"type": "apiKey", "in": "header", "name": "X-Application-ID", "x-since": auth_since}
        }
        spec["security"] = [{}, {"application": []}]

    spec["info"]["x-later-versions"] = (
        f"extended by scripts/extend_spec.py with what the generated SDKs up to {LAST_VERSION} added"
        " (later-versions.json): x-since / x-values-since / x-optional-since give the first version"
    )
    return spec



# ----- the whole generated SDK, read off its wheels ------------------------------------------
# Facts first seen in the 4.4.1 package but not in later-versions.json carry this mark: added after
# 2.2.0, present by 4.4.1; which release first had them was not checked.
BY_LAST = f"by {LAST_VERSION}"
# A path segment that makes an operation a WebSocket in Pieces OS (the generated SDK sends a plain GET).
STREAM_SEGMENT = re.compile(r"/(stream|streamed)(/|$)")


def derived_member_name(value: str) -> str:
    """The member name the generator gives a value when the spec names none."""
    sys.path.insert(0, str(ROOT / "scripts"))
    from generate import generated_sdk_member_name

    return generated_sdk_member_name(value)


def tag_of(api_class: str) -> str:
    return api_class[: -len("Api")]


def member_names(schema: Dict[str, Any]) -> Dict[str, str]:
    """The generated SDK's member names that the generator would not derive from the values."""
    return {
        value: member
        for value, member in schema.get("x-sdk-members", {}).items()
        if member != derived_member_name(value)
    }


def schema_from_package(schema: Dict[str, Any]) -> Dict[str, Any]:
    schema = copy.deepcopy(schema)
    names = member_names(schema)
    schema.pop("x-sdk-members", None)
    if names:
        schema["x-enum-names"] = names
    return schema


def response_schema(kind: str, media: str) -> Dict[str, Any]:
    if kind == "str" or not media.endswith("json"):
        return {"type": "string"}
    if kind == "List[str]":
        return {"items": {"type": "string"}, "type": "array"}
    return {"$ref": f"#/components/schemas/{kind}"}


def responses(op: OperationFacts) -> Dict[str, Any]:
    """The responses of an operation as the package parses them: a success's body in each media
    type it accepts, an error's as text (or JSON when it names a model)."""
    result: Dict[str, Any] = {}
    for status, kind in op.responses.items():
        entry: Dict[str, Any] = {"description": HTTPStatus(int(status)).phrase}
        if kind is not None:
            media = op.accept if status.startswith("2") and op.accept else (["text/plain"] if kind == "str" else ["application/json"])
            entry["content"] = {m: {"schema": response_schema(kind, m)} for m in media}
        result[status] = entry
    if not any(status.startswith("2") for status in result):
        result = {"204": {"description": "No Content"}, **result}  # no body to parse, whatever the status
    return result


def parameter(python_name: str, wire: str, location: str, required: bool, schema: Dict[str, Any],
              formats: Dict[str, str]) -> Dict[str, Any]:
    entry: Dict[str, Any] = {"name": wire, "in": location, "required": required, "schema": schema}
    if python_name != wire:
        entry["x-python-name"] = python_name
    if formats.get(python_name) == "ssv":
        entry.update(style="spaceDelimited", explode=False)
    return entry


def words(name: str) -> str:
    return name.replace("_", " ").strip()


def singular(noun: str) -> str:
    if noun.endswith("ies"):
        return noun[:-3] + "y"
    return noun[:-1] if noun.endswith("s") and not noun.endswith("ss") else noun


def plural(noun: str) -> str:
    return noun[:-1] + "ies" if noun.endswith("y") and noun[-2:-1] not in "aeiou" else noun + "s"


def a(noun: str) -> str:
    return ("an " if noun[:1].lower() in "aeiou" else "a ") + noun


def summary_of(op: OperationFacts) -> str:
    """Our own short phrase for an operation, from what it is: its name, path, body and result."""
    name, path = op.name, op.path
    segments = [s for s in path.split("/") if s and not s.startswith("{")]
    subject = singular(words(segments[0])) if segments else "server"
    body = next((p[4].get("$ref", "").rsplit("/", 1)[-1] for p in op.parameters if p[2] == "body"), "")
    result = next((kind for status, kind in op.responses.items() if status.startswith("2") and kind), None)
    linked = re.search(r"(dis)?associate_(.+)$", name)
    if linked and "associate" in path:
        other = words(linked.group(2))
        return f"unlink {a(other)} from the {subject}" if linked.group(1) else f"link {a(other)} to the {subject}"
    if name.endswith("stream_identifiers"):
        return f"stream the ids of the {plural(subject)} as they change"
    if "scores_increment" in name:
        return f"bump the scores of the {subject} named in the body"
    parts = path.split("/")
    # The thing a path names by id: the fixed segment before its last parameter (/applications/sessions/{session}).
    named = singular(words(parts[-2])) if len(parts) > 2 and parts[-1].startswith("{") else subject
    if path.endswith("/delete") and parts[-2].startswith("{"):
        return f"delete {a(singular(words(parts[-3])))}"
    if ("create" in name or name.endswith("_new")) and body:
        return f"create {a(subject)} from {a(body)}" + (f", returning the {result}" if result and result != "str" else "")
    if name.endswith("_update") and body:
        return f"update {a(subject)} from the {body} in the body"
    if name.endswith("snapshot") and parts[-1].startswith("{") and result:
        return f"read one {named} as {a(result)}"
    if name.endswith("snapshot") and "{" not in path and result:
        return f"read the {words(parts[-1])} as {result}"
    if path.endswith("/search") and result:
        return f"search the {words(parts[-2])}, returning {result}"
    phrase = words(name)
    if body:
        phrase += f" with the {body} in the body"
    if result == "str":
        phrase += ", answered as text"
    elif result:
        phrase += f", returning {a(result)}"
    return phrase


def operation(op: OperationFacts, modules: Dict[str, str]) -> Dict[str, Any]:
    """An operation of the package in the spec's shape: parameters in the signature's order, the
    body (JSON, or form fields) after them, as the generated SDK always puts it."""
    entry: Dict[str, Any] = {"operationId": op.name, "tags": [tag_of(op.api_class)], "x-summary": summary_of(op)}
    entry["parameters"] = [
        parameter(*p, op.collection_formats) for p in op.parameters if p[2] in ("path", "query", "header")
    ]
    body = [p for p in op.parameters if p[2] == "body"]
    form = [p for p in op.parameters if p[2] == "formData"]
    if [p[2] for p in op.parameters if p[2] in ("body", "formData")] and op.parameters[-len(body + form)][2] not in ("body", "formData"):
        raise SystemExit(f"{op.api_class}.{op.name}: a path or query parameter after the body")
    if body:
        python_name, _, _, required, schema = body[0]
        media = op.content_types[0] if op.content_types else "application/json"
        entry["requestBody"] = {"required": required, "content": {media: {"schema": schema}}}
        named = schema.get("$ref", "").rsplit("/", 1)[-1]
        if modules.get(named) != python_name:
            entry["requestBody"]["x-python-name"] = python_name
    elif form:
        fields: Dict[str, Any] = {"properties": {p[1]: p[4] for p in form}}
        required_fields = [p[1] for p in form if p[3]]
        if required_fields:
            fields["required"] = required_fields
        fields["type"] = "object"
        renamed = {p[1]: p[0] for p in form if p[0] != p[1]}
        if renamed:
            fields["x-python-names"] = renamed
        entry["requestBody"] = {"required": bool(required_fields), "content": {op.content_types[0]: {"schema": fields}}}
    entry["responses"] = responses(op)
    return entry


def operations_by_name(spec: Dict[str, Any]) -> Dict[Tuple[str, str], Dict[str, Any]]:
    """(tag, operationId) -> operation, an alias included under its own name."""
    found: Dict[Tuple[str, str], Dict[str, Any]] = {}
    for item in spec["paths"].values():
        for op in item.values():
            for tag in op["tags"]:
                found[(tag, op["operationId"])] = op
                for alias in op.get("x-aliases", []):
                    found[(tag, alias["operationId"])] = op
    return found


def add_package(spec: Dict[str, Any], package: WheelFacts) -> None:
    """The 2.2.0 package's operations and schemas that the shared spec leaves out, as they are."""
    schemas = spec["components"]["schemas"]
    for name, schema in package.schemas.items():
        if name not in schemas:
            schemas[name] = schema_from_package(schema)
        else:
            schemas[name].update(member_names(schema) and {"x-enum-names": member_names(schema)})
    modules = {name: schema["x-python-module"] for name, schema in schemas.items()}
    known = operations_by_name(spec)
    for op in package.operations:
        if (tag_of(op.api_class), op.name) not in known:
            spec["paths"].setdefault(op.path, {})[op.method.lower()] = operation(op, modules)
    add_tags(spec, package)


def add_tags(spec: Dict[str, Any], package: WheelFacts) -> None:
    tags = {tag["name"]: tag for tag in spec["tags"]}
    for api_class, module in sorted(package.api_modules.items()):
        tag = tags.setdefault(tag_of(api_class), {"name": tag_of(api_class)})
        tag["x-python-module"] = module
    first = [t["name"] for t in spec["tags"]][:3]
    spec["tags"] = [tags[name] for name in first] + [tags[name] for name in sorted(tags) if name not in first]


def add_later_package(spec: Dict[str, Any], base: WheelFacts, last: WheelFacts) -> List[str]:
    """What the 4.4.1 package has beyond 2.2.0 and later-versions.json, as optional additions;
    returns the conflicts where 2.2.0's shape was kept."""
    kept: List[str] = []
    schemas = spec["components"]["schemas"]
    for name, schema in last.schemas.items():
        if name not in schemas:
            schemas[name] = {**schema_from_package(schema), "x-since": BY_LAST}
            continue
        mine = schemas[name]
        if "enum" in schema:
            for value in schema["enum"]:
                if value not in mine["enum"]:
                    mine["enum"].append(value)
                    mine.setdefault("x-values-since", {})[value] = BY_LAST
            names = {**mine.get("x-enum-names", {}), **member_names(schema)}
            if names:
                mine["x-enum-names"] = dict(sorted(names.items()))
            continue
        for key, prop in schema.get("properties", {}).items():
            if key not in mine.setdefault("properties", {}):
                mine["properties"][key] = {**prop, "x-since": BY_LAST}
                attribute = schema.get("x-python-names", {}).get(key)
                if attribute:
                    mine.setdefault("x-python-names", {})[key] = attribute
            elif "enum" in prop and "enum" in mine["properties"][key]:
                for value in prop["enum"]:
                    if value not in mine["properties"][key]["enum"]:
                        mine["properties"][key]["enum"].append(value)
                        mine["properties"][key].setdefault("x-values-since", {})[value] = BY_LAST
    modules = {name: schema["x-python-module"] for name, schema in schemas.items()}
    known = operations_by_name(spec)
    by_route = {(method, path): op for path, item in spec["paths"].items() for method, op in item.items()}
    base_ops = {(op.api_class, op.name): op for op in base.operations}
    for op in last.operations:
        tag = tag_of(op.api_class)
        mine = known.get((tag, op.name))
        if mine is None:
            same_name = [o for (t, n), o in known.items() if n == op.name]
            route = by_route.get((op.method.lower(), op.path))
            if same_name and route is same_name[0]:
                route["tags"].append(tag)  # the same operation, in one more API class too
            elif route is not None:
                route.setdefault("x-aliases", []).append({"operationId": op.name, "x-since": BY_LAST})
            else:
                new = operation(op, modules)
                new["x-since"] = BY_LAST
                spec["paths"].setdefault(op.path, {})[op.method.lower()] = new
            continue
        old = base_ops.get((op.api_class, op.name))
        if old is None:
            continue
        if (old.method, old.path) != (op.method, op.path):
            kept.append(f"{op.api_class}.{op.name}: {old.method} {old.path} (4.4.1: {op.method} {op.path})")
        old_names = [p[0] for p in old.parameters]
        new_names = [p[0] for p in op.parameters]
        if new_names[: len(old_names)] == old_names:
            for added in op.parameters[len(old_names):]:
                if added[2] not in ("path", "query"):
                    raise SystemExit(f"{op.api_class}.{op.name}: no rule for an added {added[2]} parameter")
                mine["parameters"].append({**parameter(*added, op.collection_formats), "x-since": BY_LAST})
        else:
            kept.append(f"{op.api_class}.{op.name}({', '.join(old_names)}) (4.4.1: ({', '.join(new_names)}))")
        if old.responses != op.responses:
            kept.append(f"{op.api_class}.{op.name} answers {old.responses} (4.4.1: {op.responses})")
    add_tags(spec, last)
    return kept


def mark_streams(spec: Dict[str, Any]) -> None:
    """The operations Pieces OS serves as WebSockets: a GET without parameters or body on a
    ``stream`` path whose messages are a model. The identifiers streams send StreamedIdentifiers
    whatever the package parses."""
    for path, item in spec["paths"].items():
        op = item.get("get")
        if op is None or not STREAM_SEGMENT.search(path) or op.get("parameters") or "requestBody" in op:
            continue
        success = next(code for code in op["responses"] if code.startswith("2"))
        content = op["responses"][success].setdefault("content", {})
        if not content and path.endswith("/stream/identifiers"):
            # 2.2.0 parsed nothing from this one; its messages are the other identifier streams'.
            content["application/json"] = {"schema": {"$ref": "#/components/schemas/StreamedIdentifiers"}}
        if "$ref" in content.get("application/json", {}).get("schema", {}):
            op["x-websocket"] = True  # messages of a model; a text stream (the health) stays a plain GET
        elif not content:
            del op["responses"][success]["content"]


def build(shared_spec: Dict[str, Any], facts: Dict[str, Any], base: WheelFacts, last: WheelFacts) -> Dict[str, Any]:
    """The spec: the shared 2.2.0 description, the rest of the 2.2.0 package, what later-versions.json
    says later versions changed, and what else the 4.4.1 package has."""
    spec = copy.deepcopy(shared_spec)
    add_package(spec, base)
    spec = extend(spec, facts)
    kept = add_later_package(spec, base, last)
    mark_streams(spec)
    spec["paths"] = dict(sorted(spec["paths"].items()))
    spec["components"]["schemas"] = dict(sorted(spec["components"]["schemas"].items()))
    spec["info"]["x-packages"] = (
        f"every operation and schema of the generated SDK {base.version} (its wheel's source, read by"
        f" scripts/sdk_wheel.py), and what {last.version} has beyond it; an addition no earlier fact dates"
        f" is marked x-since \"{BY_LAST}\""
    )
    spec["info"]["x-kept-from-2.2.0"] = kept
    return spec


def wheel_path(directory: Path, version: str) -> Path:
    path = directory / f"pieces_os_client-{version}-py3-none-any.whl"
    if not path.is_file():
        raise SystemExit(f"{path} is missing: pip download --no-deps pieces-os-client=={version} -d {directory}")
    return path


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("shared", nargs="?", help="the directory of the two inputs (default: the nearest shared/spec above the repo)")
    parser.add_argument(
        "--wheels", required=True, type=Path,
        help=f"a directory holding pieces_os_client-2.2.0-py3-none-any.whl and -{LAST_VERSION}-"
        f" (pip download --no-deps pieces-os-client==2.2.0 pieces-os-client=={LAST_VERSION} -d DIR)",
    )
    arguments = parser.parse_args(argv)
    if arguments.shared:
        shared = Path(arguments.shared)
    else:
        found = [parent / "shared" / "spec" for parent in ROOT.parents if (parent / "shared" / "spec").is_dir()]
        if not found:
            parser.error("no shared/spec directory above the repository; give its path")
        shared = found[0]
    spec = json.loads((shared / "pieces-os.openapi.json").read_text(encoding="utf-8"))
    facts = json.loads((shared / "later-versions.json").read_text(encoding="utf-8"))
    base, last = (read_wheel(wheel_path(arguments.wheels, version)) for version in ("2.2.0", LAST_VERSION))
    OUTPUT.write_text(json.dumps(build(spec, facts, base, last), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {OUTPUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
