"""``routerlab policy check|eval|export``: validate a policy, watch it for drift, or export one.

- ``check POLICY``: schema, router state, env vars of every model (exit 2 naming the field).
- ``eval POLICY OUTCOMES``: the realised operating point on an outcome table next to the expected
  one. Exit code 1 is the drift alarm: the realised escalation share or quality lies outside the
  exported interval (by default also beyond the realised table's own sampling noise, i.e. the
  expected value lies outside the realised interval too; ``--strict`` alarms on the first alone).
- ``export OUTCOMES --router KIND --out policy.json``: fit on a training split, measure the expected
  operating point on the held-out split, write the policy.
"""

from __future__ import annotations

import argparse
import json
import sys

from ..errors import RouterlabError
from .table_options import add_table_options, load_table


def __getattr__(name: str):
    # drift_alarms moved to routerlab.policy; kept importable from here without importing numpy
    # when the CLI starts
    if name == "drift_alarms":
        from ..policy.export import drift_alarms

        return drift_alarms
    raise AttributeError(name)


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "policy",
        help="check, evaluate (drift alarm) or export a routing policy",
        description="Check a policy file, compare it with new outcomes, or export one.",
    )
    sub = p.add_subparsers(dest="policy_command", metavar="ACTION")
    c = sub.add_parser("check", help="validate a policy file and its environment")
    c.add_argument("policy")
    c.add_argument("--json", action="store_true", help="print a JSON summary as the last line")
    c.add_argument("--no-env", action="store_true", help="do not require the models' env vars")
    c.set_defaults(func=run_check)

    e = sub.add_parser("eval", help="realised vs expected operating point (exit 1 on drift)")
    e.add_argument("policy")
    e.add_argument("outcomes", help="an outcome table (file, folder or bundled name)")
    e.add_argument("--json", action="store_true", help="print a JSON object as the last line")
    e.add_argument(
        "--strict",
        action="store_true",
        help="alarm when a realised value is outside the exported interval, even within its own noise",
    )
    e.add_argument("--n-boot", type=int, default=1000, help="bootstrap resamples (1000)")
    e.add_argument("--seed", type=int, default=0)
    add_table_options(e)
    e.set_defaults(func=run_eval)

    x = sub.add_parser("export", help="fit a router on an outcome table and export the policy")
    x.add_argument("outcomes", help="an outcome table (file, folder or bundled name)")
    x.add_argument("--router", required=True, help="router kind, e.g. knn, logistic, category")
    add_table_options(x)
    x.add_argument("--strong", default=None)
    x.add_argument("--weak", default=None)
    x.add_argument(
        "--param", action="append", default=[], metavar="K=V", help="router parameter (JSON value)"
    )
    x.add_argument(
        "--model",
        action="append",
        default=[],
        metavar="COLUMN=SPEC",
        help="map an outcome column to a spec or alias",
    )
    x.add_argument("--pii-rule", action="store_true", help="keep PII queries on edge models")
    x.add_argument("--threshold", type=float, default=None)
    x.add_argument(
        "--target-share",
        type=float,
        default=None,
        help="calibrate the threshold to this escalation share on the training split",
    )
    x.add_argument(
        "--test-size",
        type=float,
        default=0.3,
        help="held-out share for the expected operating point (0.3)",
    )
    x.add_argument("--seed", type=int, default=0)
    x.add_argument("--out", required=True, help="where to write the policy JSON")
    x.set_defaults(func=run_export)

    i = sub.add_parser("interop", help="write the policy for semantic-router, LiteLLM or RouteLLM")
    i.add_argument("policy")
    i.add_argument("--to", required=True, choices=["semantic-router", "litellm", "routellm"])
    i.add_argument("--out", default=None, help="write the config here (default: print it)")
    i.add_argument(
        "--outcomes", default=None, help="semantic-router: one route per category of this table"
    )
    i.add_argument("--encoder", default=None, help="semantic-router: encoder name or local folder")
    i.set_defaults(func=run_interop)
    p.set_defaults(func=lambda args: (p.print_help(), 0)[1])


