"""The command line against the emulator on loopback: ``main(argv)`` in this process, with what it
prints captured, and the exit code it returns, as the installed script would exit with it. A few
tests at the end run the installed script itself, where only a process shows the behaviour
(the entry point, Ctrl-C, a closed pipe)."""
from __future__ import annotations

import io
import json
import os
import queue
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import unicodedata
from functools import partial
from pathlib import Path
from typing import Callable, Iterator, List, Optional, Sequence, Set

import pytest
import urllib3
from pytest_httpserver import HTTPServer
from support.cli_runner import Cli
from support.faults import FaultProxy
from support.httpserver_helpers import refused_url

from pieces_os_client import ApiClient, AssetApi, AssetsApi, Configuration
from pieces_os_client.cli import main
from pieces_os_client.cli.editing import ATTEMPTS
from pieces_os_client.cli.snippets import snippet_seed
from pieces_os_client.display import asset_content
from pieces_os_client.exceptions import GoneException
from pieces_os_client.models.asset import Asset
from pieces_os_client.testing import PiecesOSEmulator

WAIT = 30.0  # generous bound on something that should happen at once
SCRIPT = shutil.which("pieces-os-client", path=os.path.dirname(sys.executable)) or "pieces-os-client"


@pytest.fixture()
def url(emulator: PiecesOSEmulator) -> str:
    """The session's emulator (test/conftest.py), empty for this test."""
    return emulator.url


@pytest.fixture()
def api(url: str) -> Iterator[AssetsApi]:
    with ApiClient(Configuration(host=url)) as client:
        yield AssetsApi(client)


def create(api: AssetsApi, name: str, text: str, language: Optional[str] = None, tags: Sequence[str] = ()) -> Asset:
    return api.assets_create_new_asset(seed=snippet_seed(text, name=name, language=language, tags=tags))


# ----- help and errors -------------------------------------------------------------------------
COMMANDS = [
    "list", "show", "create", "delete", "rename", "tag", "untag", "edit", "search", "watch", "import", "export", "demo",
    "status",
]


def test_help_lists_every_command_and_the_exit_codes(cli: Cli) -> None:
    result = cli("--help")
    assert result.code == 0
    for command in COMMANDS + ["serve"]:
        assert f"\n    {command} " in result.out
    for code in ("0", "1", "2", "3", "4", "5", "6", "7"):
        assert f"\n  {code} " in result.out


@pytest.mark.parametrize("command", COMMANDS + ["languages"])
def test_every_command_has_help_without_the_exit_code_table(command: str, cli: Cli) -> None:
    result = cli(command, "--help")
    assert result.code == 0
    assert result.out.startswith(f"usage: pieces-os-client {command}")
    assert "--host" in result.out and "--timeout SECONDS" in result.out
    assert "exit codes" not in result.out  # the table is in the main --help only


def test_serve_help_is_the_emulators_under_its_own_name(cli: Cli) -> None:
    result = cli("serve", "--help")
    assert result.code == 0
    assert result.out.startswith("usage: pieces-os-client serve ")
    assert "--port" in result.out and "--db" in result.out


def test_serve_refuses_a_port_out_of_range_as_usage(cli: Cli) -> None:
    result = cli("serve", "--port", "80000")
    assert result.code == 2
    assert result.err.startswith("usage: pieces-os-client serve ")
    assert "argument --port: 80000 is not a port: a port is a whole number from 0 to 65535" in result.err


def test_a_mistyped_command_names_the_closest_one(cli: Cli) -> None:
    result = cli("lst")
    assert result.code == 2
    assert "unknown command 'lst'; did you mean 'list'?" in result.err
    assert "did you mean 'search'?" in cli("serch", "fetch").err


def test_an_option_error_prints_that_commands_usage(cli: Cli) -> None:
    for args in (["search", "--no-such-option"], ["watch", "--events", "0"], ["show", ""]):
        result = cli(*args)
        assert result.code == 2
        assert result.err.startswith(f"usage: pieces-os-client {args[0]} "), result.err


def test_unreachable_host_exits_3_with_one_line(cli: Cli) -> None:
    host = refused_url()
    result = cli("--host", host, "list")
    assert result.code == 3
    assert host in result.one_line_error()


@pytest.mark.parametrize(
    "value, problem",
    [
        ("localhost:1000", "it does not start with http:// or https://"),
        ("garbage", "it does not start with http:// or https://"),
        ("http://[::1", "invalid ipv6 url"),
        ("http://localhost:99999", "port out of range"),
        ("http://", "it has no host name"),
    ],
)
def test_a_bad_host_is_bad_usage_naming_where_it_came_from(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, value: str, problem: str
) -> None:
    given = cli("--host", value, "list")
    assert given.code == 2
    assert given.one_line_error().startswith(f"error: --host {value!r} is not a Pieces OS URL: {problem}")
    monkeypatch.setenv("PIECES_OS_URL", value)
    from_environment = cli("list")
    assert from_environment.code == 2
    assert from_environment.one_line_error().startswith(f"error: PIECES_OS_URL {value!r} is not a Pieces OS URL")
    assert cli("demo").code == 2


def test_messages_speak_of_the_command_lines_options(cli: Cli) -> None:
    result = cli("--host", refused_url(), "list")
    message = result.one_line_error()
    assert "Check the URL given with --host" in message and "Connection refused" in message
    for sdk_word in ("Configuration", "_request_timeout", "assets_snapshot"):
        assert sdk_word not in message


def test_timeout_bounds_the_wait_for_a_pieces_os_that_never_answers(cli: Cli) -> None:
    with socket.socket() as silent:  # accepts connections (the backlog), never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        host = f"http://127.0.0.1:{silent.getsockname()[1]}"
        result = cli("--host", host, "--timeout", "0.3", "list")
    assert result.code == 3
    message = result.one_line_error()
    assert message.startswith(f"error: Pieces OS at {host} did not answer within 0.3 s (GET ")
    assert message.endswith("--timeout SECONDS waits longer")
    assert "_request_timeout" not in message and "Configuration" not in message
    for bad in ("0", "-1", "soon"):
        assert cli("--timeout", bad, "list").code == 2


