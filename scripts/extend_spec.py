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
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

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


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("shared", nargs="?", help="the directory of the two inputs (default: the nearest shared/spec above the repo)")
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
    OUTPUT.write_text(json.dumps(extend(spec, facts), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {OUTPUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
