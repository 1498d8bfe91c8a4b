"""``search``: fuzzy over names, content and tags, narrowed by tags and language."""
from __future__ import annotations

import argparse
from typing import Any, Dict, List, Optional, Sequence

from pieces_os_client.api.assets_api import AssetsApi
from pieces_os_client.cli import records
from pieces_os_client.cli.client import with_api
from pieces_os_client.cli.exit_codes import EXIT_OK, EXIT_USAGE, CliError
from pieces_os_client.cli.languages import resolve_language
from pieces_os_client.cli.options import Commands, limit, text
from pieces_os_client.cli.output import (
    ASSET_FIXED_COLUMNS,
    ASSET_HEADER,
    ASSET_ID_COLUMNS,
    err,
    out,
    print_json,
    raw_bytes,
    say_how_many_more,
    terminal_columns,
)
from pieces_os_client.cli.records import SearchedFields, searched_fields
from pieces_os_client.cli.snippets import split_tags
from pieces_os_client.display import text_table
from pieces_os_client.models.assets_search_with_filters_input import AssetsSearchWithFiltersInput

# As gh: the best few; the rest are counted.
SEARCH_LIMIT = 30


def search(
    api: AssetsApi,
    query: Optional[str],
    tags: Sequence[str],
    language: Optional[str],
    *,
    all_tags: bool = False,
) -> List[SearchedFields]:
    """Fuzzy search on ``query`` among the assets with any of ``tags`` (every one of them with
    ``all_tags``) in ``language``: the results, best first, with the fields the command line
    shows (``records``).

    Tags alone, any of them, are the fuzzy search's ``searchable_tags``; a language or every tag
    makes it a filtered search (``assets_search_with_filters``), where a filter's tags must all
    be there, and several filters joined by OR give any of them.
    """
    if language is None and not all_tags:
        response = api.assets_search_assets_with_http_info(
            query=query, searchable_tags=",".join(tags) if tags else None, transferables=False,
            _preload_content=False,
        )
        return searched_fields(raw_bytes(response.raw_data))
    filters: List[Dict[str, Any]] = []
    if language is not None:
        filters.append({"classification": language})
    if tags and all_tags:
        filters.append({"tags": list(tags)})
    elif tags:
        filters.append({"operations": {"iterable": [{"tags": [tag]} for tag in tags], "type": "OR"}})
    body = AssetsSearchWithFiltersInput.from_dict({"query": query, "filters": {"iterable": filters, "type": "AND"}})
    filtered = api.assets_search_with_filters_with_http_info(
        transferables=False, assets_search_with_filters_input=body, _preload_content=False
    )
    return searched_fields(raw_bytes(filtered.raw_data), filtered=True)


def _result_row(result: SearchedFields) -> List[str]:
    asset = result.get("asset")
    columns = records.row(asset)[:-1] if asset is not None else ["", "", "", ""]
    return [f"{result.get('score', 0):.3g}"] + columns + [result.get("identifier", "")]


def results_table(results: Sequence[SearchedFields], indent: str = "") -> str:
    fixed = (0,) + tuple(index + 1 for index in ASSET_FIXED_COLUMNS)
    ids = tuple(index + 1 for index in ASSET_ID_COLUMNS)
    rows = [_result_row(result) for result in results]
    return text_table(["SCORE"] + ASSET_HEADER, rows, indent=indent, fit=terminal_columns(), fixed=fixed, ids=ids)


def _result_record(result: SearchedFields) -> Dict[str, Any]:
    asset = result.get("asset")
    record: Dict[str, Any] = records.record(asset) if asset is not None else {}
    record.update(
        id=result.get("identifier"), score=result.get("score"), exact=result.get("exact"), match=result.get("match")
    )
    return record


def command_search(args: argparse.Namespace, api: AssetsApi) -> int:
    tags = split_tags(args.tags)
    language = resolve_language(args.language) if args.language is not None else None
    if not args.query and not tags and language is None:
        raise CliError("search needs a QUERY, --tags or --language", EXIT_USAGE)
    if args.all_tags and not tags:
        raise CliError("--all-tags needs --tags", EXIT_USAGE)
    results = search(api, args.query or None, tags, language, all_tags=args.all_tags)
    shown = results[: args.limit] if args.limit else results
    if args.json:
        print_json([_result_record(result) for result in shown])
    elif shown:
        out(results_table(shown))
    else:
        err("no matches")
    say_how_many_more(len(results) - len(shown), "match")
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
    sub.add_argument(
        "--limit", type=limit, default=SEARCH_LIMIT, metavar="N",
        help=f"show the best N matches (default: {SEARCH_LIMIT}; 0 for every one); how many more there are goes to stderr",
    )