# ----- list, show, create, delete --------------------------------------------------------------
def test_list_shows_name_language_tags_updated_and_id(cli: Cli, url: str, api: AssetsApi) -> None:
    empty = cli("--host", url, "list")
    assert empty.code == 0 and empty.out == "" and "no assets" in empty.err
    first = create(api, "fetch users", "def fetch_users():\n    return []\n", "py", ["http", "users"])
    second = create(api, "top rows", "SELECT * FROM t LIMIT 5;", "sql")
    result = cli("--host", url, "list")
    assert result.code == 0
    header, *rows = result.out.splitlines()
    assert header.split() == ["NAME", "LANGUAGE", "TAGS", "UPDATED", "ID"]
    by_id = {row.split()[-1]: row for row in rows}
    assert set(by_id) == {first.id, second.id}
    assert "fetch users" in by_id[first.id] and " py " in by_id[first.id] and "http, users" in by_id[first.id]
    assert "top rows" in by_id[second.id] and " sql " in by_id[second.id]


def columns(text: str) -> int:
    """The terminal columns ``text`` takes (CJK characters take two)."""
    return sum(2 if unicodedata.east_asian_width(character) in "WF" else 1 for character in text)


def on_a_terminal(monkeypatch: pytest.MonkeyPatch, run: Callable[[], object]) -> str:
    """What ``run`` printed on stdout, a pseudo-terminal (line ends as written)."""
    import pty

    controller, terminal = pty.openpty()
    try:
        with open(terminal, "w", encoding="utf-8", closefd=False) as stdout, monkeypatch.context() as patch:
            patch.setattr(sys, "stdout", stdout)
            run()
        os.close(terminal)
        terminal = -1
        drawn = b""
        while True:
            try:
                chunk = os.read(controller, 4096)
            except OSError:  # the terminal side is closed and everything was read
                break
            if not chunk:
                break
            drawn += chunk
    finally:
        if terminal != -1:
            os.close(terminal)
        os.close(controller)
    return drawn.decode("utf-8").replace("\r\n", "\n")


