"""``routerlab call SPEC PROMPT``: one cached model call from the shell.

Prints the answer; with ``--json`` the last line is a JSON object with ``text, tokens_in,
tokens_out, latency_s, cost_usd, cached, model, confidence`` (and ``finish_reason``).
"""

from __future__ import annotations

import argparse
import json
import sys

from ..errors import RouterlabError


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "call",
        help="call one model once (cached)",
        description="Call one model on one prompt through the call cache.",
    )
    p.add_argument(
        "spec", help="gguf:smollm2-135m, openai:MODEL[@URL], replay:PATH#MODEL or an alias"
    )
    p.add_argument("prompt", help="the prompt ('-' reads it from stdin)")
    p.add_argument("--json", action="store_true", help="print a JSON object as the last line")
    # Numbers are read as text and checked by the backend so a typo is a one-line error.
    p.add_argument("--max-tokens", metavar="N", default=None, help="most tokens to generate (256)")
    p.add_argument("--temperature", metavar="T", default=None, help="sampling temperature (0)")
    p.add_argument(
        "--seed", metavar="N", default=None, help="sampling seed (makes T > 0 cacheable)"
    )
    p.add_argument(
        "--logprobs", action="store_true", help="compute confidence (mean token logprob)"
    )
    p.add_argument("--system", metavar="S", default=None, help="a system message")
    p.add_argument("--no-cache", action="store_true", help="call the model even if cached")
    p.add_argument("--namespace", default="default", help="cache namespace (default: default)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..cache import default_cache
    from ..models import get_backend, validate_params

    prompt = sys.stdin.read() if args.prompt == "-" else args.prompt
    if not prompt.strip():
        raise RouterlabError("the prompt is empty")
    params = {
        "max_tokens": args.max_tokens,
        "temperature": args.temperature,
        "seed": args.seed,
        "logprobs": True if args.logprobs else None,
        "system": args.system,
    }
    params = {k: v for k, v in params.items() if v is not None}
    params = {k: v for k, v in validate_params(params).items()}  # one-line errors, typed values
    backend = get_backend(args.spec)
    if args.no_cache:
        completion = backend.complete(prompt, **params)
    else:
        completion = default_cache(args.namespace).complete(backend, prompt, **params)
    if args.json:
        out = {
            "text": completion.text,
            "tokens_in": completion.tokens_in,
            "tokens_out": completion.tokens_out,
            "latency_s": completion.latency_s,
            "cost_usd": completion.cost_usd,
            "cached": completion.cached,
            "model": completion.model,
            "confidence": completion.confidence,
            "finish_reason": completion.finish_reason,
        }
        print(json.dumps(out, ensure_ascii=False))
    else:
        print(completion.text)
        note = "cached" if completion.cached else f"{completion.latency_s:.2f} s"
        print(
            f"[{completion.model}: {completion.tokens_in} in / {completion.tokens_out} out tokens, "
            f"${completion.cost_usd:.6f}, {note}]",
            file=sys.stderr,
        )
    return 0
