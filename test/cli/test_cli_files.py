"""What ``import`` and ``export`` do with awkward files, and what the commands print when the
server's text is hostile: driven through the command line against the emulator on loopback."""
from __future__ import annotations

import io
import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

import pytest
from support.terminal_helpers import run_on_terminal

from pieces_os_client import AssetsApi
from pieces_os_client.cli import files, main
from pieces_os_client.cli.snippets import snippet_seed
from pieces_os_client.display import asset_content
from pieces_os_client.models.asset import Asset
from pieces_os_client.testing import PiecesOSEmulator

WAIT = 30.0  # generous bound on a command that should finish at once


@pytest.fixture()
def url(emulator: PiecesOSEmulator) -> str:
    return emulator.url


def run(capsys: pytest.CaptureFixture[str], *args: str) -> Tuple[int, str, str]:
    """The command line in this process: exit code, stdout, stderr."""
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def create(api: AssetsApi, name: str, text: str, language: Optional[str] = None, tags: Sequence[str] = ()) -> Asset:
    return api.assets_create_new_asset(seed=snippet_seed(text, name=name, language=language, tags=tags))


def contents(api: AssetsApi) -> List[str]:
    return sorted(str(asset_content(asset)) for asset in api.assets_snapshot(transferables=True))


# ----- import ----------------------------------------------------------------------------------
def test_import_follows_no_symbolic_link_and_names_each_one(
    url: str, assets_api: AssetsApi, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    private = tmp_path / "home"
    private.mkdir()
    (private / "id_ed25519").write_text("-----BEGIN OPENSSH PRIVATE KEY-----\n")
    (private / "notes.py").write_text("password = 'hunter2'\n")
    source = tmp_path / "src"
    source.mkdir()
    (source / "app.py").write_text("print('app')\n")
    (source / "key.py").symlink_to(private / "id_ed25519")
    (source / "home").symlink_to(private, target_is_directory=True)
    (source / "again.py").symlink_to(source / "app.py")  # inside the folder: not followed either

    code, out, err = run(capsys, "--host", url, "import", str(source))
    assert code == 0
    assert contents(assets_api) == ["print('app')\n"]
    assert out == "imported 1 file; skipped 3 (3 symbolic link)\n"
    assert sorted(err.splitlines()) == [
        "skipped again.py: a symbolic link (links are not followed)",
        "skipped home: a symbolic link (links are not followed)",
        "skipped key.py: a symbolic link (links are not followed)",
    ]

    code, out, _ = run(capsys, "--host", url, "--json", "import", str(source))
    assert sorted((record["path"], record["reason"]) for record in json.loads(out)["skipped"]) == [
        ("again.py", "symbolic link"),
        ("app.py", "already imported"),
        ("home", "symbolic link"),
        ("key.py", "symbolic link"),
    ]


def undecodable(directory: Path, name: bytes) -> bytes:
    """The path of ``name`` (not valid UTF-8) in ``directory``; skips the test where the file
    system refuses such names (macOS)."""
    path = os.fsencode(directory) + b"/" + name
    try:
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o644))
    except OSError as error:
        pytest.skip(f"this file system refuses a name that is not UTF-8: {error}")
    os.unlink(path)
    return path


def test_import_reports_a_name_that_is_not_utf8_in_one_line_and_imports_the_rest(
    url: str, assets_api: AssetsApi, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "good.py").write_text("good = True\n")
    with open(undecodable(tmp_path, b"caf\xe9.py"), "w") as file:
        file.write("latin1 = True\n")
    folder = undecodable(tmp_path, b"d\xffta")
    os.mkdir(folder)
    for index in range(3):
        with open(folder + b"/inside%d.py" % index, "w") as file:
            file.write(f"inside = {index}\n")

    code, out, err = run(capsys, "--host", url, "import", str(tmp_path))
    assert code == 1  # some files failed
    assert contents(assets_api) == ["good = True\n"]
    assert out == "imported 1 file; 2 failed\n"
    assert sorted(err.splitlines()) == [
        "error: caf\\xe9.py: the name is not valid UTF-8; rename it to import it",
        "error: d\\xffta: the name is not valid UTF-8; rename it to import what it holds",
    ]

    code, out, err = run(capsys, "--host", url, "--json", "import", str(tmp_path))
    assert code == 1
    report = json.loads(out)
    assert sorted(record["path"] for record in report["failed"]) == ["caf\\xe9.py", "d\\xffta"]
    assert [record["path"] for record in report["skipped"]] == ["good.py"]


