"""Imports run one way, and every module imports in any order.

The layers, lowest first (docs/architecture.md draws them): a module imports, at run time, only
modules of its own layer or a lower one, the import graph has no cycle, and no function imports a
module of the package to dodge one. Modules loaded by name (``importlib.import_module``) are
loaded only by the few mechanisms made for it, listed in ``LOADED_BY_NAME``.
"""
from __future__ import annotations

import ast
import json
import os
import random
import re
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Set, Tuple

import pytest

from pieces_os_client.cli.commands import COMMANDS

PACKAGE_DIR = Path(__file__).resolve().parents[2] / "pieces_os_client"
PACKAGE = "pieces_os_client"

# Lowest first. A module belongs to the layer of the longest prefix that names it ("pieces_os_client"
# names only the package's __init__, so that a new module must be given its layer here).
LAYERS: List[Tuple[str, ...]] = [
    ("pieces_os_client._version", "pieces_os_client._installation", "pieces_os_client._environment",
     "pieces_os_client._headers", "pieces_os_client._lazy", "pieces_os_client._content_encoding",
     "pieces_os_client._terminal", "pieces_os_client.api_response", "pieces_os_client.display",
     "pieces_os_client._building", "pieces_os_client._collector", "pieces_os_client._fields", "pieces_os_client._slices"),
    ("pieces_os_client._refs",),
    ("pieces_os_client._partial",),
    ("pieces_os_client.exceptions", "pieces_os_client._models", "pieces_os_client._transport"),
    ("pieces_os_client._one_of",),
    ("pieces_os_client._discovery", "pieces_os_client.configuration", "pieces_os_client.models"),
    ("pieces_os_client._operation", "pieces_os_client.rest", "pieces_os_client._stream_messages"),
    ("pieces_os_client.api_client", "pieces_os_client.streams"),
    ("pieces_os_client.api",),
    ("pieces_os_client", "pieces_os_client.cli", "pieces_os_client.testing", "pieces_os_client.__main__"),
]

# The emulator needs the [server] extra; the command line imports it only in the commands that
# run it, so that the rest of the command line works without the extra.
OPTIONAL_EXTRA = "pieces_os_client.testing"

# The functions that load a module of the package by name, each a mechanism made for it: the
# packages' PEP 562 __getattr__, a model reference resolved on first use, an operation's return
# model, and the command line's entry point loading the module of the one command that runs
# (only from its table, cli.commands.COMMANDS; see test_the_command_line_loads_modules_only_from_its_table).
LOADED_BY_NAME = {
    ("pieces_os_client._lazy", "load"),
    ("pieces_os_client._refs", "resolve"),
    ("pieces_os_client._operation", "resolve_model"),
    ("pieces_os_client.cli", "command_parser"),
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULE_PATHS: Dict[str, Path] = {module_name(p): p for p in sorted(PACKAGE_DIR.rglob("*.py"))}
MODULES = sorted(MODULE_PATHS)


def layer(module: str) -> int:
    best, found = -1, -1
    for index, names in enumerate(LAYERS):
        for name in names:
            if (module == name or (name != PACKAGE and module.startswith(name + "."))) and len(name) > best:
                best, found = len(name), index
    assert found >= 0, f"{module} is in no layer of test_imports.LAYERS"
    return found


def is_package(module: str) -> bool:
    return MODULE_PATHS[module].name == "__init__.py"


def targets(module: str, node: ast.AST) -> Iterator[str]:
    """The modules of the package an import statement imports."""
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.name.split(".")[0] == PACKAGE:
                yield alias.name
        return
    assert isinstance(node, ast.ImportFrom)
    if node.level:
        base = module.split(".") if is_package(module) else module.split(".")[:-1]
        base = base[: len(base) - node.level + 1]
        source = ".".join(base + ([node.module] if node.module else []))
    else:
        source = node.module or ""
    if source.split(".")[0] != PACKAGE:
        return
    for alias in node.names:
        submodule = f"{source}.{alias.name}"
        yield submodule if submodule in MODULE_PATHS else source


def is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def module_level_imports(tree: ast.Module) -> Iterator[ast.stmt]:
    """Import statements run when the module is imported (not those under ``if TYPE_CHECKING``)."""
    pending: List[ast.stmt] = list(tree.body)
    while pending:
        node = pending.pop(0)
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif isinstance(node, ast.If):
            pending += node.orelse if is_type_checking(node.test) else node.body + node.orelse
        elif isinstance(node, ast.Try):
            pending += node.body + node.orelse + node.finalbody + [s for h in node.handlers for s in h.body]


def function_imports(tree: ast.Module) -> Iterator[Tuple[ast.AST, ast.stmt]]:
    """(innermost enclosing function, import) of every import statement inside a function. Imports
    are statements: only statements are visited, never the expressions that make up most of a module."""
    pending: List[Tuple[Optional[ast.AST], ast.stmt]] = [(None, statement) for statement in tree.body]
    while pending:
        function, node = pending.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            if function is not None:
                yield function, node
            continue
        inner = node if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) else function
        for field in ("body", "orelse", "finalbody", "handlers", "cases"):
            for child in getattr(node, field, ()):
                if isinstance(child, ast.stmt):
                    pending.append((inner, child))
                else:  # an except handler or a match case: its own statements
                    pending += [(inner, statement) for statement in child.body]


