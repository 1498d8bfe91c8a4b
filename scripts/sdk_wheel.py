"""The operations and schemas of a published generated SDK, read from its wheel's source.

    read_wheel("pieces_os_client-2.2.0-py3-none-any.whl") -> WheelFacts

The generated SDK (up to 4.x) writes each API class and each model in one fixed shape, so the
facts an OpenAPI description holds can be read back from the syntax trees of its modules without
importing them (they need pydantic 1): an operation's path, method, parameters in signature order
with where each goes (path, query, header, form, body), the media types it sends and accepts,
its statuses and their types; a model's fields in declaration order with their JSON keys, types,
defaults and whether they are required, the enums checked by its validators and its patterns.
Only facts are kept, never the docstrings' prose.
"""
from __future__ import annotations

import ast
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

PACKAGE = "pieces_os_client"
SCALARS = {
    "StrictStr": {"type": "string"},
    "str": {"type": "string"},
    "StrictBool": {"type": "boolean"},
    "bool": {"type": "boolean"},
    "StrictInt": {"type": "integer"},
    "int": {"type": "integer"},
    "StrictFloat": {"type": "number"},
    "float": {"type": "number"},
    "datetime": {"format": "date-time", "type": "string"},
    "StrictBytes": {"format": "binary", "type": "string"},
}
# Union[StrictFloat, StrictInt]: a JSON number that may be written as an integer.
NUMBER = {"anyOf": [{"type": "number"}, {"type": "integer"}]}


@dataclass
class OperationFacts:
    """One operation of an API class, as its ``<name>_with_http_info`` method sends it."""

    name: str
    api_class: str
    method: str
    path: str
    # (Python name, wire name, location, required, schema), in the signature's order
    parameters: List[Tuple[str, str, str, bool, Dict[str, Any]]]
    content_types: List[str]
    accept: List[str]
    responses: Dict[str, Optional[str]]  # status -> "str", a model's name, or None (no body)
    auth: List[str]
    collection_formats: Dict[str, str] = field(default_factory=dict)


@dataclass
class WheelFacts:
    version: str
    operations: List[OperationFacts]
    schemas: Dict[str, Dict[str, Any]]  # name -> OpenAPI schema (with x-python-module / x-python-names)
    api_modules: Dict[str, str]  # API class -> its module under api/


def _ref(name: str) -> Dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def _unwrap(node: ast.expr) -> Tuple[ast.expr, bool]:
    """The type inside ``Annotated[...]`` and ``Optional[...]``, and whether it was Optional."""
    optional = False
    while isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id in ("Annotated", "Optional"):
        inner = node.slice
        if node.value.id == "Annotated":
            assert isinstance(inner, ast.Tuple)
            inner = inner.elts[0]
        else:
            optional = True
        node = inner
    return node, optional


def type_schema(node: ast.expr, where: str) -> Dict[str, Any]:
    """The schema of a generated annotation (``StrictStr``, ``conlist(Tag)``, ``Dict[str, X]``...)."""
    node, _ = _unwrap(node)
    if isinstance(node, ast.Name):
        if node.id in SCALARS:
            return dict(SCALARS[node.id])
        if node.id == "Any":
            return {}
        return _ref(node.id)
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
        kind = node.value.id
        args = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        if kind == "Union":
            names = sorted(ast.unparse(a) for a in args)
            if names == ["StrictFloat", "StrictInt"]:
                return dict(NUMBER)
            if names == ["StrictBytes", "StrictStr"]:
                return {"format": "binary", "type": "string"}
            return {"anyOf": [type_schema(a, where) for a in args]}
        if kind == "List":
            return {"items": type_schema(args[0], where), "type": "array"}
        if kind == "Dict":
            values = type_schema(args[1], where)
            return {"additionalProperties": values if values else True, "type": "object"}
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        options = {k.arg: ast.literal_eval(k.value) for k in node.keywords if k.arg}
        if node.func.id == "conlist":
            schema = {"items": type_schema(node.args[0], where), "type": "array"}
            for key, spec_key in (("min_items", "minItems"), ("max_items", "maxItems")):
                if key in options:
                    schema[spec_key] = options[key]
            return schema
        if node.func.id == "constr":
            schema: Dict[str, Any] = {"type": "string"}
            for key, spec_key in (("max_length", "maxLength"), ("min_length", "minLength")):
                if key in options:
                    schema[spec_key] = options[key]
            return schema
    raise SystemExit(f"{where}: no rule for the annotation {ast.unparse(node)}")