def test_tables_fit_the_terminal_and_align_wide_characters(
    cli: Cli, url: str, api: AssetsApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    long_name = "a very long snippet name that goes on " * 4
    names = [long_name, "漢字のスニペット.py", "short.py"]
    assets = [create(api, name, f"x = {index}\n", "py", tags=["t"]) for index, name in enumerate(names)]
    for width in (80, 120):
        monkeypatch.setenv("COLUMNS", str(width))
        for command in (["list"], ["search", "--tags", "t"]):
            lines = on_a_terminal(monkeypatch, partial(cli, "--host", url, *command)).splitlines()
            assert len(lines) == 4, lines
            assert all(columns(line) <= width for line in lines), (width, lines)
            assert any("…" in line for line in lines)  # the long name was cut
            for asset in assets:  # the id is whole, or its start when the terminal is narrow
                shown = [line.split()[-1] for line in lines if asset.id.startswith(line.split()[-1])]
                assert len(shown) == 1 and len(shown[0]) >= (36 if width >= 120 else 13), lines
            # Every row's language starts in the same terminal column as the header's.
            starts = {columns(line[: line.index(" py ")]) + 1 for line in lines[1:]}
            assert starts == {columns(lines[0][: lines[0].index("LANGUAGE")])}, lines
    monkeypatch.setenv("COLUMNS", "80")
    piped = cli("--host", url, "list").out  # not a terminal, $COLUMNS or not: not fitted to a width
    assert long_name[:39] + "…" in piped and "漢字のスニペット.py" in piped


def test_list_json_is_one_record_per_asset(cli: Cli, url: str, api: AssetsApi) -> None:
    asset = create(api, "one", "print('one')", "py", ["t"])
    result = cli("list", "--json", "--host", url, "--pseudo")
    assert result.code == 0
    records = json.loads(result.out)
    assert records == [
        {"id": asset.id, "name": "one", "language": "py", "tags": ["t"], "updated": records[0]["updated"]}
    ]
    assert records[0]["updated"].startswith(str(asset.updated.value.year))


def test_show_prints_the_fields_and_the_content(cli: Cli, url: str, api: AssetsApi) -> None:
    asset = create(api, "greeting", "print('hello')\nprint('world')\n", "py", ["demo"])
    result = cli("--host", url, "show", asset.id)
    assert result.code == 0
    assert "name:     greeting" in result.out and f"id:       {asset.id}" in result.out
    assert "language: py" in result.out and "tags:     demo" in result.out
    assert result.out.endswith("print('hello')\nprint('world')\n")
    raw = cli("--host", url, "show", "--raw", asset.id)
    assert raw.out.startswith('{\n  "') and raw.out.endswith("}\n")  # as every --json output
    assert Asset.from_json(raw.out).id == asset.id


def test_show_json_is_the_record_list_gives_and_the_content(cli: Cli, url: str, api: AssetsApi) -> None:
    asset = create(api, "greeting", "print('hello')\n", "py", tags=["demo"])
    (listed,) = json.loads(cli("--host", url, "--json", "list").out)
    shown = json.loads(cli("--host", url, "--json", "show", asset.id).out)
    assert shown == dict(listed, content="print('hello')\n")
    assert set(shown) == {"id", "name", "language", "tags", "updated", "content"}


def test_show_and_delete_say_not_found_and_gone(cli: Cli, url: str, api: AssetsApi) -> None:
    missing = "00000000-0000-4000-8000-000000000000"
    result = cli("--host", url, "show", missing)
    assert result.code == 4
    assert missing in result.one_line_error()
    assert cli("--host", url, "delete", missing).code == 4
    asset = create(api, "short-lived", "x = 1", "py")
    deleted = cli("--host", url, "delete", asset.id)
    assert deleted.code == 0 and deleted.out == f"deleted {asset.id}\n"
    with pytest.raises(GoneException):
        api.assets_specific_asset_snapshot(asset.id)
    gone = cli("--host", url, "show", asset.id)
    assert gone.code == 5
    assert "deleted" in gone.one_line_error()


def test_every_command_taking_an_id_takes_a_unique_prefix(cli: Cli, url: str, api: AssetsApi) -> None:
    asset = create(api, "prefixed", "x = 1\n", "py")
    start = asset.id[:8]
    shown = cli("--host", url, "show", start.upper())
    assert shown.code == 0 and f"id:       {asset.id}" in shown.out
    assert cli("--host", url, "rename", start, "renamed").out == f"renamed {asset.id} to 'renamed'\n"
    assert cli("--host", url, "tag", start, "t1").code == 0
    assert cli("--host", url, "untag", start, "t1").code == 0
    assert cli("--host", url, "delete", start).out == f"deleted {asset.id}\n"
    missing = cli("--host", url, "show", start)
    assert missing.code == 4
    assert f"no asset id starts with '{start}'" in missing.one_line_error()


def test_an_ambiguous_prefix_lists_the_candidates_and_exits_2(cli: Cli, url: str, api: AssetsApi) -> None:
    ids = [create(api, f"snippet {index}", f"x = {index}\n", "py").id for index in range(17)]
    first = max({id_[0] for id_ in ids}, key=lambda character: sum(id_[0] == character for id_ in ids))
    sharing = sorted(id_ for id_ in ids if id_[0] == first)  # 17 ids, 16 hex digits: two share one
    result = cli("--host", url, "delete", first)
    assert result.code == 2
    lines = result.err.splitlines()
    assert lines[0] == f"error: '{first}' is ambiguous: {len(sharing)} asset ids start with it; give more of the id. The candidates:"
    assert [line.split()[0] for line in lines[1:]] == sharing
    assert all(line.split("  ", 2)[2].startswith("snippet ") for line in lines[1:])
    assert len(api.assets_snapshot().iterable) == 17  # nothing deleted


@pytest.mark.parametrize("given", ["f8aac2d7-zz", "12 34", "../assets", "0x12"])
def test_a_malformed_id_is_refused_before_any_request(cli: Cli, given: str) -> None:
    for command in ("show", "delete", "rename", "tag", "untag", "edit"):
        extra = ["a"] if command in ("rename", "tag", "untag") else []
        result = cli("--host", refused_url(), command, given, *extra)  # nothing listens there
        assert result.code == 2, (command, result.err)
        assert "is not an asset id nor the start of one: ids are hexadecimal digits and hyphens" in result.err


def test_create_from_a_file_takes_language_from_the_extension(
    cli: Cli, url: str, api: AssetsApi, tmp_path: Path
) -> None:
    path = tmp_path / "query.sql"
    path.write_text("SELECT name FROM users WHERE id = 1;\n")
    result = cli("--host", url, "--json", "create", str(path), "--tag", "db,users", "--tag", "sql")
    assert result.code == 0
    record = json.loads(result.out)
    assert record["name"] == "query.sql" and record["language"] == "sql"
    assert sorted(record["tags"]) == ["db", "sql", "users"]
    assert api.assets_specific_asset_snapshot(record["id"]).name == "query.sql"


def test_create_from_stdin_lets_pieces_os_tell_the_language(cli: Cli, url: str, api: AssetsApi) -> None:
    code = b"def add(a, b):\n    return a + b\n\nprint(add(1, 2))\n"
    result = cli("--host", url, "create", "-", "--name", "adder", stdin=code)
    assert result.code == 0
    assert result.out.startswith("created ") and result.out.rstrip().endswith("adder (py)")
    (asset,) = api.assets_snapshot().iterable
    assert asset.name == "adder"


def test_create_refuses_binary_empty_and_missing_files(cli: Cli, url: str, api: AssetsApi, tmp_path: Path) -> None:
    binary = tmp_path / "image.png"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    empty = tmp_path / "empty.py"
    empty.write_text("  \n")
    for path, words in ((binary, "not UTF-8 text"), (empty, "empty"), (tmp_path / "nope.py", "cannot read")):
        result = cli("--host", url, "create", str(path))
        assert result.code == 2
        assert words in result.one_line_error()
    assert api.assets_snapshot().iterable == []


@pytest.mark.parametrize(
    "typed, language",
    [("rust", "rs"), ("Python", "py"), ("python", "py"), ("py", "py"), (".py", "py"), ("PY", "py"),
     ("JavaScript", "js"), ("c++", "cpp"), ("C#", "cs"), ("Dockerfile", "dockerfile"), ("SQL", "sql")],
)
def test_language_is_taken_as_people_type_it(cli: Cli, url: str, typed: str, language: str) -> None:
    result = cli("--host", url, "--json", "create", "-", "--name", "snippet", "--language", typed, stdin=b"x = 1\n")
    assert result.code == 0, result.err
    assert json.loads(result.out)["language"] == language


def test_an_unknown_language_names_the_closest_ones_and_creates_nothing(
    cli: Cli, url: str, api: AssetsApi
) -> None:
    result = cli("--host", url, "create", "-", "--language", "pyhton", stdin=b"x = 1\n")
    assert result.code == 2
    assert result.one_line_error() == (
        "error: unknown language 'pyhton'; did you mean 'python', 'python3' or 'phpt'?"
        " ('languages' lists every one accepted)"
    )
    searched = cli("--host", url, "search", "x", "--language", "javascrpit")
    assert searched.code == 2 and "did you mean 'javascript'" in searched.one_line_error()
    assert "did you mean" not in cli("--host", url, "search", "--language", "zzzzzz").err
    assert api.assets_snapshot().iterable == []


def test_languages_lists_the_names_and_extensions_accepted(cli: Cli) -> None:
    result = cli("languages")
    assert result.code == 0
    rows = {line.split()[0]: line for line in result.out.splitlines() if line.strip()}
    assert rows["LANGUAGE"].split() == ["LANGUAGE", "ALSO", "ACCEPTED", "AS"]
    assert "python" in rows["py"] and "c++" in rows["cpp"] and "c#" in rows["cs"] and "rust" in rows["rs"]
    assert "Dockerfile" in result.out or "dockerfile" in result.out
    listed = json.loads(cli("--json", "languages").out)
    by_language = {record["language"]: record["names"] for record in listed}
    assert "csharp" in by_language["cs"] and by_language["hs"] == ["haskell"]
    assert "Gemfile" in by_language and "UNKNOWN" not in by_language


def test_create_from_stdin_takes_the_language_from_the_names_extension(cli: Cli, url: str) -> None:
    result = cli("--host", url, "--json", "create", "-", "--name", "foo.py", stdin=b"SELECT 1;\n")
    assert result.code == 0, result.err
    record = json.loads(result.out)
    assert record["name"] == "foo.py" and record["language"] == "py"


# ----- search ----------------------------------------------------------------------------------
def test_search_fuzzy_by_tags_and_filtered_by_language(cli: Cli, url: str, api: AssetsApi) -> None:
    users = create(api, "fetch users", "def fetch_users():\n    return get('/users')\n", "py", ["http"])
    query = create(api, "active users", "SELECT * FROM users WHERE active;", "sql", ["db"])
    create(api, "debounce", "function debounce(fn) { return fn; }", "js", ["ui"])

    fuzzy = cli("--host", url, "search", "fetch usr")
    assert fuzzy.code == 0
    header, first, *_ = fuzzy.out.splitlines()
    assert header.split() == ["SCORE", "NAME", "LANGUAGE", "TAGS", "UPDATED", "ID"]
    assert first.split()[-1] == users.id

    by_tag = json.loads(cli("--host", url, "--json", "search", "--tags", "db").out)
    assert [record["id"] for record in by_tag] == [query.id]

    filtered = json.loads(cli("--host", url, "--json", "search", "users", "--language", "sql").out)
    assert [record["id"] for record in filtered] == [query.id]
    assert filtered[0]["language"] == "sql"

    nothing = cli("--host", url, "search", "--tags", "no-such-tag")
    assert nothing.code == 0 and nothing.out == "" and "no matches" in nothing.err
    assert cli("--host", url, "search").code == 2


def test_search_shows_the_best_30_and_says_how_many_more(cli: Cli, url: str, api: AssetsApi) -> None:
    for index in range(33):
        create(api, f"fetch users {index}", f"def fetch_users_{index}(): pass\n", "py")
    shown = cli("--host", url, "search", "fetch users")
    assert shown.code == 0
    assert len(shown.out.splitlines()) == 1 + 30
    assert shown.err == "… 3 more matches; --limit N shows N, 0 every one\n"
    assert len(json.loads(cli("--host", url, "--json", "search", "fetch users", "--limit", "5").out)) == 5
    every = cli("--host", url, "search", "fetch users", "--limit", "0")
    assert len(every.out.splitlines()) == 1 + 33 and every.err == ""
    assert cli("--host", url, "search", "fetch users", "--limit", "-1").code == 2


def test_list_takes_a_limit_and_says_how_many_more(cli: Cli, url: str, api: AssetsApi) -> None:
    names = [create(api, f"snippet {index}", f"x = {index}\n", "py").name for index in range(3)]
    every = cli("--host", url, "list")
    assert len(every.out.splitlines()) == 1 + 3 and every.err == ""  # every one unless told
    limited = cli("--host", url, "list", "--limit", "2")
    assert [line.split()[:2] for line in limited.out.splitlines()[1:]] == [name.split() for name in names[:2]]
    assert limited.err == "… 1 more asset; --limit N shows N, 0 every one\n"
    records = json.loads(cli("--host", url, "--json", "list", "--limit", "1").out)
    assert [record["name"] for record in records] == names[:1]


def test_search_by_language_alone_is_a_filtered_search(cli: Cli, url: str, api: AssetsApi) -> None:
    query = create(api, "active users", "SELECT * FROM users WHERE active;", "sql")
    create(api, "fetch users", "def fetch_users():\n    return []\n", "py")
    for typed in ("sql", "SQL", ".sql"):
        result = cli("--host", url, "--json", "search", "--language", typed)
        assert result.code == 0, result.err
        assert [record["id"] for record in json.loads(result.out)] == [query.id]


def test_tags_match_any_by_default_and_every_one_with_all_tags(cli: Cli, url: str, api: AssetsApi) -> None:
    only_a = create(api, "one", "a = 1", "py", ["a"])
    only_b = create(api, "two", "b = 2", "py", ["b"])
    both = create(api, "three", "SELECT 3;", "sql", ["a", "b"])
    create(api, "four", "c = 4", "py", ["c"])

    def ids(*args: str) -> Set[str]:
        result = cli("--host", url, "--json", "search", *args)
        assert result.code == 0, result.err
        return {record["id"] for record in json.loads(result.out)}

    assert ids("--tags", "a,b") == {only_a.id, only_b.id, both.id}
    assert ids("--tags", "a", "--tags", "b") == {only_a.id, only_b.id, both.id}
    assert ids("--tags", "a,b", "--all-tags") == {both.id}
    assert ids("--tags", "a,b", "--language", "py") == {only_a.id, only_b.id}
    assert ids("--tags", "a,b", "--all-tags", "--language", "py") == set()
    assert cli("--host", url, "search", "x", "--all-tags").code == 2
    help_text = " ".join(cli("search", "--help").out.split())
    assert "any of these tags" in help_text and "every one of the --tags" in help_text


# ----- rename, tag, untag, edit ---------------------------------------------------------------
def snapshot(url: str, asset_id: str) -> Asset:
    with ApiClient(Configuration(host=url)) as client:
        return AssetApi(client).asset_snapshot(asset_id, transferables=True)


def test_rename_changes_the_name_and_a_rename_to_the_same_name_sends_nothing(
    cli: Cli, url: str, api: AssetsApi
) -> None:
    asset = create(api, "old name", "print('x')\n", "py")
    result = cli("--host", url, "rename", asset.id, "fetch users")
    assert result.code == 0 and result.out == f"renamed {asset.id} to 'fetch users'\n"
    renamed = snapshot(url, asset.id)
    assert renamed.name == "fetch users"
    assert asset_content(renamed) == "print('x')\n"
    again = cli("--host", url, "--json", "rename", asset.id, "fetch users")
    assert again.code == 0 and json.loads(again.out)["changed"] is False
    assert snapshot(url, asset.id).updated.value == renamed.updated.value


def test_tag_adds_and_untag_removes_and_the_other_tags_stay(cli: Cli, url: str, api: AssetsApi) -> None:
    asset = create(api, "query", "SELECT 1;", "sql", ["db", "users"])
    before = {tag.text: tag.id for tag in snapshot(url, asset.id).tags.iterable}
    result = cli("--host", url, "tag", asset.id, "reports", "db,weekly")
    assert result.code == 0
    assert result.out == f"tagged {asset.id} reports, weekly; its tags: db, users, reports, weekly\n"
    tagged = snapshot(url, asset.id)
    assert [tag.text for tag in tagged.tags.iterable] == ["db", "users", "reports", "weekly"]
    assert {tag.text: tag.id for tag in tagged.tags.iterable if tag.text in before} == before  # kept, not recreated
    assert cli("--host", url, "search", "--tags", "weekly").out.count(asset.id) == 1
    untagged = cli("--host", url, "--json", "untag", asset.id, "users", "reports")
    assert untagged.code == 0
    record = json.loads(untagged.out)
    assert record["tags"] == ["db", "weekly"] and record["changed"] is True
    assert [tag.text for tag in snapshot(url, asset.id).tags.iterable] == ["db", "weekly"]
    same = cli("--host", url, "tag", asset.id, "db")
    assert same.code == 0 and same.out.startswith("no change")


def test_untag_of_a_tag_the_snippet_lacks_is_exit_1_and_removes_nothing(cli: Cli, url: str, api: AssetsApi) -> None:
    asset = create(api, "query", "SELECT 1;", "sql", ["db", "users"])
    result = cli("--host", url, "untag", asset.id, "users", "nope")
    assert result.code == 1
    assert result.one_line_error() == f"error: {asset.id} has no tag 'nope'; nothing removed (its tags: db, users)"
    assert [tag.text for tag in snapshot(url, asset.id).tags.iterable] == ["db", "users"]


def editor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str) -> Path:
    """EDITOR set to a Python script running ``body`` with ``path`` the file to edit; the script
    writes the name of the file it was given to the returned path."""
    seen = tmp_path / "edited-name.txt"
    script = tmp_path / "editor.py"
    script.write_text(
        f"import sys\nfrom pathlib import Path\npath = Path(sys.argv[1])\nPath({str(seen)!r}).write_text(path.name)\n"
        + body
    )
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", f"{shlex.quote(sys.executable)} {shlex.quote(str(script))}")
    return seen