# The first class or function at the left margin: from there on, a generated module holds its
# classes and their methods.
_FIRST_DEFINITION = re.compile(r"^(?:class |def |async def |@)", re.M)
# What any import statement, or load by name, has in its text.
_IMPORTING = re.compile(r"\bimport\b|import_module|__import__")


@cache
def syntax_tree(module: str) -> ast.Module:
    """The statements of ``module`` that the rules read, parsed once for all of them (none changes
    it): every import statement and every load by name, where they are in the module.

    Where nothing from the module's first class or function on has the text of an import or a load
    by name, that part holds neither, and the source before it is parsed alone, with the same line
    numbers: the generated modules (most of the package's source) are their imports and then
    classes. Elsewhere, or where the part before does not parse alone, the whole source is parsed."""
    source = MODULE_PATHS[module].read_text(encoding="utf-8")
    first = _FIRST_DEFINITION.search(source)
    if first is not None and not _IMPORTING.search(source, first.start()):
        try:
            return ast.parse(source[: first.start()])
        except SyntaxError:  # cut inside a string or a bracket: the whole source says what it is
            pass
    return ast.parse(source)


def graph() -> Dict[str, Set[str]]:
    edges: Dict[str, Set[str]] = {}
    for module in MODULE_PATHS:
        tree = syntax_tree(module)
        edges[module] = {t for node in module_level_imports(tree) for t in targets(module, node) if t != module}
    return edges


def test_every_module_is_in_a_layer() -> None:
    for module in MODULES:
        layer(module)


def test_imports_go_down_the_layers() -> None:
    upward = [
        f"{module} (layer {layer(module)}) imports {target} (layer {layer(target)})"
        for module, imported in graph().items()
        for target in sorted(imported)
        if layer(target) > layer(module)
    ]
    assert not upward, "\n".join(upward)


def find_cycle(edges: Dict[str, Set[str]]) -> Optional[List[str]]:
    state: Dict[str, int] = {}
    stack: List[str] = []

    def visit(module: str) -> Optional[List[str]]:
        state[module] = 1
        stack.append(module)
        for target in sorted(edges.get(module, ())):
            if state.get(target) == 1:
                return stack[stack.index(target):] + [target]
            if target not in state:
                found = visit(target)
                if found:
                    return found
        stack.pop()
        state[module] = 2
        return None

    for module in sorted(edges):
        if module not in state:
            found = visit(module)
            if found:
                return found
    return None


def test_the_import_graph_has_no_cycle() -> None:
    assert find_cycle(graph()) is None


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_no_function_imports_a_module_of_the_package() -> None:
    """Only a package's PEP 562 ``__getattr__``, and the command line's use of the optional extra."""
    deferred = []
    for module in MODULE_PATHS:
        for function, node in function_imports(syntax_tree(module)):
            assert isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef))
            for target in targets(module, node):
                if is_package(module) and function.name == "__getattr__":
                    continue
                if target.startswith(OPTIONAL_EXTRA) and not module.startswith(OPTIONAL_EXTRA):
                    continue
                deferred.append(f"{module}:{node.lineno} {function.name}() imports {target}")
    assert not deferred, "\n".join(deferred)


