"""The file helpers of the command line: names cut to the file-name limit by bytes, writes that
are all or nothing, reads that never follow a symbolic link. On real files in a temporary folder."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given, strategies as st

from pieces_os_client.cli.files import (
    NAME_MAX_BYTES,
    SymbolicLinkError,
    cut_to_bytes,
    numbered_name,
    read_regular_file,
    write_new_file,
)

# Text a file name can hold (no lone surrogates: they cannot be encoded at all).
names = st.text(st.characters(blacklist_categories=("Cs",)), max_size=400)


@given(names, st.integers(min_value=0, max_value=300))
def test_a_cut_fits_the_byte_limit_and_starts_the_text(text: str, limit: int) -> None:
    cut = cut_to_bytes(text, limit)
    assert len(cut.encode("utf-8")) <= limit
    assert text.startswith(cut)
    if len(text.encode("utf-8")) <= limit:
        assert cut == text


def test_a_cut_falls_between_characters_and_leaves_no_joiner_dangling() -> None:
    assert cut_to_bytes("漢字" * 50, 10) == "漢字漢"  # 9 bytes: a fourth character would need 12
    assert cut_to_bytes("😀" * 10, 7) == "😀"
    # woman, joiner, laptop: a cut after the joiner drops it
    assert cut_to_bytes("ab\U0001f469\u200d\U0001f4bb", 9) == "ab\U0001f469"


@given(names.filter(lambda name: name.strip(". ") != ""), st.integers(min_value=1, max_value=10_000))
def test_numbered_names_fit_the_limit(name: str, number: int) -> None:
    assert len(numbered_name(name, number).encode("utf-8")) <= NAME_MAX_BYTES


def test_a_long_cjk_or_emoji_name_keeps_its_extension_and_number() -> None:
    cjk = "漢" * 90 + ".py"  # 273 bytes
    assert numbered_name(cjk) == "漢" * 84 + ".py"
    assert numbered_name(cjk, 12) == "漢" * 83 + "-12.py"
    emoji = "😀" * 90 + ".md"  # 363 bytes
    assert numbered_name(emoji) == "😀" * 63 + ".md"
    assert numbered_name("short.py", 2) == "short-2.py"
    sentence = "a" * 300 + ".this is not an extension"
    assert numbered_name(sentence) == "a" * 255
    assert numbered_name(sentence, 2) == "a" * 253 + "-2"


def test_a_new_file_is_written_whole_with_the_usual_permissions(tmp_path: Path) -> None:
    target = tmp_path / "snippet.py"
    write_new_file(target, b"print('hello')\n")
    assert target.read_bytes() == b"print('hello')\n"
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask
    assert [path.name for path in tmp_path.iterdir()] == ["snippet.py"]


def test_a_new_file_never_replaces_one_and_leaves_nothing_behind(tmp_path: Path) -> None:
    target = tmp_path / "snippet.py"
    target.write_bytes(b"mine\n")
    with pytest.raises(FileExistsError):
        write_new_file(target, b"theirs\n")
    assert target.read_bytes() == b"mine\n"
    assert [path.name for path in tmp_path.iterdir()] == ["snippet.py"]


def test_a_regular_file_is_read_and_links_and_pipes_are_not(tmp_path: Path) -> None:
    secret = tmp_path / "id_rsa"
    secret.write_bytes(b"PRIVATE KEY\n")
    assert read_regular_file(secret) == b"PRIVATE KEY\n"
    link = tmp_path / "key.py"
    link.symlink_to(secret)
    with pytest.raises(SymbolicLinkError):
        read_regular_file(link)
    dangling = tmp_path / "dangling.py"
    dangling.symlink_to(tmp_path / "nowhere")
    with pytest.raises(SymbolicLinkError):
        read_regular_file(dangling)
    os.mkfifo(tmp_path / "pipe")
    assert read_regular_file(tmp_path / "pipe") is None  # and it does not wait for a writer
    with pytest.raises(FileNotFoundError):
        read_regular_file(tmp_path / "missing")
