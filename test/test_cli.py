"""The command line as a user runs it: ``python -m pieces_os_client`` in a subprocess, against the
emulator on loopback, checking what it prints and the exit code it ends with."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO, Iterator, List, Optional, Sequence

import pytest
from httpserver_helpers import refused_url
from terminal_helpers import run_on_terminal

from pieces_os_client import ApiClient, AssetsApi, Configuration
from pieces_os_client.cli import main, snippet_seed
from pieces_os_client.exceptions import GoneException
from pieces_os_client.models.asset import Asset
from pieces_os_client.testing import PiecesOSEmulator

WAIT = 30.0  # generous bound on a command that should finish at once


@pytest.fixture(scope="module")
def emulator() -> Iterator[PiecesOSEmulator]:
    with PiecesOSEmulator(host="127.0.0.1", port=0) as running:
        yield running


@pytest.fixture()
def url(emulator: PiecesOSEmulator) -> str:
    emulator.reset()
    return emulator.url


@pytest.fixture()
def api(url: str) -> Iterator[AssetsApi]:
    with ApiClient(Configuration(host=url)) as client:
        yield AssetsApi(client)


def cli(*args: str, stdin: Optional[bytes] = None, stderr: Optional[int] = subprocess.PIPE) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pieces_os_client", *args],
        input=stdin.decode() if stdin is not None else None,
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
        timeout=WAIT,
        check=False,
    )


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    """The error a failed command printed: one line, no traceback."""
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def create(api: AssetsApi, name: str, text: str, language: Optional[str] = None, tags: Sequence[str] = ()) -> Asset:
    return api.assets_create_new_asset(seed=snippet_seed(text, name=name, language=language, tags=tags))


# ----- help and errors -------------------------------------------------------------------------
COMMANDS = ["list", "show", "create", "delete", "search", "watch", "import", "export", "demo"]


def test_help_lists_every_command_and_the_exit_codes() -> None:
    result = cli("--help")
    assert result.returncode == 0
    for command in COMMANDS + ["serve"]:
        assert f"\n    {command} " in result.stdout
    for code in ("0", "1", "2", "3", "4", "5"):
        assert f"\n  {code} " in result.stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    # In process: what is checked is the parser, and each interpreter costs a second on a busy machine.
    with pytest.raises(SystemExit) as exited:
        main([command, "--help"], prog="pieces-os-client")
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: pieces-os-client {command}")
    assert "--host" in out and "exit codes:" in out


def test_serve_help_is_the_emulators() -> None:
    result = cli("serve", "--help")
    assert result.returncode == 0
    assert "--port" in result.stdout and "--db" in result.stdout


def test_unreachable_host_exits_3_with_one_line() -> None:
    host = refused_url()
    result = cli("--host", host, "list")
    assert result.returncode == 3
    assert host in one_line_error(result)


def test_bad_usage_exits_2() -> None:
    assert cli("list", "--no-such-option").returncode == 2
    assert cli("watch", "--events", "0").returncode == 2
    result = cli("--host", "localhost:1000", "list")
    assert result.returncode == 2
    assert "not an http(s) URL" in one_line_error(result)


# ----- list, show, create, delete --------------------------------------------------------------
def test_list_shows_name_language_tags_updated_and_id(url: str, api: AssetsApi) -> None:
    empty = cli("--host", url, "list")
    assert empty.returncode == 0 and empty.stdout == "" and "no assets" in empty.stderr
    first = create(api, "fetch users", "def fetch_users():\n    return []\n", "py", ["http", "users"])
    second = create(api, "top rows", "SELECT * FROM t LIMIT 5;", "sql")
    result = cli("--host", url, "list")
    assert result.returncode == 0
    header, *rows = result.stdout.splitlines()
    assert header.split() == ["NAME", "LANGUAGE", "TAGS", "UPDATED", "ID"]
    by_id = {row.split()[-1]: row for row in rows}
    assert set(by_id) == {first.id, second.id}
    assert "fetch users" in by_id[first.id] and " py " in by_id[first.id] and "http, users" in by_id[first.id]
    assert "top rows" in by_id[second.id] and " sql " in by_id[second.id]


def test_list_json_is_one_record_per_asset(url: str, api: AssetsApi) -> None:
    asset = create(api, "one", "print('one')", "py", ["t"])
    result = cli("list", "--json", "--host", url, "--pseudo")
    assert result.returncode == 0
    records = json.loads(result.stdout)
    assert records == [
        {"id": asset.id, "name": "one", "language": "py", "tags": ["t"], "updated": records[0]["updated"]}
    ]
    assert records[0]["updated"].startswith(str(asset.updated.value.year))


def test_show_prints_the_fields_and_the_content(url: str, api: AssetsApi) -> None:
    asset = create(api, "greeting", "print('hello')\nprint('world')\n", "py", ["demo"])
    result = cli("--host", url, "show", asset.id)
    assert result.returncode == 0
    assert "name:     greeting" in result.stdout and f"id:       {asset.id}" in result.stdout
    assert "language: py" in result.stdout and "tags:     demo" in result.stdout
    assert result.stdout.endswith("print('hello')\nprint('world')\n")
    as_json = cli("--host", url, "--json", "show", asset.id)
    assert Asset.from_json(as_json.stdout).id == asset.id


def test_show_and_delete_say_not_found_and_gone(url: str, api: AssetsApi) -> None:
    missing = "00000000-0000-4000-8000-000000000000"
    result = cli("--host", url, "show", missing)
    assert result.returncode == 4
    assert missing in one_line_error(result)
    assert cli("--host", url, "delete", missing).returncode == 4
    asset = create(api, "short-lived", "x = 1", "py")
    deleted = cli("--host", url, "delete", asset.id)
    assert deleted.returncode == 0 and deleted.stdout == f"deleted {asset.id}\n"
    with pytest.raises(GoneException):
        api.assets_specific_asset_snapshot(asset.id)
    gone = cli("--host", url, "show", asset.id)
    assert gone.returncode == 5
    assert "deleted" in one_line_error(gone)


def test_create_from_a_file_takes_language_from_the_extension(url: str, api: AssetsApi, tmp_path: Path) -> None:
    path = tmp_path / "query.sql"
    path.write_text("SELECT name FROM users WHERE id = 1;\n")
    result = cli("--host", url, "--json", "create", str(path), "--tag", "db,users", "--tag", "sql")
    assert result.returncode == 0
    record = json.loads(result.stdout)
    assert record["name"] == "query.sql" and record["language"] == "sql"
    assert sorted(record["tags"]) == ["db", "sql", "users"]
    assert api.assets_specific_asset_snapshot(record["id"]).name == "query.sql"


def test_create_from_stdin_lets_pieces_os_tell_the_language(url: str, api: AssetsApi) -> None:
    code = b"def add(a, b):\n    return a + b\n\nprint(add(1, 2))\n"
    result = cli("--host", url, "create", "-", "--name", "adder", stdin=code)
    assert result.returncode == 0
    assert result.stdout.startswith("created ") and result.stdout.rstrip().endswith("adder (py)")
    (asset,) = api.assets_snapshot().iterable
    assert asset.name == "adder"


def test_create_refuses_binary_empty_and_missing_files(url: str, api: AssetsApi, tmp_path: Path) -> None:
    binary = tmp_path / "image.png"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    empty = tmp_path / "empty.py"
    empty.write_text("  \n")
    for path, words in ((binary, "not UTF-8 text"), (empty, "empty"), (tmp_path / "nope.py", "cannot read")):
        result = cli("--host", url, "create", str(path))
        assert result.returncode == 2
        assert words in one_line_error(result)
    assert api.assets_snapshot().iterable == []


# ----- search ----------------------------------------------------------------------------------
@pytest.mark.slow
def test_search_fuzzy_by_tags_and_filtered_by_language(url: str, api: AssetsApi) -> None:
    users = create(api, "fetch users", "def fetch_users():\n    return get('/users')\n", "py", ["http"])
    query = create(api, "active users", "SELECT * FROM users WHERE active;", "sql", ["db"])
    create(api, "debounce", "function debounce(fn) { return fn; }", "js", ["ui"])

    fuzzy = cli("--host", url, "search", "fetch usr")
    assert fuzzy.returncode == 0
    header, first, *_ = fuzzy.stdout.splitlines()
    assert header.split() == ["SCORE", "NAME", "LANGUAGE", "TAGS", "UPDATED", "ID"]
    assert first.split()[-1] == users.id

    by_tag = json.loads(cli("--host", url, "--json", "search", "--tags", "db").stdout)
    assert [record["id"] for record in by_tag] == [query.id]

    filtered = json.loads(cli("--host", url, "--json", "search", "users", "--language", "sql").stdout)
    assert [record["id"] for record in filtered] == [query.id]
    assert filtered[0]["language"] == "sql"

    nothing = cli("--host", url, "search", "--tags", "no-such-tag")
    assert nothing.returncode == 0 and nothing.stdout == "" and "no matches" in nothing.stderr
    assert cli("--host", url, "search").returncode == 2


# ----- watch -----------------------------------------------------------------------------------
class Watcher:
    """``watch`` running in the background, its stdout and stderr read line by line."""

    def __init__(self, url: str, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pieces_os_client", "--host", url, "watch", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.stderr: List[str] = []
        self.watching = threading.Event()
        assert self.process.stderr is not None
        self._reader = threading.Thread(target=self._read_stderr, args=(self.process.stderr,), daemon=True)
        self._reader.start()
        assert self.watching.wait(WAIT), self.stderr

    def _read_stderr(self, stream: IO[str]) -> None:
        for line in stream:
            self.stderr.append(line)
            if line.startswith("watching "):
                self.watching.set()

    def line(self) -> str:
        assert self.process.stdout is not None
        return self.process.stdout.readline()

    def finish(self) -> int:
        code = self.process.wait(WAIT)
        self._reader.join(WAIT)
        return code


def test_watch_prints_creates_and_deletes_as_they_happen(url: str, api: AssetsApi) -> None:
    create(api, "already there", "x = 1", "py")
    watcher = Watcher(url, "--json", "--events", "2")
    asset = create(api, "new one", "let y = 2;", "js")
    assert json.loads(watcher.line()) == {"event": "created", "id": asset.id, "name": "new one"}
    api.assets_delete_asset(asset.id)
    assert json.loads(watcher.line()) == {"event": "deleted", "id": asset.id, "name": ""}
    assert watcher.finish() == 0
    assert "1 asset;" in watcher.stderr[0]


def test_watch_stops_cleanly_on_ctrl_c(url: str, api: AssetsApi) -> None:
    watcher = Watcher(url)
    asset = create(api, "seen", "y = 2", "py")
    assert watcher.line() == f"created  {asset.id}  seen\n"
    watcher.process.send_signal(signal.SIGINT)
    assert watcher.finish() == 0
    assert watcher.stderr[-1] == "stopped\n"
    assert not any("Traceback" in line for line in watcher.stderr)


@pytest.mark.slow
def test_watch_reconnects_when_pieces_os_restarts(tmp_path: Path) -> None:
    database = str(tmp_path / "store.db")
    with PiecesOSEmulator(host="127.0.0.1", port=0, db=database) as first:
        url, port = first.url, int(first.url.rsplit(":", 1)[1])
        watcher = Watcher(url, "--events", "2")
        with ApiClient(Configuration(host=url)) as client:
            before = create(AssetsApi(client), "before", "a = 1", "py")
        assert watcher.line() == f"created  {before.id}  before\n"
    with PiecesOSEmulator(host="127.0.0.1", port=port, db=database):
        with ApiClient(Configuration(host=url)) as client:
            after = create(AssetsApi(client), "after", "b = 2", "py")
        assert watcher.line() == f"created  {after.id}  after\n"
        assert watcher.finish() == 0
    assert any(line.startswith("reconnected to ") for line in watcher.stderr), watcher.stderr


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


@pytest.mark.slow
def test_import_and_export_round_trip(url: str, api: AssetsApi, tmp_path: Path) -> None:
    source, target = tmp_path / "source", tmp_path / "target"
    source.mkdir()
    unreadable = make_tree(source)

    first = cli("--host", url, "import", str(source), "--tag", "imported")
    assert first.returncode == (1 if unreadable else 0)  # some files could not be read
    assert first.stdout == (
        "imported 4 files; skipped 5 (1 already imported, 1 binary, 1 empty, 1 not a regular file, 1 symbolic link)"
        + (f"; {len(unreadable)} failed" if unreadable else "")
        + "\n"
    )
    assert "skipped dangling.py: a symbolic link" in first.stderr
    for name in unreadable:
        assert f"error: {name}: cannot read" in first.stderr
    assets = api.assets_snapshot().iterable
    assert sorted(asset.name or "" for asset in assets) == sorted(SOURCES)

    again = cli("--host", url, "--json", "import", str(source))
    report = json.loads(again.stdout)
    assert report["imported"] == []
    assert {record["path"] for record in report["skipped"] if record["reason"] == "already imported"} == set(
        SOURCES
    ) | {"web/other.js"}
    assert {record["path"] for record in report["failed"]} == set(unreadable)

    exported = cli("--host", url, "export", str(target))
    assert exported.returncode == 0
    assert exported.stdout == f"exported 4 assets to {target}\n"
    written = {path.relative_to(target).as_posix(): path.read_text() for path in target.rglob("*") if path.is_file()}
    assert written == SOURCES

    unchanged = cli("--host", url, "export", str(target))
    assert unchanged.stdout == f"exported 0 assets to {target}; skipped 4 (4 unchanged)\n"


def test_export_keeps_every_file_inside_the_directory(url: str, api: AssetsApi, tmp_path: Path) -> None:
    create(api, "../../escape", "print('escape')", "py")
    create(api, "/etc/passwd", "root:x:0:0", "txt")
    create(api, "same.py", "print(1)", "py")
    create(api, "same.py", "print(2)", "py")
    create(api, 'a:b*c?"d"', "SELECT 1;", "sql")
    target = tmp_path / "out"
    (target / "same.py").parent.mkdir()
    (target / "same.py").write_text("an older file\n")

    result = cli("--host", url, "--json", "export", str(target))
    assert result.returncode == 0
    paths = sorted(record["path"] for record in json.loads(result.stdout)["exported"])
    assert paths == ["a_b_c__d_.sql", "escape.py", "etc/passwd.txt", "same-2.py", "same-3.py"]
    assert (target / "same.py").read_text() == "an older file\n"
    assert {(target / "same-2.py").read_text(), (target / "same-3.py").read_text()} == {"print(1)", "print(2)"}
    assert not (tmp_path / "escape.py").exists()


def test_import_shows_a_progress_bar_only_on_a_terminal(url: str, tmp_path: Path) -> None:
    for index in range(3):
        (tmp_path / f"snippet{index}.py").write_text(f"value = {index}\n")
    plain = cli("--host", url, "import", str(tmp_path))
    assert plain.returncode == 0 and plain.stderr == ""

    (tmp_path / "more.py").write_text("more = True\n")
    result, drawn = run_on_terminal([sys.executable, "-m", "pieces_os_client", "--host", url, "import", str(tmp_path)])
    assert result.returncode == 0
    assert result.stdout == "imported 1 file; skipped 3 (3 already imported)\n"
    assert b"\r\x1b[Kimporting [....................] 0/4 more.py" in drawn
    assert b"\r\x1b[Kimporting [###############.....] 3/4 snippet2.py" in drawn
    assert drawn.endswith(b"\r\x1b[K")  # the bar is gone before the summary


# ----- serve and demo --------------------------------------------------------------------------
def test_serve_runs_the_emulator_until_interrupted(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "pieces_os_client", "serve", "--port", "0", "--db", str(tmp_path / "s.db")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("Pieces OS emulator listening on http://127.0.0.1:")
        served = line.split(" on ", 1)[1].strip()
        listed = cli("--host", served, "list")
        assert listed.returncode == 0 and "no assets" in listed.stderr
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(WAIT) == 0
    assert "Traceback" not in process.stderr.read() if process.stderr else True


def test_demo_starts_the_emulator_when_nothing_answers() -> None:
    result = cli("--host", refused_url(), "demo")
    assert result.returncode == 0, result.stderr
    out = result.stdout
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


def test_demo_on_a_running_pieces_os_cleans_up_after_itself(url: str, api: AssetsApi) -> None:
    mine = create(api, "mine", "keep = True", "py")
    result = cli("--host", url, "demo")
    assert result.returncode == 0, result.stderr
    assert f"Pieces OS answers at {url}" in result.stdout
    assert "Deleted the demo's remaining 2 snippets" in result.stdout
    assert [asset.id for asset in api.assets_snapshot().iterable] == [mine.id]