def loads_by_name(node: ast.AST) -> bool:
    """A call of ``importlib.import_module``, ``import_module`` or ``__import__``."""
    if not isinstance(node, ast.Call):
        return False
    called = node.func
    name = called.attr if isinstance(called, ast.Attribute) else called.id if isinstance(called, ast.Name) else ""
    return name in ("import_module", "__import__")


def loads_in(tree: ast.AST, function: str = "<module>") -> Iterator[Tuple[str, ast.Call]]:
    """(innermost enclosing function, call) of every load by name under ``tree``."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield from loads_in(node, node.name)
            continue
        if loads_by_name(node):
            assert isinstance(node, ast.Call)
            yield function, node
        yield from loads_in(node, function)


def by_name_loads() -> Iterator[Tuple[str, str, ast.Call]]:
    """(module, enclosing function, call) of every load by name in the package (a module whose
    source never names either function has none)."""
    for module in MODULE_PATHS:
        source = MODULE_PATHS[module].read_text(encoding="utf-8")
        if "import_module" not in source and "__import__" not in source:
            continue
        for function, call in loads_in(syntax_tree(module)):
            yield module, function, call


def test_modules_are_loaded_by_name_only_by_the_mechanisms_made_for_it() -> None:
    found = {(module, function) for module, function, _ in by_name_loads()}
    unexpected = sorted(found - LOADED_BY_NAME)
    assert not unexpected, (
        f"loaded by name outside LOADED_BY_NAME (an import dodging the layers?): {unexpected}"
    )
    assert found == LOADED_BY_NAME  # the list names no mechanism that is gone


def test_the_command_line_loads_modules_only_from_its_table() -> None:
    """The entry point imports ``COMMANDS[name].module`` and nothing else by name, and every module
    there is a module of the command line's own layer."""
    (call,) = [call for module, _, call in by_name_loads() if module == "pieces_os_client.cli"]
    assert ast.unparse(call.args[0]) == "COMMANDS[name].module" and len(call.args) == 1
    for command in COMMANDS.values():
        assert command.module in MODULE_PATHS and command.module.startswith("pieces_os_client.cli.")
        assert layer(command.module) == layer("pieces_os_client.cli")


def test_the_rule_sees_loads_by_name_in_their_innermost_function() -> None:
    code = (
        "import importlib\nimportlib.import_module('a')\n"
        "def outer():\n    def inner():\n        return __import__('b')\n    return import_module('c')\n"
    )
    assert [(function, ast.unparse(call)) for function, call in loads_in(ast.parse(code))] == [
        ("<module>", "importlib.import_module('a')"), ("inner", "__import__('b')"), ("outer", "import_module('c')")
    ]


