"""The bundled ``support-desk`` sample workload, generated from templates with a fixed seed.

The traffic of a (fictional) software company's support desk, "Kestrel Cloud". About 70% are simple
lookups and reformatting, the rest classification, arithmetic word problems, contract-clause questions
(the high-stakes category) and short code-output questions:

===============  =====  =========================================================================
category         share  what
===============  =====  =========================================================================
lookup           22%    a fact from a small table quoted in the prompt (plans, warehouses, SKUs,
                        error codes, customer accounts)
reformat         25%    CSV -> JSON, date formats, letter case, unit conversion
extract          23%    a field (or several, as JSON) from a short customer email
classify          8%    sentiment (one word) and intent (a multiple-choice letter)
arithmetic        8%    word problems of 1-4 steps about seats, fees, discounts and refunds
contract          8%    notice period, renewal, governing law, notice deadline (stakes 5)
code              6%    the output of a tiny Python snippet (computed by running it here)
===============  =====  =========================================================================

About 15% of the queries carry synthetic PII (names, ``example.com`` e-mails, ``555-01xx`` phone
numbers, account ids) and have ``contains_pii=True``. Every query has a programmatic reference and
grader; difficulty is 1 (one direct step) to 3 (several steps, distractors, filtering).

All facts, names and texts are invented here; nothing is copied from a benchmark. The output depends
only on the seed: the same seed gives the same bytes (only the standard library is used, and every
random choice comes from one ``random.Random(seed)``).

Write the file with::

    python -m routerlab.workloads.support_desk --out datasets/support-desk/workload.jsonl
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import json
import random
from collections.abc import Callable

from .workload import Query, Workload

NAME = "support-desk"
DEFAULT_N = 600
DEFAULT_SEED = 0

#: Share of each category (sums to 1).
SHARES = {
    "lookup": 0.22,
    "reformat": 0.25,
    "extract": 0.23,
    "classify": 0.08,
    "arithmetic": 0.08,
    "contract": 0.08,
    "code": 0.06,
}
#: Share of all queries that carry PII, by the category they fall in (sums to 0.15).
PII_SHARES = {"extract": 0.11, "lookup": 0.02, "classify": 0.02}
#: Stakes weight per category (a wrong contract answer costs five times a wrong lookup).
STAKES = {"contract": 5.0, "arithmetic": 2.0}

# --------------------------------------------------------------------------- invented facts
PLANS = [
    # name, $/month, $/year, seats included, storage GB, support response hours
    ("Starter", 12, 120, 1, 20, 48),
    ("Team", 39, 390, 5, 200, 24),
    ("Business", 89, 890, 20, 1000, 8),
    ("Scale", 179, 1790, 50, 5000, 4),
    ("Enterprise", 349, 3490, 200, 20000, 1),
]
WAREHOUSES = [
    # city, region served, standard shipping days, order cut-off time
    ("Lisbon", "Iberia", 3, "14:00"),
    ("Rotterdam", "Benelux", 2, "16:00"),
    ("Leipzig", "Central Europe", 2, "15:30"),
    ("Gdansk", "Baltics", 4, "13:00"),
    ("Lyon", "France", 3, "15:00"),
    ("Turin", "Italy", 4, "12:30"),
    ("Malmo", "Nordics", 3, "14:30"),
    ("Leeds", "United Kingdom", 2, "17:00"),
]
PRODUCTS = [
    # sku, name, colour, weight kg, price $, units in stock
    ("KS-101", "desk lamp", "black", 1.2, 34.0, 140),
    ("KS-102", "desk lamp", "white", 1.2, 34.0, 0),
    ("KS-215", "monitor arm", "silver", 3.4, 79.5, 62),
    ("KS-230", "laptop stand", "grey", 1.8, 45.0, 210),
    ("KS-304", "usb hub", "black", 0.2, 22.9, 500),
    ("KS-311", "webcam", "black", 0.3, 59.0, 75),
    ("KS-420", "headset", "blue", 0.4, 89.0, 33),
    ("KS-512", "footrest", "grey", 2.6, 39.0, 18),
    ("KS-618", "cable tray", "white", 0.9, 17.5, 420),
    ("KS-707", "keyboard", "black", 0.8, 69.0, 91),
    ("KS-733", "mouse", "white", 0.1, 29.0, 260),
    ("KS-845", "desk mat", "green", 0.5, 24.0, 150),
]
ERRORS = [
    # code, meaning, first action
    ("E-104", "invalid API token", "create a new token"),
    ("E-212", "storage quota exceeded", "delete old files or upgrade the plan"),
    ("E-230", "upload too large", "split the file"),
    ("E-318", "sync conflict", "keep the newer copy"),
    ("E-402", "payment declined", "update the card"),
    ("E-455", "seat limit reached", "remove an inactive user"),
    ("E-509", "region unavailable", "retry in five minutes"),
    ("E-611", "export timed out", "export a smaller date range"),
]
FIRST = [
    "Amara",
    "Bruno",
    "Chiara",
    "Dmitri",
    "Elif",
    "Farid",
    "Greta",
    "Hiro",
    "Ines",
    "Jonas",
    "Kavya",
    "Lena",
    "Mateo",
    "Nadia",
    "Oskar",
    "Priya",
    "Quentin",
    "Rosa",
    "Sven",
    "Tamsin",
    "Ugo",
    "Vera",
    "Wim",
    "Ximena",
    "Yusuf",
    "Zofia",
]
LAST = [
    "Abernathy",
    "Brandt",
    "Castellano",
    "Dufresne",
    "Eklund",
    "Fontaine",
    "Gallagher",
    "Haddad",
    "Iversen",
    "Jablonski",
    "Kowalczyk",
    "Lindqvist",
    "Moreau",
    "Novak",
    "Okafor",
    "Petrov",
    "Quist",
    "Rinaldi",
    "Sandoval",
    "Takahashi",
    "Varga",
    "Whitlock",
    "Yilmaz",
    "Zeller",
]
DOMAINS = ["example.com", "example.org", "example.net"]
JURISDICTIONS = [
    "Ireland",
    "the Netherlands",
    "England and Wales",
    "the State of New York",
    "Ontario",
    "Singapore",
    "Germany",
    "the State of California",
    "Sweden",
    "Portugal",
]
MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
PHRASES = [
    "quarterly billing report",
    "shared team inbox",
    "customer onboarding checklist",
    "invoice export settings",
    "password reset link",
    "storage usage alert",
    "weekly sync summary",
    "seat license renewal",
    "regional backup policy",
    "mobile upload queue",
    "audit log viewer",
    "default time zone",
]
SENTIMENT = {
    "positive": [
        "The new dashboard is fantastic and saved my team hours this week.",
        "Support fixed my problem in minutes, thank you so much!",
        "I love how fast the sync is now, great work.",
        "Setup was painless and the docs were clear. Very happy.",
        "Your agent was friendly and solved everything on the first call.",
        "Brilliant update, the exports finally work perfectly.",
    ],
    "negative": [
        "This is the third time the upload failed and nobody has replied.",
        "I am very disappointed, the invoice is wrong again.",
        "The app keeps crashing and I lost an hour of work.",
        "Terrible experience, I waited two days for a useless answer.",
        "Your price increase is outrageous and I am thinking of leaving.",
        "The sync deleted my files. I am furious.",
    ],
    "neutral": [
        "Please send me a copy of last month's invoice.",
        "I would like to know which plan includes audit logs.",
        "Can you tell me when the maintenance window starts?",
        "We are moving offices next month and need to update the address.",
        "What is the file size limit for uploads?",
        "I changed my billing email yesterday, just letting you know.",
    ],
}
INTENTS = [
    (
        "refund",
        "I was charged twice for the same month and want my money back.",
        "Please return the payment for the order I cancelled within the trial.",
    ),
    (
        "cancel subscription",
        "Please close my account at the end of this billing period.",
        "We no longer need the service, stop the plan before it renews.",
    ),
    (
        "shipping status",
        "Where is my parcel? The tracking page has not changed in days.",
        "My order left the warehouse on Monday; when will it arrive?",
    ),
    (
        "password reset",
        "I cannot log in because I forgot my password.",
        "The sign-in link expired and I am locked out of my account.",
    ),
    (
        "bug report",
        "When I click export the page freezes and shows a blank screen.",
        "The mobile app crashes every time I open the calendar view.",
    ),
    (
        "upgrade plan",
        "We hired ten people and need more seats than our plan allows.",
        "How do we move to a tier with more storage and faster support?",
    ),
]


def _letters(n: int) -> str:
    return "ABCDEFGH"[:n]


class _Gen:
    """All generators share one random.Random so that the seed fixes every byte."""

    def __init__(self, seed: int):
        self.r = random.Random(seed)

    # ------------------------------------------------------------------ helpers
    def person(self) -> dict:
        r = self.r
        first, last = r.choice(FIRST), r.choice(LAST)
        return {
            "name": f"{first} {last}",
            "email": f"{first.lower()}.{last.lower()}@{r.choice(DOMAINS)}",
            "phone": f"+1-555-01{r.randint(0, 99):02d}",
            "account": f"AC-{r.randint(100000, 999999)}",
        }

    def date(self, start: int = 2024, end: int = 2026) -> dt.date:
        d0 = dt.date(start, 1, 1).toordinal()
        d1 = dt.date(end, 12, 31).toordinal()
        return dt.date.fromordinal(self.r.randint(d0, d1))

    def order_id(self) -> str:
        return f"ORD-{self.r.randint(10000, 99999)}"

    def sample(self, seq, k):
        return self.r.sample(list(seq), k)

    # ------------------------------------------------------------------ lookup
    def lookup(self, pii: bool) -> dict:
        r = self.r
        if pii:
            return self._lookup_account()
        kind = r.choice(["plan", "plan", "warehouse", "product", "product", "error"])
        return getattr(self, f"_lookup_{kind}")()

    def _lookup_plan(self) -> dict:
        r = self.r
        attrs = [
            ("monthly price in dollars", 1),
            ("annual price in dollars", 2),
            ("number of included seats", 3),
            ("storage in GB", 4),
            ("support response time in hours", 5),
        ]
        difficulty = r.choice([1, 1, 2, 3])
        rows = PLANS if difficulty > 1 else self.sample(PLANS, 3)
        table = "plan | $/month | $/year | seats | storage GB | support hours\n" + "\n".join(
            f"{p[0]} | {p[1]} | {p[2]} | {p[3]} | {p[4]} | {p[5]}" for p in rows
        )
        if difficulty == 3:
            need = r.choice([10, 30, 100, 150])
            best = min((p for p in PLANS if p[3] >= need), key=lambda p: p[1])
            q = f"Which is the cheapest plan that includes at least {need} seats? Answer with the plan name only."
            return self._q(
                "lookup",
                3,
                f"Kestrel Cloud plans:\n{table}\n\n{q}",
                best[0],
                {"kind": "normalized", "anywhere": True},
                "plan-filter",
            )
        plan = r.choice(rows)
        label, col = r.choice(attrs)
        q = f"What is the {label} of the {plan[0]} plan? Answer with the number only."
        return self._q(
            "lookup",
            difficulty,
            f"Kestrel Cloud plans:\n{table}\n\n{q}",
            str(plan[col]),
            {"kind": "numeric", "pick": "first"},
            "plan-attr",
        )

    def _lookup_warehouse(self) -> dict:
        r = self.r
        difficulty = r.choice([1, 2])
        rows = self.sample(WAREHOUSES, 3 if difficulty == 1 else 6)
        w = r.choice(rows)
        table = "warehouse | region | shipping days | order cut-off\n" + "\n".join(
            f"{x[0]} | {x[1]} | {x[2]} | {x[3]}" for x in rows
        )
        kind = r.choice(["city", "days", "cutoff"])
        if kind == "city":
            q, ref, g = (
                f"Which warehouse ships orders to {w[1]}? Answer with the city only.",
                w[0],
                {"kind": "normalized", "anywhere": True},
            )
        elif kind == "days":
            q, ref, g = (
                f"How many days does standard shipping take from {w[0]}? Answer with the number only.",
                str(w[2]),
                {"kind": "numeric", "pick": "first"},
            )
        else:
            q, ref, g = (
                f"What is the order cut-off time at the {w[0]} warehouse? Answer as HH:MM.",
                w[3],
                {"kind": "contains"},
            )
        return self._q(
            "lookup", difficulty, f"Warehouses:\n{table}\n\n{q}", ref, g, f"warehouse-{kind}"
        )

    def _lookup_product(self) -> dict:
        r = self.r
        difficulty = r.choice([1, 2, 2, 3])
        rows = self.sample(PRODUCTS, 4 if difficulty == 1 else 8)
        table = "sku | product | colour | weight kg | price $ | in stock\n" + "\n".join(
            f"{p[0]} | {p[1]} | {p[2]} | {p[3]} | {p[4]:.2f} | {p[5]}" for p in rows
        )
        if difficulty == 3:
            cands = [p for p in rows if p[5] > 0]
            heaviest = max(cands, key=lambda p: (p[3], p[0]))
            if sum(1 for p in cands if p[3] == heaviest[3]) > 1:
                difficulty = 2
            else:
                q = "Which SKU is the heaviest product that is in stock? Answer with the SKU only."
                return self._q(
                    "lookup",
                    3,
                    f"Catalogue:\n{table}\n\n{q}",
                    heaviest[0],
                    {"kind": "normalized", "anywhere": True},
                    "product-filter",
                )
        p = r.choice(rows)
        kind = r.choice(["price", "stock", "sku"])
        if kind == "price":
            q, ref, g = (
                f"What is the price of SKU {p[0]} in dollars? Answer with the number only.",
                f"{p[4]:.2f}",
                {"kind": "numeric", "pick": "first", "tol": 0.005},
            )
        elif kind == "stock":
            q, ref, g = (
                f"How many units of SKU {p[0]} are in stock? Answer with the number only.",
                str(p[5]),
                {"kind": "numeric", "pick": "first"},
            )
        else:
            same = [x for x in rows if x[1] == p[1] and x[2] == p[2]]
            if len(same) > 1:  # pragma: no cover - the table has unique (product, colour)
                kind = "price"
            q, ref, g = (
                f"What is the SKU of the {p[2]} {p[1]}? Answer with the SKU only.",
                p[0],
                {"kind": "normalized", "anywhere": True},
            )
        return self._q(
            "lookup", difficulty, f"Catalogue:\n{table}\n\n{q}", ref, g, f"product-{kind}"
        )

    def _lookup_error(self) -> dict:
        r = self.r
        rows = self.sample(ERRORS, 4)
        e = r.choice(rows)
        table = "\n".join(f"{x[0]}: {x[1]}. First step: {x[2]}." for x in rows)
        if r.random() < 0.5:
            q, ref, g, d = (
                f"A customer sees error {e[0]}. What does it mean? Answer with the meaning only.",
                e[1],
                {"kind": "contains"},
                1,
            )
        else:
            q, ref, g, d = (
                f"Which error code means '{e[1]}'? Answer with the code only.",
                e[0],
                {"kind": "normalized", "anywhere": True},
                1,
            )
        return self._q("lookup", d, f"Error codes:\n{table}\n\n{q}", ref, g, "error-code")

    def _lookup_account(self) -> dict:
        r = self.r
        people = [self.person() for _ in range(3)]
        rows = [(p, r.choice(PLANS)[0], self.date(2023, 2025)) for p in people]
        table = "account | name | email | plan | customer since\n" + "\n".join(
            f"{p['account']} | {p['name']} | {p['email']} | {plan} | {d.isoformat()}"
            for p, plan, d in rows
        )
        p, plan, d = r.choice(rows)
        if r.random() < 0.5:
            q, ref, g = (
                f"Which plan is account {p['account']} on? Answer with the plan name only.",
                plan,
                {"kind": "normalized", "anywhere": True},
            )
        else:
            q, ref, g = (
                f"What is the email address of {p['name']}? Answer with the email only.",
                p["email"],
                {"kind": "normalized", "anywhere": True},
            )
        return self._q(
            "lookup", 1, f"Customer accounts:\n{table}\n\n{q}", ref, g, "account", pii=True
        )

    # ------------------------------------------------------------------ reformat
    def reformat(self, pii: bool) -> dict:
        kind = self.r.choice(["csv", "csv", "date", "date", "case", "units", "units"])
        return getattr(self, f"_reformat_{kind}")()

    def _reformat_csv(self) -> dict:
        r = self.r
        difficulty = r.choice([1, 2, 3])
        p = r.choice(PRODUCTS)
        qty = r.randint(1, 12)
        oid = self.order_id()
        cols = [("sku", p[0]), ("qty", qty), ("price", p[4])]
        if difficulty >= 2:
            cols = [("order_id", oid)] + cols + [("colour", p[2])]
        header = ",".join(c for c, _ in cols)

        def cell(v):
            return f"{v:.2f}" if isinstance(v, float) else str(v)

        row = ",".join(cell(v) for _, v in cols)
        ref = {c: v for c, v in cols}
        if difficulty == 3:
            other = [
                ",".join(cell(v) for v in (self.order_id(), x[0], r.randint(1, 12), x[4], x[2]))
                for x in self.sample(PRODUCTS, 2)
            ]
            lines = [row] + other
            r.shuffle(lines)
            csv = header + "\n" + "\n".join(lines)
            q = (
                f"Convert the row for order {oid} in this CSV to one JSON object, using the header names "
                "as keys and numbers as numbers. Reply with the JSON only."
            )
        else:
            csv = header + "\n" + row
            q = "Convert this CSV record to one JSON object, using the header names as keys and numbers as numbers. Reply with the JSON only."
        return self._q(
            "reformat",
            difficulty,
            f"{q}\n\n{csv}",
            json.dumps(ref),
            {"kind": "json_fields", "fields": [c for c, _ in cols], "tol": 0.005},
            "csv-json",
        )

    def _reformat_date(self) -> dict:
        r = self.r
        d = self.date()
        month = MONTHS[d.month - 1]
        forms = [
            (f"{d.day} {month} {d.year}", 1),
            (f"{month} {d.day}, {d.year}", 1),
            (f"{d.year}.{d.month:02d}.{d.day:02d}", 1),
            (f"{d.month:02d}/{d.day:02d}/{d.year} (US month/day/year)", 2),
            (f"{d.day:02d}/{d.month:02d}/{d.year} (day/month/year)", 2),
        ]
        src, difficulty = r.choice(forms)
        target = r.choice(["iso", "iso", "long"])
        if target == "iso":
            q = f"Rewrite the date {src} in ISO format YYYY-MM-DD. Reply with the date only."
            ref = d.isoformat()
        else:
            if src.startswith(month):
                src, difficulty = forms[0]
            q = f"Rewrite the date {src} as 'Month D, YYYY' (for example March 7, 2025). Reply with the date only."
            ref = f"{month} {d.day}, {d.year}"
        return self._q("reformat", difficulty, q, ref, {"kind": "normalized"}, f"date-{target}")

    def _reformat_case(self) -> dict:
        r = self.r
        phrase = r.choice(PHRASES)
        kind = r.choice(["upper", "lower", "title", "snake", "camel"])
        words = phrase.split()
        src = phrase
        if kind == "upper":
            ref, how, d = phrase.upper(), "UPPER CASE", 1
        elif kind == "lower":
            src = phrase.title()
            ref, how, d = phrase.lower(), "lower case", 1
        elif kind == "title":
            ref, how, d = (
                " ".join(w.capitalize() for w in words),
                "Title Case (capitalise every word)",
                1,
            )
        elif kind == "snake":
            ref, how, d = "_".join(words), "snake_case", 2
        else:
            ref, how, d = words[0] + "".join(w.capitalize() for w in words[1:]), "camelCase", 2
        q = f"Convert the text '{src}' to {how}. Reply with the converted text only."
        return self._q("reformat", d, q, ref, {"kind": "exact", "loose": True}, f"case-{kind}")

    def _reformat_units(self) -> dict:
        r = self.r
        kind = r.choice(["kg-lb", "km-mi", "c-f", "cm-in", "gb-mb"])
        if kind == "kg-lb":
            x = round(r.uniform(0.5, 40), 1)
            q, ref = (
                f"Convert {x} kg to pounds (1 kg = 2.20462 lb), rounded to one decimal.",
                round(x * 2.20462, 1),
            )
        elif kind == "km-mi":
            x = r.randint(2, 900)
            q, ref = (
                f"Convert {x} km to miles (1 mile = 1.609344 km), rounded to one decimal.",
                round(x / 1.609344, 1),
            )
        elif kind == "c-f":
            x = r.randint(-20, 45)
            q, ref = (
                f"Convert {x} degrees Celsius to Fahrenheit, rounded to one decimal.",
                round(x * 9 / 5 + 32, 1),
            )
        elif kind == "cm-in":
            x = r.randint(5, 300)
            q, ref = (
                f"Convert {x} cm to inches (1 inch = 2.54 cm), rounded to one decimal.",
                round(x / 2.54, 1),
            )
        else:
            x = round(r.uniform(0.5, 64), 2)
            q, ref = f"Convert {x} GB to MB using 1 GB = 1000 MB.", round(x * 1000, 1)
        q += " Reply with the number only."
        ref_s = f"{ref:.1f}".rstrip("0").rstrip(".") if kind == "gb-mb" else f"{ref:.1f}"
        return self._q(
            "reformat",
            2,
            q,
            ref_s,
            {"kind": "numeric", "tol": 0.051, "pick": "first"},
            f"units-{kind}",
        )

    # ------------------------------------------------------------------ extract
    def extract(self, pii: bool) -> dict:
        r = self.r
        oid = self.order_id()
        p = r.choice(PRODUCTS)
        d = self.date(2025, 2026)
        issue = r.choice(
            [
                "arrived damaged",
                "is missing a part",
                "was the wrong colour",
                "has not arrived yet",
                "was charged twice",
            ]
        )
        body = (
            f"Hello, my order {oid} for the {p[2]} {p[1]} ({p[0]}) {issue}. "
            f"It was placed on {MONTHS[d.month - 1]} {d.day}, {d.year}. "
        )
        body += r.choice(
            ["Could you help?", "Please advise.", "What are my options?", "Thanks in advance."]
        )
        if pii:
            who = self.person()
            sign = r.choice(
                [
                    f"\n\nBest regards,\n{who['name']}\n{who['email']} | {who['phone']}",
                    f"\n\n{who['name']} (account {who['account']})\nPhone: {who['phone']}",
                    f"\n\nThanks,\n{who['name']}\nReach me at {who['email']} or {who['phone']}.",
                ]
            )
            email = f"From: {who['email']}\nSubject: Order {oid}\n\n{body}{sign}"
            kind = r.choice(["name", "email", "phone", "order", "json", "json"])
        else:
            who = None
            email = f"From: web form\nSubject: Order {oid}\n\n{body}\n\n(sent from the help centre form)"
            kind = r.choice(["order", "order", "sku", "date", "json-order"])
        if kind == "name":
            q, ref, g, diff = (
                "What is the full name of the customer who wrote this email? Reply with the name only.",
                who["name"],
                {"kind": "normalized", "anywhere": True},
                1,
            )
        elif kind == "email":
            ref = who["email"]
            q, g, diff = (
                "What is the customer's email address? Reply with the address only.",
                {"kind": "normalized", "anywhere": True},
                1,
            )
        elif kind == "phone":
            q, ref, g, diff = (
                "What is the customer's phone number? Reply with the number only.",
                who["phone"],
                {"kind": "contains"},
                2,
            )
        elif kind == "order":
            q, ref, g, diff = (
                "What is the order number in this email? Reply with the order number only.",
                oid,
                {"kind": "normalized", "anywhere": True},
                1,
            )
        elif kind == "sku":
            q, ref, g, diff = (
                "Which product SKU is this email about? Reply with the SKU only.",
                p[0],
                {"kind": "normalized", "anywhere": True},
                1,
            )
        elif kind == "date":
            q, ref, g, diff = (
                "On what date was the order placed? Reply in ISO format YYYY-MM-DD.",
                d.isoformat(),
                {"kind": "contains"},
                2,
            )
        elif kind == "json":
            ref = json.dumps({"name": who["name"], "phone": who["phone"], "order_id": oid})
            q, g, diff = (
                "Extract the customer's name, phone number and order number as a JSON object with keys "
                "name, phone and order_id. Reply with the JSON only.",
                {"kind": "json_fields", "fields": ["name", "phone", "order_id"]},
                3,
            )
        else:
            ref = json.dumps({"order_id": oid, "sku": p[0], "order_date": d.isoformat()})
            q, g, diff = (
                "Extract the order number, the SKU and the order date (YYYY-MM-DD) as a JSON object with "
                "keys order_id, sku and order_date. Reply with the JSON only.",
                {"kind": "json_fields", "fields": ["order_id", "sku", "order_date"]},
                3,
            )
        return self._q(
            "extract", diff, f"{q}\n\n---\n{email}\n---", ref, g, f"email-{kind}", pii=pii
        )

    # ------------------------------------------------------------------ classify
    def classify(self, pii: bool) -> dict:
        r = self.r
        sign = ""
        if pii:
            who = self.person()
            sign = f"\n-- {who['name']}, {who['email']}"
        if r.random() < 0.5:
            label = r.choice(sorted(SENTIMENT))
            text = r.choice(SENTIMENT[label])
            q = (
                "Classify the sentiment of this customer message as positive, negative or neutral. "
                f"Reply with one word.\n\nMessage: {text}{sign}"
            )
            return self._q(
                "classify",
                1 if label != "neutral" else 2,
                q,
                label,
                {"kind": "normalized", "anywhere": True},
                "sentiment",
                pii=pii,
            )
        options = self.sample(INTENTS, 4)
        target = r.choice(options)
        text = r.choice(target[1:])
        letters = _letters(len(options))
        menu = "\n".join(f"{c}) {o[0]}" for c, o in zip(letters, options, strict=True))
        ref = letters[options.index(target)]
        q = (
            f"What does the customer want? Choose one option and reply with its letter only.\n\n"
            f"Message: {text}{sign}\n\n{menu}"
        )
        return self._q(
            "classify", 2, q, ref, {"kind": "choice", "letters": letters}, "intent", pii=pii
        )

    # ------------------------------------------------------------------ arithmetic
    def arithmetic(self, pii: bool) -> dict:
        r = self.r
        steps = r.choice([1, 1, 2, 2, 3, 4])
        plan = r.choice(PLANS[:4])
        seats = r.randint(2, 15)
        fee = r.choice([10, 15, 25, 40])
        disc = r.choice([10, 15, 20, 25])
        months = r.choice([2, 3, 4, 6])
        total = plan[1] * seats
        text = f"A customer buys {seats} add-on seats for the {plan[0]} plan at ${plan[1]} per seat per month."
        if steps >= 2:
            text += f" There is a one-time setup fee of ${fee}."
            total += fee
        if steps >= 3:
            text += f" A {disc}% discount is applied to the whole first-month total, setup fee included."
            total = total * (100 - disc) / 100
        if steps >= 4:
            text += f" The customer pays that amount in {months} equal instalments."
            total = total / months
            ask = "How much is each instalment, in dollars?"
        else:
            ask = "How much does the customer pay for the first month, in dollars?"
        ref = f"{round(total, 2):.2f}".rstrip("0").rstrip(".")
        q = f"{text} {ask} Give the final answer as a number on the last line."
        return self._q(
            "arithmetic",
            {1: 1, 2: 2, 3: 3, 4: 3}[steps],
            q,
            ref,
            {"kind": "numeric", "tol": 0.01, "pick": "last"},
            f"arith-{steps}step",
        )

    # ------------------------------------------------------------------ contract
    def contract(self, pii: bool) -> dict:
        r = self.r
        start = self.date(2024, 2026)
        term = r.choice([12, 24, 36])
        renew = r.choice([6, 12, 12, 24])
        notice = r.choice([30, 45, 60, 90])
        law = r.choice(JURISDICTIONS)
        auto = r.random() < 0.75
        pay = r.choice([15, 30, 45])
        cap = r.choice([3, 6, 12])
        c = [
            f"1. Term. This Agreement starts on {MONTHS[start.month - 1]} {start.day}, {start.year} and "
            f"continues for an initial term of {term} months."
        ]
        if auto:
            c.append(
                f"2. Renewal. This Agreement renews automatically for successive {renew}-month periods unless "
                f"either party gives written notice of non-renewal at least {notice} days before the end of the "
                "then-current term."
            )
        else:
            c.append(
                "2. Renewal. This Agreement does not renew automatically; any extension requires a new "
                f"written order signed at least {notice} days before the end of the term."
            )
        distract = [
            f"Invoices are payable within {pay} days of the invoice date.",
            f"Liability of either party is capped at the fees paid in the {cap} months before the claim.",
            f"Either party may terminate for material breach on {pay} days' written notice if the breach is not cured.",
        ]
        r.shuffle(distract)
        nd = r.choice([1, 2, 3])
        clauses = c + [f"{i + 3}. {t}" for i, t in enumerate(distract[:nd])]
        clauses.append(
            f"{len(clauses) + 1}. Governing law. This Agreement is governed by the laws of {law}."
        )
        kinds = (
            ["law", "notice", "renews", "renewal-term", "deadline"]
            if auto
            else ["law", "notice", "renews"]
        )
        kind = r.choice(kinds)
        if kind == "law":
            q, ref, g, d = (
                "Which jurisdiction's law governs this agreement? Reply with the jurisdiction only.",
                law,
                {"kind": "contains"},
                1,
            )
        elif kind == "notice":
            q = (
                "How many days before the end of the term must notice of non-renewal be given? Reply with the number only."
                if auto
                else "At least how many days before the end of the term must an extension order be signed? "
                "Reply with the number only."
            )
            ref, g, d = str(notice), {"kind": "numeric", "pick": "first"}, 2 if nd < 3 else 3
        elif kind == "renews":
            q, ref, g, d = (
                "Does this agreement renew automatically? Reply yes or no.",
                "yes" if auto else "no",
                {"kind": "normalized"},
                1,
            )
        elif kind == "renewal-term":
            q, ref, g, d = (
                "How many months is each renewal period? Reply with the number only.",
                str(renew),
                {"kind": "numeric", "pick": "first"},
                2,
            )
        else:
            end = _add_months(start, term)
            last = end - dt.timedelta(days=notice)
            q = (
                "The initial term ends on "
                f"{end.isoformat()}. What is the last date on which notice of non-renewal "
                "can be given? Reply in ISO format YYYY-MM-DD."
            )
            ref, g, d = last.isoformat(), {"kind": "contains"}, 3
        text = "\n".join(clauses)
        return self._q(
            "contract", d, f"Contract excerpt:\n{text}\n\n{q}", ref, g, f"contract-{kind}"
        )

    # ------------------------------------------------------------------ code
    def code(self, pii: bool) -> dict:
        r = self.r
        kind = r.choice(["expr", "string", "loop", "list", "dict", "filter"])
        if kind == "expr":
            a, b, c = r.randint(2, 12), r.randint(2, 12), r.randint(1, 30)
            src, d = f"x = {a}\ny = {b}\nprint(x * y + {c})", 1
        elif kind == "string":
            w = r.choice(["kestrel", "support", "invoice", "routing", "ledger", "cascade"])
            op = r.choice([("[::-1]", 1), (".upper()[:3]", 1), ("[1:4]", 2), (".count('e')", 2)])
            src, d = f"s = '{w}'\nprint(s{op[0]})", op[1]
        elif kind == "loop":
            n, k = r.randint(3, 7), r.randint(2, 5)
            src, d = f"total = 0\nfor i in range({n}):\n    total += i * {k}\nprint(total)", 2
        elif kind == "list":
            nums = [r.randint(1, 50) for _ in range(5)]
            op = r.choice(
                [("sorted(nums)[-2]", 2), ("len(nums) + max(nums)", 1), ("nums[1] + nums[-1]", 2)]
            )
            src, d = f"nums = {nums}\nprint({op[0]})", op[1]
        elif kind == "dict":
            a, b = r.randint(1, 9), r.randint(1, 9)
            key = r.choice(["'c'", "'a'"])
            src, d = f"d = {{'a': {a}, 'b': {b}}}\nprint(d.get({key}, 10) + d['b'])", 2
        else:
            lo, hi, m = r.randint(1, 10), r.randint(20, 40), r.choice([3, 4, 5])
            src, d = f"print(sum(i for i in range({lo}, {hi}) if i % {m} == 0))", 3
        out = _run_snippet(src)
        q = f"What does this Python code print? Reply with the output only.\n\n```python\n{src}\n```"
        try:
            float(out)
            g = {"kind": "numeric", "pick": "first"}
        except ValueError:
            g = {"kind": "exact", "loose": True}
        return self._q("code", d, q, out, g, f"code-{kind}")

    # ------------------------------------------------------------------ assembly
    def _q(self, category, difficulty, prompt, reference, grader, template, pii=False) -> dict:
        return {
            "prompt": prompt,
            "category": category,
            "difficulty": int(difficulty),
            "reference": str(reference),
            "grader": grader,
            "contains_pii": bool(pii),
            "stakes": STAKES.get(category, 1.0),
            "meta": {"template": template},
        }


def _add_months(d: dt.date, months: int) -> dt.date:
    m = d.month - 1 + months
    y, m = d.year + m // 12, m % 12 + 1
    for day in (d.day, 30, 29, 28):
        try:
            return dt.date(y, m, day)
        except ValueError:
            continue
    raise AssertionError("unreachable")  # pragma: no cover


_SAFE_BUILTINS = {
    "print": print,
    "range": range,
    "len": len,
    "sum": sum,
    "max": max,
    "min": min,
    "sorted": sorted,
}


def _run_snippet(src: str) -> str:
    """Run one of the generator's own snippets (never user input) and return what it prints."""
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        exec(compile(src, "<snippet>", "exec"), {"__builtins__": _SAFE_BUILTINS})  # noqa: S102
    return buf.getvalue().strip()