def _module_sources(archive: zipfile.ZipFile, folder: str) -> Dict[str, str]:
    prefix = f"{PACKAGE}/{folder}/"
    return {
        name[len(prefix):-3]: archive.read(name).decode("utf-8")
        for name in sorted(archive.namelist())
        if name.startswith(prefix) and name.endswith(".py") and "/" not in name[len(prefix):] and not name.endswith("__init__.py")
    }


# ----- models -------------------------------------------------------------------------------
def _enum_values(function: ast.FunctionDef) -> Optional[List[str]]:
    """The values an ``x_validate_enum`` validator accepts. 2.2.0 wrote a single value as
    ``('x')``, a string rather than a tuple: that is still the one value ``x``."""
    for node in ast.walk(function):
        if isinstance(node, ast.Compare) and isinstance(node.ops[0], ast.NotIn):
            allowed = ast.literal_eval(node.comparators[0])
            return [allowed] if isinstance(allowed, str) else list(allowed)
    return None


def _pattern(function: ast.FunctionDef) -> Optional[str]:
    for node in ast.walk(function):
        if isinstance(node, ast.Call) and ast.unparse(node.func) == "re.match":
            return str(ast.literal_eval(node.args[0]))
    return None


def _field_default(value: Optional[ast.expr]) -> Tuple[bool, Any, Optional[str]]:
    """(required, default, alias) of a field's ``= Field(...)`` or ``= value``."""
    if value is None:
        return True, None, None
    if isinstance(value, ast.Call) and ast.unparse(value.func) == "Field":
        keywords = {k.arg: k.value for k in value.keywords if k.arg}
        first = value.args[0] if value.args else keywords.get("default")
        alias = ast.literal_eval(keywords["alias"]) if "alias" in keywords else None
        if first is None or (isinstance(first, ast.Constant) and first.value is Ellipsis):
            return first is not None or "default" not in keywords, None, alias
        return False, ast.literal_eval(first), alias
    return False, ast.literal_eval(value), None


def model_schema(module: str, source: str) -> Tuple[str, Dict[str, Any]]:
    tree = ast.parse(source)
    classes = [node for node in tree.body if isinstance(node, ast.ClassDef)]
    cls = classes[0]
    bases = [ast.unparse(b) for b in cls.bases]
    where = f"{module}.{cls.name}"
    if bases == ["str", "Enum"]:
        members = [
            (item.targets[0].id, item.value.value)
            for item in cls.body
            if isinstance(item, ast.Assign) and isinstance(item.targets[0], ast.Name)
            and isinstance(item.value, ast.Constant) and isinstance(item.value.value, str)
        ]
        return cls.name, {
            "enum": [value for _, value in members],
            "type": "string",
            "x-python-module": module,
            "x-sdk-members": {value: member for member, value in members},
        }
    one_of = [item for item in cls.body if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name)
              and item.target.id.startswith("oneof_schema_")]
    if one_of:
        return cls.name, {
            "oneOf": [type_schema(item.annotation, where) for item in one_of],
            "x-python-module": module,
        }
    validators = {}
    for item in cls.body:
        if isinstance(item, ast.FunctionDef) and item.decorator_list:
            decorator = item.decorator_list[0]
            if isinstance(decorator, ast.Call) and ast.unparse(decorator.func) == "validator":
                validators[ast.literal_eval(decorator.args[0])] = item
    properties: Dict[str, Any] = {}
    required: List[str] = []
    names: Dict[str, str] = {}
    for item in cls.body:
        if not (isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name)):
            continue
        attribute = item.target.id
        needed, default, alias = _field_default(item.value)
        key = alias or attribute
        prop = type_schema(item.annotation, f"{where}.{attribute}")
        check = validators.get(attribute)
        if check is not None and check.name.endswith("_validate_enum"):
            prop["enum"] = _enum_values(check)
        if check is not None and check.name.endswith("_validate_regular_expression"):
            prop["pattern"] = _pattern(check)
        if default is not None:
            prop["default"] = default
        prop = dict(sorted(prop.items()))
        properties[key] = prop
        if needed:  # Optional[X] = Field(...) is required too, and may be null
            required.append(key)
        if key != attribute:
            names[key] = attribute
    schema: Dict[str, Any] = {"properties": properties}
    if required:
        schema["required"] = required
    schema["type"] = "object"
    schema["x-python-module"] = module
    if names:
        schema["x-python-names"] = names
    return cls.name, schema