# --------------------------------------------------------------------------------------------- check
def run_check(args: argparse.Namespace) -> int:
    from ..policy import load

    policy = load(args.policy)
    unbacked = [] if args.no_env else policy.check_env()
    if args.no_env:
        unbacked = [m["id"] for m in policy.doc["models"] if m["backend"] == "none"]
    enc = policy.doc["router"].get("encoder")
    enc_status = None
    if enc:
        enc_status = _check_encoder(policy, enc)
    exp = policy.expected
    summary = {
        "ok": True,
        "name": policy.name,
        "router": policy.kind,
        "models": [m["id"] for m in policy.doc["models"]],
        "threshold": policy.threshold,
        "fallback": policy.fallback,
        "rules": [r["type"] for r in policy.doc["rules"]],
        "unbacked_models": unbacked,
        "encoder": enc_status,
        "expected": {k: exp[k] for k in ("n", "escalation_share", "quality", "cost_per_1k")},
    }
    if args.json:
        print(json.dumps(summary))
        return 0
    print(f"{args.policy}: valid (schema v{policy.doc['schema_version']}), router {policy.kind}")
    for m in policy.doc["models"]:
        where = m.get("base_url") or (f"${m['base_url_env']}" if m.get("base_url_env") else "")
        print(f"  model {m['id']:<20} {m['backend']:<7} {m['model']} {where}".rstrip())
    for mid in unbacked:
        print(
            f"  warning: model {mid!r} has no backend (a scenario model): map it to an endpoint before serving"
        )
    print(f"  fallback {policy.fallback}; rules: {', '.join(summary['rules']) or 'none'}")
    _print_point("expected", exp)
    return 0


def _check_encoder(policy, enc: dict) -> str:
    try:
        from ..embeddings import DEFAULT_MODEL, encoder_info

        info = encoder_info(None if enc["name"] == DEFAULT_MODEL else enc["name"])
    except RouterlabError as exc:
        return f"not available here ({exc})"
    want = enc.get("weights_sha256")
    if want and info["sha256"] != want:
        raise RouterlabError(
            f"{policy.where}: router.encoder.weights_sha256 does not match the local "
            f"{enc['name']} ({info['sha256'][:12]}... vs {want[:12]}...): install the encoder the policy was fitted with"
        )
    return "matches"


def _fmt(est: dict, pct: bool, money: bool = False) -> str:
    v, (lo, hi) = est["value"], est["ci"]
    if v is None:
        return "n/a"
    if pct:
        return f"{v:.1%} [{lo:.1%}, {hi:.1%}]"
    if money:
        return f"${v:.4g} [{lo:.4g}, {hi:.4g}]"
    return f"{v:.4f} [{lo:.4f}, {hi:.4f}]"


def _print_point(label: str, p: dict) -> None:
    print(
        f"  {label:<9} n={p['n']:<6} escalation {_fmt(p['escalation_share'], True)}  "
        f"quality {_fmt(p['quality'], False)}  cost/1k {_fmt(p['cost_per_1k'], False, True)}"
    )


# --------------------------------------------------------------------------------------------- eval
def run_eval(args: argparse.Namespace) -> int:
    from ..policy import load
    from ..policy.export import drift_alarms, operating_point

    policy = load(args.policy)
    outcomes = load_table(args, args.outcomes)
    realised = operating_point(policy, outcomes, n_boot=args.n_boot, seed=args.seed)
    expected = policy.expected
    alarms = drift_alarms(expected, realised, strict=args.strict)
    out = {
        "policy": policy.name,
        "outcomes": str(args.outcomes),
        "expected": expected,
        "realised": realised,
        "alarms": alarms,
        "drift": bool(alarms),
    }
    if args.json:
        print(json.dumps(out))
    else:
        print(f"{policy.name} on {args.outcomes}:")
        _print_point("expected", expected)
        _print_point("realised", realised)
        for m in alarms:
            print(
                f"  DRIFT: realised {m.replace('_', ' ')} is outside the exported interval",
                file=sys.stderr,
            )
        if not alarms:
            print("  no drift: realised escalation share and quality within the exported intervals")
    return 1 if alarms else 0


