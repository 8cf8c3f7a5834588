"""``routerlab route POLICY TEXT``: where would the policy send this request?

Prints ``model  score  reason``; with ``--json`` the last line is ``{"model", "score", "reason",
"pii"}``. Needs only numpy (plus sentence-transformers when the router embeds the query).
"""

from __future__ import annotations

import argparse
import json
import sys

from ..errors import RouterlabError


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "route",
        help="route one request with a policy file",
        description="Route one prompt with an exported policy and print the decision.",
    )
    p.add_argument("policy", help="the policy JSON file")
    p.add_argument("text", help="the prompt ('-' reads it from stdin)")
    p.add_argument("--json", action="store_true", help="print a JSON object as the last line")
    pii = p.add_mutually_exclusive_group()
    pii.add_argument("--pii", action="store_true", help="the text contains PII (skip detection)")
    pii.add_argument("--no-pii", action="store_true", help="the text has no PII (skip detection)")
    p.add_argument("--category", default=None, help="the query's category, when known")
    p.add_argument(
        "--threshold",
        type=float,
        default=None,
        help="override the exported threshold (binary routers)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..policy import load

    text = sys.stdin.read() if args.text == "-" else args.text
    if not text.strip():
        raise RouterlabError("the text to route is empty")
    policy = load(args.policy)
    flag = True if args.pii else (False if args.no_pii else None)
    d = policy.route(text, contains_pii=flag, category=args.category, threshold=args.threshold)
    if args.json:
        print(json.dumps(d.to_dict()))
    else:
        score = "-" if d.score is None else f"{d.score:.4f}"
        print(f"{d.model}\t{score}\t{d.reason}")
    return 0
