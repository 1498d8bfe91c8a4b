"""``search``: fuzzy over names, content and tags, narrowed by tags and language."""
from __future__ import annotations

import argparse
from typing import Any, Dict, List, Optional, Sequence

from pieces_os_client.api.assets_api import AssetsApi
from pieces_os_client.cli.client import with_api
from pieces_os_client.cli.exit_codes import EXIT_OK, EXIT_USAGE, CliError
from pieces_os_client.cli.languages import resolve_language
from pieces_os_client.cli.options import Commands, text
from pieces_os_client.cli.output import (
    ASSET_FIXED_COLUMNS,
    ASSET_HEADER,
    ASSET_ID_COLUMNS,
    asset_record,
    err,
    out,
    print_json,
    terminal_columns,
)
from pieces_os_client.cli.snippets import split_tags
from pieces_os_client.display import asset_row, text_table
from pieces_os_client.models.assets_search_with_filters_input import AssetsSearchWithFiltersInput
from pieces_os_client.models.searched_asset import SearchedAsset
from pieces_os_client.models.searched_assets import SearchedAssets


def search(
    api: AssetsApi,
    query: Optional[str],
    tags: Sequence[str],
    language: Optional[str],
    *,
    all_tags: bool = False,
) -> SearchedAssets:
    """Fuzzy search on ``query`` among the assets with any of ``tags`` (every one of them with
    ``all_tags``) in ``language``.

    Tags alone, any of them, are the fuzzy search's ``searchable_tags``; a language or every tag
    makes it a filtered search (``assets_search_with_filters``), where a filter's tags must all
    be there, and several filters joined by OR give any of them.
    """
    if language is None and not all_tags:
        return api.assets_search_assets(
            query=query, searchable_tags=",".join(tags) if tags else None, transferables=False
        )
    filters: List[Dict[str, Any]] = []
    if language is not None:
        filters.append({"classification": language})
    if tags and all_tags:
        filters.append({"tags": list(tags)})
    elif tags:
        filters.append({"operations": {"iterable": [{"tags": [tag]} for tag in tags], "type": "OR"}})
    body = AssetsSearchWithFiltersInput.from_dict({"query": query, "filters": {"iterable": filters, "type": "AND"}})
    return api.assets_search_with_filters(transferables=False, assets_search_with_filters_input=body).results


def results_table(results: SearchedAssets, indent: str = "") -> str:
    rows = []
    for result in results.iterable:
        columns = asset_row(result.asset)[:-1] if result.asset is not None else ["", "", "", ""]
        rows.append([f"{result.score:.3g}"] + columns + [result.identifier])
    fixed = (0,) + tuple(index + 1 for index in ASSET_FIXED_COLUMNS)
    ids = tuple(index + 1 for index in ASSET_ID_COLUMNS)
    return text_table(["SCORE"] + ASSET_HEADER, rows, indent=indent, fit=terminal_columns(), fixed=fixed, ids=ids)


def _result_record(result: SearchedAsset) -> Dict[str, Any]:
    record: Dict[str, Any] = asset_record(result.asset) if result.asset is not None else {}
    match = getattr(result.match, "value", result.match)
    record.update(id=result.identifier, score=result.score, exact=result.exact, match=match)
    return record


def command_search(args: argparse.Namespace, api: AssetsApi) -> int:
    tags = split_tags(args.tags)
    language = resolve_language(args.language) if args.language is not None else None
    if not args.query and not tags and language is None:
        raise CliError("search needs a QUERY, --tags or --language", EXIT_USAGE)
    if args.all_tags and not tags:
        raise CliError("--all-tags needs --tags", EXIT_USAGE)
    results = search(api, args.query or None, tags, language, all_tags=args.all_tags)
    if args.json:
        print_json([_result_record(result) for result in results.iterable])
    elif results.iterable:
        out(results_table(results))
    else:
        err("no matches")
    return EXIT_OK


def register(commands: Commands) -> None:
    sub = commands.add("search", with_api(AssetsApi, command_search))
    sub.add_argument("query", nargs="?", type=text, help="the text to search for")
    sub.add_argument(
        "--tags",
        action="append",
        type=text,
        metavar="TAG[,TAG...]",
        help="only assets with any of these tags (repeat it or separate with commas)",
    )
    sub.add_argument("--all-tags", action="store_true", help="only assets with every one of the --tags")
    sub.add_argument(
        "--language", type=text, help="only assets in this language: a name or an extension, any case (sql, Python, .py)"
    )
