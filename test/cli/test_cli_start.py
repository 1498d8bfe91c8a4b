"""The command line starts without the SDK: ``--version``, ``--help`` and a mistyped command load
no model, no pydantic and no urllib3, and a command loads only its own module. Every command of
the entry point's table is reachable and its module registers it."""
from __future__ import annotations

import importlib
import json
import re
import subprocess
import sys
from collections import defaultdict
from typing import Dict, List, Set

import pytest

from pieces_os_client.cli import command_parser, main
from pieces_os_client.cli.commands import COMMANDS
from pieces_os_client.cli.options import Commands

# Runs the command line for each argv in turn in one fresh interpreter, printing after each the
# modules loaded so far; the argvs are ordered so that each would load no more than the next.
LOADED_AFTER_EACH = """
import json, sys
from pieces_os_client.cli import main
for argv in json.loads(sys.argv[1]):
    try:
        code = main(argv)
    except SystemExit as exited:
        code = exited.code
    print(json.dumps({"argv": argv, "code": code, "modules": sorted(sys.modules)}), file=sys.__stderr__)
"""

HEAVY = ("pydantic", "pydantic_core", "urllib3", "websocket", "dateutil", "pieces_os_client.models",
         "pieces_os_client.api", "pieces_os_client.api_client", "pieces_os_client.configuration")


def loaded_after_each(argvs: List[List[str]]) -> List[Dict[str, object]]:
    done = subprocess.run(
        [sys.executable, "-c", LOADED_AFTER_EACH, json.dumps(argvs)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return [json.loads(line) for line in done.stderr.splitlines() if line.startswith('{"argv"')]


def heavy(modules: object) -> List[str]:
    assert isinstance(modules, list)
    return [name for name in modules if name.split(".")[0] in HEAVY or name.startswith(HEAVY)]


def test_version_help_and_a_mistyped_command_load_no_sdk_and_a_command_only_its_module() -> None:
    version, main_help, mistyped, languages_help = loaded_after_each(
        [["--version"], ["--help"], ["lsit"], ["languages", "--help"]]
    )
    assert (version["code"], main_help["code"], mistyped["code"], languages_help["code"]) == (0, 0, 2, 0)
    for result in (version, main_help, mistyped):
        assert heavy(result["modules"]) == [], result["argv"]
    modules = languages_help["modules"]
    assert isinstance(modules, list)
    command_modules = {command.module for command in COMMANDS.values()}
    assert sorted(command_modules & set(modules)) == ["pieces_os_client.cli.languages"]


def test_every_command_in_the_table_is_reachable_and_registered_by_its_module(
    capsys: pytest.CaptureFixture[str],
) -> None:
    by_module: Dict[str, Set[str]] = defaultdict(set)
    for name, command in COMMANDS.items():
        by_module[command.module].add(name)
    for module, names in by_module.items():
        commands = Commands("pieces-os-client")
        importlib.import_module(module).register(commands)
        assert set(commands.parsers) == names, module  # the module registers its commands, no others
    with pytest.raises(SystemExit):
        main(["--help"])
    listed = re.findall(r"^    (\S+) ", capsys.readouterr().out, re.M)
    assert listed == list(COMMANDS)
    for name, command in COMMANDS.items():
        parser = command_parser(name, "pieces-os-client")
        assert parser.prog == f"pieces-os-client {name}" and parser.description == command.summary
        assert callable(parser.get_default("run"))