# ----- export ----------------------------------------------------------------------------------
def test_export_cuts_long_names_by_bytes(
    url: str, assets_api: AssetsApi, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cjk, emoji = "漢字" * 45, "\U0001f469\u200d\U0001f4bb" * 30  # 90 characters: 270 and 330 bytes
    create(assets_api, cjk, "print('cjk')", "py")
    create(assets_api, cjk, "print('cjk again')", "py")
    create(assets_api, emoji, "# emoji\n", "md")
    create(assets_api, "é" * 200 + "/" + "x" * 300, "SELECT 1;", "sql")  # a folder and a file, each too long
    target = tmp_path / "out"

    code, out, err = run(capsys, "--host", url, "--json", "export", str(target))
    assert (code, err) == (0, "")
    paths = sorted(record["path"] for record in json.loads(out)["exported"])
    assert paths == sorted(
        [
            "漢字" * 42 + ".py",
            "漢字" * 41 + "漢-2.py",
            "\U0001f469\u200d\U0001f4bb" * 22 + "\U0001f469.md",
            "é" * 127 + "/" + "x" * 251 + ".sql",
        ]
    )
    for path in paths:
        assert all(len(part.encode("utf-8")) <= 255 for part in path.split("/"))
    assert sorted((target / path).read_text() for path in paths) == sorted(
        ["print('cjk')", "print('cjk again')", "# emoji\n", "SELECT 1;"]
    )

    code, out, _ = run(capsys, "--host", url, "export", str(target))
    assert (code, out) == (0, f"exported 0 assets to {target}; skipped 4 (4 unchanged)\n")


def _limit_file_size() -> None:
    # A file-size limit makes a write fail half way, as a full disk does; the signal it raises
    # is ignored so that the write reports EFBIG instead of killing the process.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))


@pytest.mark.skipif(not hasattr(resource, "RLIMIT_FSIZE"), reason="needs RLIMIT_FSIZE")
def test_export_leaves_nothing_of_a_file_it_failed_to_write(url: str, assets_api: AssetsApi, tmp_path: Path) -> None:
    create(assets_api, "small.py", "print('small')\n", "py")
    create(assets_api, "big.txt", "a long line of text\n" * 10_000, "txt")  # 200 KB, over the limit
    target = tmp_path / "out"
    result = subprocess.run(
        [sys.executable, "-m", "pieces_os_client", "--host", url, "export", str(target)],
        capture_output=True,
        text=True,
        timeout=WAIT,
        preexec_fn=_limit_file_size,
        # Under the limit, bytecode Python writes for a changed module would be cut short and
        # break every later import of it.
        env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"),
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr == "error: big.txt: cannot write: File too large\n"
    assert result.stdout == f"exported 1 asset to {target}; 1 failed\n"
    assert sorted(path.name for path in target.iterdir()) == ["small.py"]  # no partial or temporary file
    assert (target / "small.py").read_text() == "print('small')\n"


def test_sigterm_during_export_leaves_no_partial_file(url: str, assets_api: AssetsApi, tmp_path: Path) -> None:
    # Big enough that writing it (and flushing it to the disk) takes a while.
    create(assets_api, "big.txt", "a" * (4 * 1024 * 1024), "txt")
    target = tmp_path / "out"
    process = subprocess.Popen(
        [sys.executable, "-m", "pieces_os_client", "--host", url, "export", str(target)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        seen_part = False
        while process.poll() is None and not seen_part:
            seen_part = target.is_dir() and any(name.endswith(".part") for name in os.listdir(target))
            time.sleep(0.0005)
        process.send_signal(signal.SIGTERM)
        _, errors = process.communicate(timeout=WAIT)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert seen_part, "the export ended before its temporary file could be seen"
    assert process.returncode == 143 and errors == "terminated\n"
    assert [name for name in os.listdir(target) if name.endswith(".part")] == []


def test_an_interruption_the_moment_the_temporary_file_exists_still_removes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Ctrl-C or SIGTERM lands between two bytecodes: here, right after the file was created.
    real_open = os.open

    def created_then_interrupted(path: str, flags: int, mode: int = 0o777) -> int:
        descriptor = real_open(path, flags, mode)
        os.close(descriptor)
        raise KeyboardInterrupt

    monkeypatch.setattr(files.os, "open", created_then_interrupted)
    with pytest.raises(KeyboardInterrupt):
        files.write_new_file(tmp_path / "snippet.txt", b"text")
    monkeypatch.undo()
    assert os.listdir(tmp_path) == []


def test_create_reads_at_most_the_snippet_limit(
    url: str, assets_api: AssetsApi, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, _, errors = run(capsys, "--host", url, "create", "/dev/zero")
    assert code == 2 and errors == "error: cannot read /dev/zero: larger than 32 MiB, the most a snippet may hold\n"
    with open("/dev/zero", "rb") as zeros:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(zeros))
        code, _, errors = run(capsys, "--host", url, "create", "-")
    assert code == 2 and errors == "error: cannot read standard input: larger than 32 MiB, the most a snippet may hold\n"
    assert len(assets_api.assets_snapshot()) == 0


BIDI_NAME = "invoice\u202etxt.exe"


def test_bidirectional_controls_are_escaped_in_json_and_replaced_in_exported_names(
    url: str, assets_api: AssetsApi, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    asset = create(assets_api, BIDI_NAME, "print(1)\n", "py")
    for command in (("list",), ("show", asset.id)):
        code, output, _ = run(capsys, "--host", url, "--json", *command)
        assert code == 0 and "\u202e" not in output and "\\u202e" in output
        parsed = json.loads(output)
        assert (parsed[0] if isinstance(parsed, list) else parsed)["name"] == BIDI_NAME  # the value is exact
    code, _, _ = run(capsys, "--host", url, "export", str(tmp_path / "out"))
    assert code == 0 and os.listdir(tmp_path / "out") == ["invoice_txt.exe.py"]


# ----- text from the server on a terminal ----------------------------------------------------
HOSTILE_NAME = "\x1b[2J\x1b[Hgotcha"
HOSTILE_TAG = "\x9b31mred"
HOSTILE_CONTENT = "echo hi  # \x1b]0;new title\x07\nrm -rf ~\roverwritten\n"
CONTROL = ("\x1b", "\x9b", "\x07", "\r")


def test_server_text_is_escaped_in_every_command_and_exact_in_json(
    url: str, assets_api: AssetsApi, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    asset = create(assets_api, HOSTILE_NAME, HOSTILE_CONTENT, "sh", tags=[HOSTILE_TAG])
    (tmp_path / "snippet.py").write_text("print('hi')\n")
    commands = [
        ("list",),
        ("show", asset.id),
        ("search", "gotcha"),
        ("search", "--tags", HOSTILE_TAG),
        ("create", str(tmp_path / "snippet.py"), "--name", HOSTILE_NAME),
    ]
    for command in commands:
        code, out, err = run(capsys, "--host", url, *command)
        assert code == 0, (command, err)
        assert "gotcha" in out, (command, out)
        assert not any(character in out + err for character in CONTROL), (command, out, err)
    code, out, _ = run(capsys, "--host", url, "show", asset.id)
    assert "\\x1b[2J\\x1b[Hgotcha" in out and "\\x9b31mred" in out
    assert "echo hi  # \\x1b]0;new title\\x07\nrm -rf ~\\x0doverwritten" in out

    code, out, _ = run(capsys, "--host", url, "--json", "list")
    assert "\x1b" not in out and "\x9b" not in out  # escaped the JSON way, so just as exact
    (record,) = [record for record in json.loads(out) if record["id"] == asset.id]
    assert (record["name"], record["tags"]) == (HOSTILE_NAME, [HOSTILE_TAG])
    code, out, _ = run(capsys, "--host", url, "--json", "show", asset.id)
    assert (json.loads(out)["name"], json.loads(out)["content"]) == (HOSTILE_NAME, HOSTILE_CONTENT)
    code, out, _ = run(capsys, "--host", url, "show", "--raw", asset.id)
    assert Asset.from_json(out).name == HOSTILE_NAME
    assert asset_content(Asset.from_json(out)) == HOSTILE_CONTENT


FORGED_NAME = "innocent.sql\nlanguage: py\nid: 00000000-0000-0000-0000-000000000000"
REVERSED_TAG = "evil\u202egnp.exe"


def test_a_name_cannot_forge_fields_nor_reorder_a_line_in_any_command(
    url: str, assets_api: AssetsApi, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    asset = create(assets_api, FORGED_NAME, "SELECT 1;\n", "sql", tags=[REVERSED_TAG])
    (tmp_path / "snippet.sql").write_text("SELECT 2;\n")
    commands = [
        ("list",),
        ("show", asset.id),
        ("search", "innocent"),
        ("create", str(tmp_path / "snippet.sql"), "--name", FORGED_NAME),
        ("rename", asset.id, FORGED_NAME),
        ("tag", asset.id, "a\nlanguage: b\u2066"),
        ("untag", asset.id, "a\nlanguage: b\u2066"),
    ]
    for command in commands:
        code, out, err = run(capsys, "--host", url, *command)
        assert code == 0, (command, err)
        assert "innocent.sql\\x0alanguage: py" in out or "a\\x0alanguage: b\\u2066" in out, (command, out)
        assert not any(line.startswith(("language: py", "id: 0000")) for line in out.splitlines()), (command, out)
        assert "\u202e" not in out + err and "\u2066" not in out + err, (command, out)
    code, out, _ = run(capsys, "--host", url, "show", asset.id)
    assert "evil\\u202egnp.exe" in out
    code, out, _ = run(capsys, "--host", url, "--json", "list")
    assert {record["name"] for record in json.loads(out)} == {FORGED_NAME}
    assert REVERSED_TAG in [tag for record in json.loads(out) for tag in record["tags"]]


def test_show_cuts_a_huge_line_and_says_how_much_was_left_out(
    url: str, assets_api: AssetsApi, capsys: pytest.CaptureFixture[str]
) -> None:
    asset = create(assets_api, "minified.js", "x" * 2_000_000, "js")
    code, out, _ = run(capsys, "--host", url, "show", asset.id)
    assert code == 0
    assert len(out) < 10_000
    assert "x" * 2_000 + " … 1,998,000 more characters" in out
    code, out, _ = run(capsys, "--host", url, "--json", "show", asset.id)
    assert "x" * 2_000_000 in out  # --json keeps it whole


def test_export_progress_on_a_terminal_shows_hostile_names_escaped(url: str, assets_api: AssetsApi, tmp_path: Path) -> None:
    create(assets_api, HOSTILE_NAME, "x = 1\n", "py")
    result, drawn = run_on_terminal(
        [sys.executable, "-m", "pieces_os_client", "--host", url, "export", str(tmp_path / "out")]
    )
    assert result.returncode == 0
    assert b"exporting [....................] 0/1 \\x1b[2J\\x1b[Hgotcha" in drawn
    assert b"\x1b[2J" not in drawn and b"\x1b[H" not in drawn


def test_watch_shows_a_hostile_name_escaped(url: str, assets_api: AssetsApi) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "pieces_os_client", "--host", url, "watch", "--events", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None and process.stdout is not None
        assert process.stderr.readline().startswith("watching ")  # the ids there are now are known
        asset = create(assets_api, HOSTILE_NAME, "x = 1\n", "py")
        out, err = process.communicate(timeout=WAIT)
    finally:
        process.kill()
        process.wait(WAIT)
    assert process.returncode == 0, err
    assert out == f"created  {asset.id}  \\x1b[2J\\x1b[Hgotcha\n"
