"""The options every command that reads an outcome table shares: ``--format``, ``--exclude`` and
``--rescale``, and loading the table they describe."""

from __future__ import annotations

import argparse


def add_table_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--format",
        default="auto",
        help="outcome table format: auto (default), routellm, long, mtbench, routerbench or bundled",
    )
    p.add_argument(
        "--exclude",
        metavar="PATH",
        help="JSONL of prompts to drop (field eval_prompt), e.g. contaminated_prompts.jsonl",
    )
    p.add_argument(
        "--rescale",
        nargs=2,
        type=float,
        metavar=("LOW", "HIGH"),
        help="map graded scores LOW..HIGH to 0..1 (e.g. 1 10 for judge scores)",
    )


def load_table(args: argparse.Namespace, source: str):
    """The outcome table named by ``source`` (a file, a folder or a bundled name) with the options."""
    from ..loaders import load_outcomes

    rescale = tuple(args.rescale) if args.rescale else None
    return load_outcomes(source, format=args.format, exclude=args.exclude, rescale=rescale)
