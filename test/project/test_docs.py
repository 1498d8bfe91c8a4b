"""The README and every page of docs/ link only to files that exist."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_relative_links_resolve(page: Path) -> None:
    targets = [t for t in LINK.findall(page.read_text(encoding="utf-8")) if "://" not in t and not t.startswith("mailto:")]
    missing = sorted({t for t in targets if not (page.parent / t).exists()})
    assert missing == [], f"{page.relative_to(ROOT)} links to missing files: {missing}"


def test_every_model_has_its_page_beside_the_api_page() -> None:
    from pieces_os_client.models import MODULES

    assert sorted(p.stem for p in (ROOT / "docs").glob("*.md") if p.stem in MODULES) == sorted(MODULES)