# ----- operations ---------------------------------------------------------------------------
def _string_list(node: ast.expr) -> List[str]:
    return [str(v) for v in ast.literal_eval(node)]


def _operation(api_class: str, function: ast.FunctionDef) -> OperationFacts:
    name = function.name[: -len("_with_http_info")]
    where = f"{api_class}.{name}"
    arguments = function.args.args[1:]
    defaults = [None] * (len(arguments) - len(function.args.defaults)) + list(function.args.defaults)
    signature = {a.arg: (a, d) for a, d in zip(arguments, defaults)}
    locations: Dict[str, Tuple[str, str]] = {}  # Python name -> (location, wire name)
    facts: Dict[str, Any] = {"content_types": [], "accept": [], "auth": [], "responses": {}, "formats": {}}
    for node in ast.walk(function):
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
            text = ast.unparse(target)
            if isinstance(target, ast.Subscript) and isinstance(value, ast.Subscript) and ast.unparse(value.value) == "_params":
                kind = ast.unparse(target.value)
                location = {"_path_params": "path", "_header_params": "header", "_files": "formData"}.get(kind)
                if location:
                    locations[ast.literal_eval(value.slice)] = (location, ast.literal_eval(target.slice))
            elif text == "_body_params" and isinstance(value, ast.Subscript):
                locations[ast.literal_eval(value.slice)] = ("body", "")
            elif text == "_auth_settings":
                facts["auth"] = _string_list(value)
            elif text == "_response_types_map":
                facts["responses"] = {str(k): v for k, v in ast.literal_eval(value).items()}
            elif isinstance(target, ast.Subscript) and ast.unparse(target.value) == "_collection_formats":
                facts["formats"][ast.literal_eval(target.slice)] = ast.literal_eval(value)
        elif isinstance(node, ast.Call):
            func = ast.unparse(node.func)
            if func in ("_query_params.append", "_form_params.append"):
                wire, value = node.args[0].elts  # type: ignore[attr-defined]
                while isinstance(value, ast.Attribute):  # an enum's .value
                    value = value.value
                python_name = ast.literal_eval(value.slice)  # type: ignore[attr-defined]
                locations[python_name] = ("query" if func.startswith("_query") else "formData", ast.literal_eval(wire))
            elif func == "self.api_client.select_header_accept":
                facts["accept"] = _string_list(node.args[0])
            elif func == "self.api_client.select_header_content_type":
                facts["content_types"] = _string_list(node.args[0])
            elif func == "self.api_client.call_api":
                facts["path"] = ast.literal_eval(node.args[0])
                facts["method"] = ast.literal_eval(node.args[1])
    parameters = []
    for python_name, (argument, default) in signature.items():
        if python_name not in locations:
            raise SystemExit(f"{where}: the parameter {python_name} goes nowhere")
        location, wire = locations[python_name]
        _, optional = _unwrap(argument.annotation)  # type: ignore[arg-type]
        required = default is None and not optional
        parameters.append((python_name, wire, location, required, type_schema(argument.annotation, f"{where}({python_name})")))  # type: ignore[arg-type]
    return OperationFacts(
        name=name,
        api_class=api_class,
        method=facts["method"],
        path=facts["path"],
        parameters=parameters,
        content_types=facts["content_types"],
        accept=facts["accept"],
        responses=facts["responses"],
        auth=facts["auth"],
        collection_formats=facts["formats"],
    )


def api_operations(module: str, source: str) -> Tuple[str, List[OperationFacts]]:
    tree = ast.parse(source)
    cls = next(node for node in tree.body if isinstance(node, ast.ClassDef))
    return cls.name, [
        _operation(cls.name, item)
        for item in cls.body
        if isinstance(item, ast.FunctionDef) and item.name.endswith("_with_http_info")
    ]


def read_wheel(path: Path) -> WheelFacts:
    match = re.search(r"-(\d+\.\d+\.\d+)-", path.name)
    if not match:
        raise SystemExit(f"{path}: not a pieces_os_client wheel (no version in its name)")
    with zipfile.ZipFile(path) as archive:
        models = _module_sources(archive, "models")
        apis = _module_sources(archive, "api")
    schemas = dict(model_schema(module, source) for module, source in models.items())
    operations: List[OperationFacts] = []
    api_modules: Dict[str, str] = {}
    for module, source in apis.items():
        cls, ops = api_operations(module, source)
        api_modules[cls] = module
        operations += ops
    return WheelFacts(match.group(1), operations, dict(sorted(schemas.items())), api_modules)
