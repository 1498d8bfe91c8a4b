"""Fixtures for tests that talk to the Pieces OS emulator.

``emulator`` is a started ``PiecesOSEmulator`` on a free loopback port with an in-memory store;
``assets_api`` is an ``AssetsApi`` bound to it; ``make_seed`` builds a realistic Seed.
"""
from __future__ import annotations

from typing import Iterator

import pytest
from emulator_helpers import SeedFactory, build_seed

from pieces_os_client import ApiClient, AssetsApi, Configuration
from pieces_os_client.testing import PiecesOSEmulator


@pytest.fixture
def make_seed() -> SeedFactory:
    return build_seed


@pytest.fixture
def emulator() -> Iterator[PiecesOSEmulator]:
    with PiecesOSEmulator(port=0, db=None) as running:
        yield running


@pytest.fixture
def assets_api(emulator: PiecesOSEmulator) -> Iterator[AssetsApi]:
    # No retries: a test that provokes an error status wants it at once.
    with ApiClient(Configuration(host=emulator.url, retries=0)) as client:
        yield AssetsApi(client)
