"""``routerlab serve POLICY``: an OpenAI-compatible endpoint routing each request by the policy.

Point any OpenAI client at ``http://HOST:PORT/v1`` and ask for model ``router`` (or a model id to
bypass the router; rules still apply). See :mod:`routerlab.policy.serve`.
"""

from __future__ import annotations

import argparse
import sys


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "serve",
        help="serve a policy as an OpenAI-compatible endpoint",
        description="Route each /v1/chat/completions request by the policy and forward it.",
    )
    p.add_argument("policy", help="the policy JSON file")
    p.add_argument("--host", default="127.0.0.1", help="interface to listen on (127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (8000; 0 = any free port)")
    p.add_argument("--log", default=None, metavar="PATH", help="append a JSONL decision log here")
    p.add_argument(
        "--log-prompts", action="store_true", help="include the routed text in the decision log"
    )
    p.add_argument("--timeout", type=float, default=120.0, help="seconds per backend call (120)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..policy import load
    from ..policy.serve import PolicyServer

    policy = load(args.policy)
    policy.check_env()  # a missing env var is a one-line error (exit 2) before listening
    server = PolicyServer(
        policy,
        args.host,
        args.port,
        log_path=args.log,
        log_prompts=args.log_prompts,
        timeout=args.timeout,
    )
    try:
        server.check_backends()
        server.warm_up()
    except BaseException:
        server.stop()
        raise
    alias = f", {server.alias}" if server.alias else ""
    print(
        f"routerlab serve: {policy.name} ({policy.kind}) on {server.url} "
        f"- models: router{alias}, {', '.join(policy.models)}",
        flush=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("routerlab serve: stopped", file=sys.stderr)
    finally:
        server.stop()
    return 0