def test_edit_saves_what_the_editor_wrote(
    cli: Cli, url: str, api: AssetsApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asset = create(api, "greet", "print('hello')\n", "py", ["demo"])
    seen = editor(tmp_path, monkeypatch, "path.write_text(path.read_text().replace('hello', 'edited') + 'print(2)\\n')\n")
    result = cli("--host", url, "edit", asset.id)
    assert result.code == 0 and result.out == f"saved {asset.id} (2 lines)\n"
    assert seen.read_text() == "greet.py"  # the snippet's name with its language's extension
    edited = snapshot(url, asset.id)
    assert asset_content(edited) == "print('edited')\nprint(2)\n"
    assert edited.name == "greet" and [tag.text for tag in edited.tags.iterable] == ["demo"]
    assert "edited" in cli("--host", url, "show", asset.id).out


@pytest.mark.parametrize(
    "body", ["pass\n", "path.write_text(path.read_text() + '\\n')\n"], ids=["untouched", "final-newline-added"]
)
def test_edit_without_a_change_sends_nothing(
    cli: Cli, url: str, api: AssetsApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str
) -> None:
    asset = create(api, "greet", "print('hello')", "py")
    before = snapshot(url, asset.id)
    editor(tmp_path, monkeypatch, body)
    result = cli("--host", url, "--json", "edit", asset.id)
    assert result.code == 0 and json.loads(result.out)["changed"] is False
    after = snapshot(url, asset.id)
    assert after.updated.value == before.updated.value and asset_content(after) == "print('hello')"


def test_an_editor_exiting_with_an_error_saves_nothing(
    cli: Cli, url: str, api: AssetsApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asset = create(api, "greet", "print('hello')\n", "py")
    editor(tmp_path, monkeypatch, "path.write_text('half done')\nsys.exit(3)\n")
    result = cli("--host", url, "edit", asset.id)
    assert result.code == 1
    assert result.one_line_error() == "error: the editor exited with status 3; nothing saved"
    assert asset_content(snapshot(url, asset.id)) == "print('hello')\n"


def test_edit_without_an_editor_or_with_a_missing_one_is_bad_usage(
    cli: Cli, url: str, api: AssetsApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    asset = create(api, "greet", "print('hello')\n", "py")
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.delenv("EDITOR", raising=False)
    result = cli("--host", url, "edit", asset.id)
    assert result.code == 2 and "set VISUAL or EDITOR" in result.one_line_error()
    monkeypatch.setenv("VISUAL", "no-such-editor-here --wait")
    missing = cli("--host", url, "edit", asset.id)
    assert missing.code == 2
    assert "cannot run the editor 'no-such-editor-here' (from $VISUAL)" in missing.one_line_error()


@pytest.mark.parametrize("command", [["rename", "new"], ["tag", "t"], ["untag", "t"], ["edit"]])
def test_editing_an_unknown_or_deleted_asset_is_exit_4_or_5(
    cli: Cli, url: str, api: AssetsApi, monkeypatch: pytest.MonkeyPatch, command: List[str]
) -> None:
    monkeypatch.setenv("EDITOR", "true")
    missing = "00000000-0000-4000-8000-000000000000"
    result = cli("--host", url, command[0], missing, *command[1:])
    assert result.code == 4
    assert result.one_line_error() == f"error: no asset with id {missing!r} at {url}"
    asset = create(api, "short-lived", "x = 1", "py")
    api.assets_delete_asset(asset.id)
    assert cli("--host", url, command[0], asset.id, *command[1:]).code == 5


def test_a_tag_whose_save_keeps_being_refused_as_stale_tells_the_user_with_its_own_exit_code(
    cli: Cli, url: str, api: AssetsApi, httpserver: HTTPServer
) -> None:
    asset = create(api, "query", "SELECT 1;", "sql")
    read = urllib3.request("GET", f"{url}/asset/{asset.id}?transferables=true")
    served = f"/asset/{asset.id}"
    httpserver.expect_request(served).respond_with_data(
        read.data, headers={"ETag": '"v1"', "Content-Type": "application/json"}
    )
    httpserver.expect_request("/asset/update").respond_with_data("changed since it was read", status=412)
    result = cli("--host", httpserver.url_for("/").rstrip("/"), "tag", asset.id, "weekly")
    assert result.code == 6
    assert "changed each of the 10 times tag read it" in result.one_line_error()
    updates = [request for request, _ in httpserver.log if request.path == "/asset/update"]
    assert len(updates) == ATTEMPTS and {request.headers["If-Match"] for request in updates} == {'"v1"'}
    assert [tag.text for tag in snapshot(url, asset.id).tags.iterable] == []


def test_eight_concurrent_tag_commands_on_one_snippet_all_apply(
    url: str, api: AssetsApi, capsys: pytest.CaptureFixture[str]
) -> None:
    """Eight commands, each with its own client and connections, as eight shells would run them
    (the command line runs in threads of this process: what they race on is the snippet)."""
    asset = create(api, "shared", "x = 1", "py")
    start = threading.Barrier(8, timeout=WAIT)
    codes: List[int] = []

    def tag(n: int) -> None:
        start.wait()
        codes.append(main(["--host", url, "tag", asset.id, f"t{n}"]))

    threads = [threading.Thread(target=tag, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT)
    assert codes == [0] * 8
    assert capsys.readouterr().err == ""
    assert sorted(tag.text for tag in snapshot(url, asset.id).tags.iterable) == [f"t{n}" for n in range(8)]


# ----- watch -----------------------------------------------------------------------------------
class Lines(io.TextIOBase):
    """A text stream whose complete lines can be awaited one by one."""

    def __init__(self) -> None:
        self._partial = ""
        self._lines: queue.Queue[str] = queue.Queue()
        self.seen: List[str] = []

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self._partial += text
        *complete, self._partial = self._partial.split("\n")
        for line in complete:
            self.seen.append(line)
            self._lines.put(line)
        return len(text)

    def next(self) -> str:
        return self._lines.get(timeout=WAIT)

    def until(self, prefix: str) -> str:
        while True:
            line = self.next()
            if line.startswith(prefix):
                return line


class Watcher:
    """``watch`` running on a thread of this process, its stdout and stderr read line by line."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, url: str, *args: str) -> None:
        self.out, self.err = Lines(), Lines()
        monkeypatch.setattr(sys, "stdout", self.out)
        monkeypatch.setattr(sys, "stderr", self.err)
        self.code: Optional[int] = None
        self._thread = threading.Thread(target=self._run, args=(["--host", url, "watch", *args],), daemon=True)
        self._thread.start()
        self.err.until("watching ")

    def _run(self, argv: List[str]) -> None:
        self.code = main(argv)

    def finish(self) -> Optional[int]:
        self._thread.join(WAIT)
        assert not self._thread.is_alive()
        return self.code


def test_watch_prints_creates_and_deletes_as_they_happen(
    monkeypatch: pytest.MonkeyPatch, url: str, api: AssetsApi
) -> None:
    create(api, "already there", "x = 1", "py")
    watcher = Watcher(monkeypatch, url, "--json", "--events", "2")
    asset = create(api, "new one", "let y = 2;", "js")
    assert json.loads(watcher.out.next()) == {"event": "created", "id": asset.id, "name": "new one"}
    api.assets_delete_asset(asset.id)
    assert json.loads(watcher.out.next()) == {"event": "deleted", "id": asset.id, "name": ""}
    assert watcher.finish() == 0
    assert "1 asset;" in watcher.err.seen[0]


def test_watch_reconnects_when_pieces_os_restarts(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    database = str(tmp_path / "store.db")
    with PiecesOSEmulator(host="127.0.0.1", port=0, db=database) as first:
        url, port = first.url, int(first.url.rsplit(":", 1)[1])
        watcher = Watcher(monkeypatch, url, "--events", "2")
        with ApiClient(Configuration(host=url)) as client:
            before = create(AssetsApi(client), "before", "a = 1", "py")
        assert watcher.out.next() == f"created  {before.id}  before"
    time.sleep(0.7)  # the first attempt, within 0.5 s, fails: this outage takes two or more
    with PiecesOSEmulator(host="127.0.0.1", port=port, db=database):
        with ApiClient(Configuration(host=url)) as client:
            after = create(AssetsApi(client), "after", "b = 2", "py")
        assert watcher.out.next() == f"created  {after.id}  after"
        assert watcher.finish() == 0
    # One line for the outage (with why, in a few words) and one when it is back, not one per attempt.
    assert len(watcher.err.seen) == 3, watcher.err.seen
    watching, lost, back = watcher.err.seen
    assert watching.startswith("watching ")
    assert re.fullmatch(rf"lost {re.escape(url)} \(.{{1,80}}\); reconnecting until it is back", lost), lost
    assert re.fullmatch(rf"reconnected to {re.escape(url)} after \d+\.\d s", back), back


# ----- a password in the host ------------------------------------------------------------------
def with_password(url: str) -> str:
    return url.replace("http://", "http://someone:cli-s3cret@")


def test_a_password_in_host_or_pieces_os_url_is_never_printed(
    cli: Cli, url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown = url.replace("http://", "http://someone:***@")
    said = []
    for host_arguments in (["--host", with_password(url)], []):
        if not host_arguments:
            monkeypatch.setenv("PIECES_OS_URL", with_password(url))
        listed = cli(*host_arguments, "list")
        assert listed.code == 0 and f"no assets at {shown}" in listed.err
        missing = cli(*host_arguments, "show", "0123abcd-0123-4567-89ab-0123456789ab")
        assert missing.code == 4 and f"at {shown}" in missing.one_line_error()
        said += [listed.out, listed.err, missing.out, missing.err]
    for bad in ("http://someone:cli-s3cret@", "ftp://someone:cli-s3cret@host"):
        monkeypatch.setenv("PIECES_OS_URL", bad)
        for host_arguments in (["--host", bad], []):
            usage = cli(*host_arguments, "list")
            assert usage.code == 2 and "someone:***@" in usage.one_line_error()
            said += [usage.out, usage.err]
    assert "cli-s3cret" not in "".join(said)


def test_the_watch_banner_hides_a_password_in_the_host(monkeypatch: pytest.MonkeyPatch, url: str, api: AssetsApi) -> None:
    watcher = Watcher(monkeypatch, with_password(url), "--events", "1")
    create(api, "one", "x = 1", "py")
    assert watcher.finish() == 0
    assert watcher.err.seen[0].startswith(f"watching {url.replace('http://', 'http://someone:***@')}")
    assert "cli-s3cret" not in "\n".join(watcher.err.seen + watcher.out.seen)


# ----- import and export -----------------------------------------------------------------------
SOURCES = {
    "app.py": "def main():\n    print('app')\n",
    "web/index.js": "console.log('index');\n",
    "web/db/users.sql": "SELECT id FROM users;\n",
    "docs/notes.md": "# Notes\n\nSome *notes*.\n",
}


def make_tree(root: Path) -> List[str]:
    """SOURCES plus what import must not take: the names of the files no one can read."""
    for relative, text in SOURCES.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text)
    (root / "web" / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    (root / "empty.txt").write_text("")
    (root / ".hidden.py").write_text("secret = 1\n")
    (root / ".git").mkdir()
    (root / ".git" / "config").write_text("[core]\n")
    (root / "web" / "other.js").write_text(SOURCES["web/index.js"])
    os.mkfifo(root / "pipe.sql")
    (root / "dangling.py").symlink_to(root / "no-such-file.py")  # links are not followed
    # chmod 000 stops every user but root, and tests may run as root (as in CI).
    unreadable = []
    locked = root / "locked.py"
    locked.write_text("locked = True\n")
    locked.chmod(0)
    try:
        locked.read_bytes()
    except PermissionError:
        unreadable.append("locked.py")
    else:
        locked.chmod(0o644)
        locked.unlink()
    return unreadable


def test_import_and_export_round_trip(cli: Cli, url: str, api: AssetsApi, tmp_path: Path) -> None:
    source, target = tmp_path / "source", tmp_path / "target"
    source.mkdir()
    unreadable = make_tree(source)

    first = cli("--host", url, "import", str(source), "--tag", "imported")
    assert first.code == (1 if unreadable else 0)  # some files could not be read
    assert first.out == (
        "imported 4 files; skipped 5 (1 already imported, 1 binary, 1 empty, 1 not a regular file, 1 symbolic link)"
        + (f"; {len(unreadable)} failed" if unreadable else "")
        + "\n"
    )
    assert "skipped dangling.py: a symbolic link" in first.err
    for name in unreadable:
        assert f"error: {name}: cannot read" in first.err
    assets = api.assets_snapshot().iterable
    assert sorted(asset.name or "" for asset in assets) == sorted(SOURCES)

    again = cli("--host", url, "--json", "import", str(source))
    report = json.loads(again.out)
    assert report["imported"] == []
    assert {record["path"] for record in report["skipped"] if record["reason"] == "already imported"} == set(
        SOURCES
    ) | {"web/other.js"}
    assert {record["path"] for record in report["failed"]} == set(unreadable)

    exported = cli("--host", url, "export", str(target))
    assert exported.code == 0
    assert exported.out == f"exported 4 assets to {target}\n"
    written = {path.relative_to(target).as_posix(): path.read_text() for path in target.rglob("*") if path.is_file()}
    assert written == SOURCES

    unchanged = cli("--host", url, "export", str(target))
    assert unchanged.out == f"exported 0 assets to {target}; skipped 4 (4 unchanged)\n"


def test_export_keeps_every_file_inside_the_directory(cli: Cli, url: str, api: AssetsApi, tmp_path: Path) -> None:
    create(api, "../../escape", "print('escape')", "py")
    create(api, "/etc/passwd", "root:x:0:0", "txt")
    create(api, "same.py", "print(1)", "py")
    create(api, "same.py", "print(2)", "py")
    create(api, 'a:b*c?"d"', "SELECT 1;", "sql")
    target = tmp_path / "out"
    (target / "same.py").parent.mkdir()
    (target / "same.py").write_text("an older file\n")

    result = cli("--host", url, "--json", "export", str(target))
    assert result.code == 0
    paths = sorted(record["path"] for record in json.loads(result.out)["exported"])
    assert paths == ["a_b_c__d_.sql", "escape.py", "etc/passwd.txt", "same-2.py", "same-3.py"]
    assert (target / "same.py").read_text() == "an older file\n"
    assert {(target / "same-2.py").read_text(), (target / "same-3.py").read_text()} == {"print(1)", "print(2)"}
    assert not (tmp_path / "escape.py").exists()


def test_import_and_export_say_what_is_wrong_with_the_path(cli: Cli, url: str, tmp_path: Path) -> None:
    source = tmp_path / "file.py"
    source.write_text("x = 1\n")
    exported = cli("--host", url, "export", str(source))
    assert exported.code == 2
    assert exported.one_line_error() == (
        f"error: {source} is a file; export writes one file per asset into a directory"
    )
    missing = cli("--host", url, "import", str(tmp_path / "nonexistent"))
    assert missing.code == 2
    assert missing.one_line_error() == f"error: {tmp_path / 'nonexistent'} does not exist; import takes a directory of files"
    a_file = cli("--host", url, "import", str(source))
    assert a_file.code == 2
    assert a_file.one_line_error() == f"error: {source} is a file, not a directory; 'create {source}' saves one file"


def test_export_to_an_unreachable_host_creates_no_directory(cli: Cli, tmp_path: Path) -> None:
    target = tmp_path / "snippets" / "today"
    result = cli("--host", refused_url(), "export", str(target))
    assert result.code == 3
    assert not (tmp_path / "snippets").exists()


def test_import_shows_a_progress_bar_only_on_a_terminal(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, url: str, tmp_path: Path
) -> None:
    import pty

    for index in range(3):
        (tmp_path / f"snippet{index}.py").write_text(f"value = {index}\n")
    plain = cli("--host", url, "import", str(tmp_path))
    assert plain.code == 0 and plain.err == ""

    (tmp_path / "more.py").write_text("more = True\n")
    controller, terminal = pty.openpty()
    try:
        with open(terminal, "w", closefd=False) as stderr:
            monkeypatch.setattr(sys, "stderr", stderr)
            result = cli("--host", url, "import", str(tmp_path))
        os.close(terminal)
        terminal = -1
        drawn = b""
        while True:
            try:
                chunk = os.read(controller, 4096)
            except OSError:  # the terminal side is closed and everything was read
                break
            if not chunk:
                break
            drawn += chunk
    finally:
        if terminal != -1:
            os.close(terminal)
        os.close(controller)
    assert result.code == 0
    assert result.out == "imported 1 file; skipped 3 (3 already imported)\n"
    assert b"\r\x1b[Kimporting [....................] 0/4 more.py" in drawn
    assert b"\r\x1b[Kimporting [###############.....] 3/4 snippet2.py" in drawn
    assert drawn.endswith(b"\r\x1b[K")  # the bar is gone before the summary


def test_an_import_stopped_by_a_vanished_pieces_os_says_how_many_files_it_never_tried(
    cli: Cli, proxy: FaultProxy, emulator: PiecesOSEmulator, tmp_path: Path
) -> None:
    total = 150
    for index in range(total):
        (tmp_path / f"snippet{index:03}.py").write_text(f"value = {index}\n")

    def vanish_after_a_few() -> None:
        deadline = time.monotonic() + WAIT
        while len(emulator.store) < 3 and time.monotonic() < deadline:
            time.sleep(0.002)
        proxy.refuse()
        proxy.reset_all()

    vanishing = threading.Thread(target=vanish_after_a_few)
    vanishing.start()
    try:
        result = cli("--host", proxy.url, "import", str(tmp_path))
    finally:
        vanishing.join(WAIT)
    assert result.code == 3, result.err
    # The one under way failed (whether it was saved is not known); the files after it were never tried.
    summary = re.fullmatch(r"imported (\d+) files; 1 failed; stopped early: (\d+) files never tried\n", result.out)
    assert summary is not None, result.out
    imported, never_tried = int(summary.group(1)), int(summary.group(2))
    assert imported >= 2 and never_tried >= 1
    assert imported + 1 + never_tried == total
    assert "error: snippet" in result.err and "stopped while importing it" in result.err


# ----- demo ------------------------------------------------------------------------------------
def test_demo_starts_the_emulator_when_nothing_answers(cli: Cli) -> None:
    result = cli("--host", refused_url(), "demo")
    assert result.code == 0, result.err
    out = result.out
    assert "so the demo started the Pieces OS emulator at http://127.0.0.1:" in out
    assert len(re.findall(r"^   created [0-9a-f-]{36}  ", out, re.M)) == 3
    assert len(re.findall(r"^   stream: created [0-9a-f-]{36}$", out, re.M)) == 3
    for name in ("fetch_users.py", "debounce.js", "active_users.sql"):
        assert name in out
    listed = out.split("2. List them")[1].split("3. ")[0]
    assert listed.count("pieces-os-client-demo") == 3
    fuzzy = out.split("3. Fuzzy search")[1].split("4. ")[0].splitlines()
    assert "fetch_users.py" in fuzzy[2]  # the best match comes first, under the header
    filtered = out.split("4. Filtered search")[1].split("5. ")[0]
    assert "active_users.sql" in filtered and "fetch_users.py" not in filtered
    assert "stream: deleted " in out and "GoneException: 410" in out
    assert out.rstrip().endswith("the same from Python")
    assert "serve --port 39300" in out


def test_demo_on_a_running_pieces_os_cleans_up_after_itself(cli: Cli, url: str, api: AssetsApi) -> None:
    mine = create(api, "mine", "keep = True", "py")
    result = cli("--host", url, "demo")
    assert result.code == 0, result.err
    assert f"Pieces OS answers at {url}" in result.out
    assert "Deleted the demo's remaining 2 snippets" in result.out
    assert [asset.id for asset in api.assets_snapshot().iterable] == [mine.id]


class Interrupting(io.TextIOBase):
    """A stdout that raises ``error`` (as Ctrl-C or a closed pipe would) once ``after`` was written."""

    def __init__(self, after: str, error: BaseException, file: Path) -> None:
        self.after, self.error, self.written = after, error, ""
        self._file = open(file, "w")  # a real descriptor for the command to redirect at a closed pipe

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._file.fileno()

    def write(self, text: str) -> int:
        if self.after in self.written:
            raise self.error
        self.written += text
        return len(text)

    def close(self) -> None:
        self._file.close()
        super().close()


@pytest.mark.parametrize("error, code", [(KeyboardInterrupt(), 130), (BrokenPipeError(32, "Broken pipe"), 0)])
def test_demo_removes_what_it_created_when_interrupted(
    monkeypatch: pytest.MonkeyPatch, url: str, api: AssetsApi, tmp_path: Path, error: BaseException, code: int
) -> None:
    mine = create(api, "mine", "keep = True", "py")
    for after in ("2. List them", "5. Delete"):
        stdout = Interrupting(after, error, tmp_path / "stdout")
        monkeypatch.setattr(sys, "stdout", stdout)
        assert main(["--host", url, "demo"]) == code
        stdout.close()
        assert "   created " in stdout.written  # it was interrupted after creating its snippets
        assert [asset.id for asset in api.assets_snapshot().iterable] == [mine.id]


# ----- the installed script, in a process of its own -------------------------------------------
def script(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([SCRIPT, *args], capture_output=True, text=True, timeout=WAIT, check=False)


def test_the_installed_script_and_python_m_run_the_command_line(url: str, api: AssetsApi) -> None:
    from pieces_os_client import __version__

    assert script("--version").stdout == f"pieces-os-client {__version__}\n"
    module = subprocess.run(
        [sys.executable, "-m", "pieces_os_client", "--version"], capture_output=True, text=True, timeout=WAIT
    )
    assert module.stdout == f"python -m pieces_os_client {__version__}\n"
    asset = create(api, "listed", "x = 1", "py")
    listed = script("--host", url, "list")
    assert listed.returncode == 0
    assert listed.stdout.splitlines()[1].split()[-1] == asset.id


def test_watch_exits_130_on_ctrl_c(url: str, api: AssetsApi) -> None:
    process = subprocess.Popen([SCRIPT, "--host", url, "watch"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stderr is not None and process.stdout is not None
        assert process.stderr.readline().startswith("watching ")
        asset = create(api, "seen", "y = 2", "py")
        assert process.stdout.readline() == f"created  {asset.id}  seen\n"
        process.send_signal(signal.SIGINT)
        _, errors = process.communicate(timeout=WAIT)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 130  # as every command interrupted by Ctrl-C
    assert errors == "interrupted\n"


def test_serve_runs_the_emulator_until_interrupted(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [SCRIPT, "serve", "--port", "0", "--db", str(tmp_path / "s.db")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("Pieces OS emulator listening on http://127.0.0.1:")
        served = line.split(" on ", 1)[1].strip()
        with ApiClient(Configuration(host=served)) as client:
            assert AssetsApi(client).assets_snapshot().iterable == []
    finally:
        process.send_signal(signal.SIGINT)
        _, errors = process.communicate(timeout=WAIT)
    assert process.returncode == 0
    assert "Traceback" not in errors


def test_output_into_a_closed_pipe_ends_quietly_with_0(url: str, api: AssetsApi) -> None:
    for index in range(3):
        create(api, f"snippet {index}", f"x = {index}", "py")
    reader, writer = os.pipe()
    os.close(reader)  # as 'head -1' does once it has its line, here before anything is written
    try:
        done = subprocess.run(
            [SCRIPT, "--host", url, "list"], stdout=writer, stderr=subprocess.PIPE, text=True, timeout=WAIT
        )
    finally:
        os.close(writer)
    assert done.returncode == 0
    assert done.stderr == ""