# Run by a fresh interpreter that imports nothing of the package itself. Each order is imported in
# a child forked from it, with nothing loaded yet, as a new interpreter would have it, without the
# cost of a new interpreter and its site import each time. Then each module is imported first in
# turn, in two more children (half the modules each), the package's modules taken out of
# sys.modules before each. The children of each step run side by side. Modules of other
# distributions stay loaded between those imports: the root loads the ones the first order loaded
# before forking those two, and from then on keeps bytecode in a temporary directory
# (sys.pycache_prefix), so that each source of the package is compiled once, not at every import,
# even where PYTHONDONTWRITEBYTECODE is set. Prints {check: traceback or null} as one JSON line.
# Given a check's name too, it runs only that check, in its own interpreter: where there is no os.fork.
FRESH_IMPORTS = r"""
import importlib, json, os, sys, traceback

def started(check):
    # check() in a forked child, which answers {"": traceback or None, ...} through a pipe.
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        try:
            answers = check()
        except BaseException:
            answers = {"": traceback.format_exc()[-3000:]}
        with os.fdopen(write, "w") as pipe:
            json.dump(answers, pipe)
        os._exit(0)
    os.close(write)
    return pid, read

def answer(child):
    pid, read = child
    with os.fdopen(read) as pipe:
        text = pipe.read()
    _, status = os.waitpid(pid, 0)
    if not text or status:
        return {"": f"the child exited with status {status}, answering {text[-3000:]!r}"}
    return json.loads(text)

def ours(name):
    return name.split(".")[0] == job["root"]

def imported_in_order(order):
    for name in order:
        importlib.import_module(name)
    return {"": None, "others": sorted(name for name in sys.modules if not ours(name))}

def each_imported_first(modules):
    for name in modules:
        for loaded in [loaded for loaded in sys.modules if ours(loaded)]:
            del sys.modules[loaded]
        try:
            importlib.import_module(name)
        except BaseException:
            return {"": f"{name}: " + traceback.format_exc()[-3000:]}
    return {"": None}

job = json.loads(sys.stdin.read())  # on stdin: the module lists are longer than a command line may be
if len(sys.argv) > 1:  # only the check named, in this interpreter (where there is no os.fork)
    check = sys.argv[1]
    answers = imported_in_order(job["orders"][check]) if check in job["orders"] else each_imported_first(job["modules"])
    print(json.dumps({check: answers[""]}))
    sys.exit()
children = {label: started(lambda: imported_in_order(order)) for label, order in job["orders"].items()}
orders = {label: answer(child) for label, child in children.items()}
for name in next(iter(orders.values())).get("others", []):
    try:
        importlib.import_module(name)
    except Exception:  # a name a module gave itself, not one to import by: loading it only saves time
        pass
sys.dont_write_bytecode = False
sys.pycache_prefix = job["pycache"]
halves = [started(lambda: each_imported_first(job["modules"][start::2])) for start in (0, 1)]
results = {label: answers[""] for label, answers in orders.items()}
results["first"] = "\n".join(problem for problem in (answer(half)[""] for half in halves) if problem) or None
print(json.dumps(results))
"""


GENERATED_HEADER = "# Generated by scripts/generate.py"


def fresh_import_modules() -> List[str]:
    """The modules the fresh interpreters import: every hand-written one, and of the generated models
    and API classes (one template each, the same imports in each module) every 20th, the packages'
    ``__init__`` and those that take a hand-written base (display.py's mixins): the other generated
    modules import alike, and the layer and cycle checks above read every one of them."""
    chosen = []
    generated = [m for m in MODULES if MODULE_PATHS[m].read_text(encoding="utf-8").startswith(GENERATED_HEADER)]
    sample = set(generated[::20])
    for module in MODULES:
        path = MODULE_PATHS[module]
        if module not in generated or module in sample or path.name == "__init__.py" or "pieces_os_client.display" in path.read_text(encoding="utf-8"):
            chosen.append(module)
    return chosen


FRESH = fresh_import_modules()


def shuffled(seed: int) -> List[str]:
    order = list(FRESH)
    random.Random(seed).shuffle(order)
    return order


ORDERS = {"reversed": list(reversed(FRESH)), "random-15": shuffled(15), "random-2026": shuffled(2026)}


@pytest.fixture(scope="module")
def fresh_imports(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, object]:
    job = {"orders": ORDERS, "modules": FRESH, "root": PACKAGE, "pycache": str(tmp_path_factory.mktemp("pycache"))}

    def run(*check: str) -> Dict[str, object]:
        result = subprocess.run(
            [sys.executable, "-c", FRESH_IMPORTS, *check], input=json.dumps(job), capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 0, result.stderr[-3000:]
        answers: Dict[str, object] = json.loads(result.stdout)
        return answers

    if hasattr(os, "fork"):
        return run()
    return {check: answer for check in [*ORDERS, "first"] for answer in run(check).values()}


@pytest.mark.tooling
@pytest.mark.parametrize("order", list(ORDERS))
def test_every_module_imports_in_a_fresh_interpreter_in_any_order(order: str, fresh_imports: Dict[str, object]) -> None:
    assert fresh_imports[order] is None, fresh_imports[order]


@pytest.mark.tooling
def test_every_module_imports_first(fresh_imports: Dict[str, object]) -> None:
    """Each module imported into an interpreter where no module of the package is loaded yet."""
    assert fresh_imports["first"] is None, fresh_imports["first"]