def _counts(shares: dict[str, float], n: int) -> dict[str, int]:
    """Largest-remainder rounding of ``shares * n`` (deterministic, sums to ``round(sum * n)``)."""
    raw = {k: v * n for k, v in shares.items()}
    out = {k: int(v) for k, v in raw.items()}
    left = round(sum(shares.values()) * n) - sum(out.values())
    for k in sorted(raw, key=lambda k: (-(raw[k] - out[k]), k))[:left]:
        out[k] += 1
    return out


def generate(seed: int = DEFAULT_SEED, n: int = DEFAULT_N) -> Workload:
    """The support-desk workload: ``n`` queries from templates; the same seed gives the same queries.

    Examples
    --------
    >>> w = generate(seed=0, n=50)
    >>> len(w), sorted(w.categories)[:3]
    (50, ['arithmetic', 'classify', 'code'])
    """
    if n < len(SHARES):
        from ..errors import RouterlabError

        raise RouterlabError(f"support-desk needs n >= {len(SHARES)} queries, got {n}")
    g = _Gen(seed)
    counts = _counts(SHARES, n)
    pii = _counts(PII_SHARES, n)
    plan: list[tuple[str, bool]] = []
    for cat in SHARES:
        k = min(pii.get(cat, 0), counts[cat])
        plan += [(cat, True)] * k + [(cat, False)] * (counts[cat] - k)
    g.r.shuffle(plan)
    makers: dict[str, Callable[[bool], dict]] = {c: getattr(g, c) for c in SHARES}
    queries = []
    seen: set[str] = set()
    for i, (cat, is_pii) in enumerate(plan):
        for _ in range(50):  # avoid exact duplicate prompts
            rec = makers[cat](is_pii)
            if rec["prompt"] not in seen:
                break
        seen.add(rec["prompt"])
        queries.append(Query(query_id=f"sd-{i:04d}", **rec))
    return Workload(queries, name=NAME)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m routerlab.workloads.support_desk",
        description="Write the support-desk sample workload as JSONL.",
    )
    ap.add_argument("--out", default="datasets/support-desk/workload.jsonl")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("-n", type=int, default=DEFAULT_N)
    args = ap.parse_args(argv)
    w = generate(seed=args.seed, n=args.n)
    path = w.save(args.out)
    print(f"wrote {len(w)} queries to {path}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
