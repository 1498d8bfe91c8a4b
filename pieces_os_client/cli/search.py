"""``search``: fuzzy over names, content and tags, or filtered by language."""
from __future__ import annotations

import argparse
from typing import Any, Dict, List, Optional, Sequence

from pieces_os_client.api.assets_api import AssetsApi
from pieces_os_client.cli.errors import EXIT_OK, EXIT_USAGE, CliError
from pieces_os_client.cli.options import Commands, with_assets_api
from pieces_os_client.cli.output import ASSET_HEADER, asset_record, err, out, print_json
from pieces_os_client.cli.snippets import split_tags
from pieces_os_client.display import asset_row, text_table
from pieces_os_client.models.assets_search_with_filters_input import AssetsSearchWithFiltersInput
from pieces_os_client.models.searched_asset import SearchedAsset
from pieces_os_client.models.searched_assets import SearchedAssets


def search(api: AssetsApi, query: Optional[str], tags: Sequence[str], language: Optional[str]) -> SearchedAssets:
    """Fuzzy search on ``query``, exact on ``tags``; a language makes it a filtered search."""
    if language is None:
        return api.assets_search_assets(
            query=query, searchable_tags=",".join(tags) if tags else None, transferables=False
        )
    filters: List[Dict[str, Any]] = [{"classification": language}]
    if tags:
        filters.append({"tags": list(tags)})
    body = AssetsSearchWithFiltersInput.from_dict({"query": query, "filters": {"iterable": filters, "type": "AND"}})
    return api.assets_search_with_filters(transferables=False, assets_search_with_filters_input=body).results


def results_table(results: SearchedAssets, indent: str = "") -> str:
    rows = []
    for result in results.iterable:
        columns = asset_row(result.asset)[:-1] if result.asset is not None else ["", "", "", ""]
        rows.append([f"{result.score:.3g}"] + columns + [result.identifier])
    return text_table(["SCORE"] + ASSET_HEADER, rows, indent=indent)


def _result_record(result: SearchedAsset) -> Dict[str, Any]:
    record: Dict[str, Any] = asset_record(result.asset) if result.asset is not None else {}
    match = getattr(result.match, "value", result.match)
    record.update(id=result.identifier, score=result.score, exact=result.exact, match=match)
    return record


def command_search(args: argparse.Namespace, api: AssetsApi) -> int:
    tags = split_tags(args.tags)
    if not args.query and not tags:
        raise CliError("search needs a QUERY, --tags, or both", EXIT_USAGE)
    results = search(api, args.query or None, tags, args.language)
    if args.json:
        print_json([_result_record(result) for result in results.iterable])
    elif results.iterable:
        out(results_table(results))
    else:
        err("no matches")
    return EXIT_OK


def register(commands: Commands) -> None:
    sub = commands.add(
        "search",
        "Fuzzy search over names, content and tags, or an exact match on tags.",
        with_assets_api(command_search),
    )
    sub.add_argument("query", nargs="?", help="the text to search for")
    sub.add_argument("--tags", action="append", help="comma-separated tags the assets must have")
    sub.add_argument("--language", help="only assets in this language, e.g. sql (a filtered search)")
