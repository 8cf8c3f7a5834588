"""The ``routerlab`` command line.

Each sub-command lives in its own module of this package and exposes ``add_parser(subparsers)``
(which sets ``func`` to a ``run(args) -> int`` function). User errors print one line and exit 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from .. import __version__
from ..errors import RouterlabError

#: Sub-command modules, in the order ``--help`` lists them. Missing modules are skipped.
COMMANDS = ("call", "demo", "outcomes", "record", "eval", "route", "policy", "serve")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="routerlab",
        description="Build, compare and tune LLM routers; export the policy as JSON.",
    )
    parser.add_argument("--version", action="version", version=f"routerlab {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        try:
            mod = importlib.import_module(f"{__name__}.{name}_cmd")
        except ModuleNotFoundError as exc:
            if exc.name == f"{__name__}.{name}_cmd":
                continue
            raise
        mod.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        return int(args.func(args) or 0)
    except RouterlabError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(
            "interrupted: finished calls are cached; run the same command again to resume",
            file=sys.stderr,
        )
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
