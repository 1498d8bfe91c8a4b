"""Fixtures a plugin's own test suite can copy: one emulator per session, a clean store per test."""
from typing import Iterator

import pytest

from pieces_os_client import ApiClient, AssetsApi, Configuration
from pieces_os_client.testing import PiecesOSEmulator


@pytest.fixture(scope="session")
def pieces_os() -> Iterator[PiecesOSEmulator]:
    with PiecesOSEmulator() as emulator:  # a free loopback port, assets in memory
        yield emulator


@pytest.fixture
def assets_api(pieces_os: PiecesOSEmulator) -> Iterator[AssetsApi]:
    pieces_os.reset()  # every test starts with no assets
    with ApiClient(Configuration(host=pieces_os.url)) as client:
        yield AssetsApi(client)