# --------------------------------------------------------------------------------------------- export
def _kv(items: list[str], what: str) -> dict:
    out = {}
    for it in items:
        k, sep, v = it.partition("=")
        if not sep or not k:
            raise RouterlabError(f"{what} {it!r} must look like KEY=VALUE")
        out[k.strip()] = v.strip()
    return out


def run_export(args: argparse.Namespace) -> int:
    import numpy as np

    from ..policy import export_policy, save
    from ..routers import make_router

    params = {}
    for k, v in _kv(args.param, "--param").items():
        try:
            params[k] = json.loads(v)
        except json.JSONDecodeError:
            params[k] = v
    outcomes = load_table(args, args.outcomes)
    train, test = outcomes.train_test_split(args.test_size, seed=args.seed)
    for k in ("strong", "weak"):
        if getattr(args, k) is not None:
            params[k] = getattr(args, k)
    router = make_router(args.router, **params)
    router.fit(train)
    threshold = args.threshold
    if args.target_share is not None:
        if not 0 <= args.target_share <= 1:
            raise RouterlabError(f"--target-share must be in [0, 1], got {args.target_share}")
        if getattr(router, "multi_model", False):
            raise RouterlabError("--target-share applies to binary routers only")
        scores = np.asarray(router.score(train), dtype=float)
        threshold = (
            float(np.quantile(scores, 1 - args.target_share)) if args.target_share < 1 else 0.0
        )
    doc = export_policy(
        router,
        train,
        models=_kv(args.model, "--model"),
        rules=["pii"] if args.pii_rule else None,
        calibration=test,
        threshold=threshold,
        seed=args.seed,
    )
    path = save(doc, args.out)
    print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")
    _print_point("expected", doc["expected"])
    rows = largest_bank(router)
    if rows > BANK_NOTE_ROWS:
        print(
            f"note: the router scores every query against a bank of {rows:,} training queries "
            "(about 1 us per 20 rows): refit with --param max_bank=1000 for a faster, smaller "
            "policy (README: What a decision costs in production)",
            file=sys.stderr,
        )
    return 0


#: bank size above which ``policy export`` suggests ``max_bank``
BANK_NOTE_ROWS = 2000


def largest_bank(router) -> int:
    """Rows of the largest neighbour bank in ``router`` and the routers inside it (ensemble
    members, a quality-aware router's inner router)."""
    inner = [*(getattr(router, "members_", None) or []), getattr(router, "inner_", None)]
    bank = getattr(router, "bank_", None)
    return max([0 if bank is None else len(bank), *(largest_bank(r) for r in inner if r)])


# --------------------------------------------------------------------------------------------- interop
def run_interop(args: argparse.Namespace) -> int:
    from ..policy import interop, load

    policy = load(args.policy)
    if args.to == "routellm":
        alias = interop.routellm_alias(policy)
        if alias is None:
            raise RouterlabError(
                f"{policy.where}: a RouteLLM alias needs a binary router with a threshold; "
                f"this is {policy.kind} over {len(policy.router.models_)} models"
            )
        print(alias)
        return 0
    if args.to == "litellm":
        cfg = interop.litellm_config(policy)
    else:
        outcomes = None
        if args.outcomes:
            from ..loaders import load_outcomes

            outcomes = load_outcomes(args.outcomes)
        enc = {"type": "local", "name": args.encoder} if args.encoder else None
        cfg = interop.semantic_router_config(policy, outcomes=outcomes, encoder=enc)
    if args.out:
        print(f"wrote {interop.write(cfg, args.out)}")
    else:
        print(json.dumps(cfg, indent=2))
    return 0
