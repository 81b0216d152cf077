"""Regenerate touchpoint_audits.csv: seeded mystery-shopper / desk-audit scores (1–5) for the example.

Run from anywhere: python examples/b2b-distributor/data/make_audits.py
"""

import csv
from pathlib import Path

import numpy as np

# Mean quality each touchpoint is given by the auditors (1 = poor, 5 = excellent), and the competitors'.
OWN = {
    "search_ads": 3.6, "trade_show": 4.2, "catalogue": 3.0, "website": 3.2, "sales_line": 2.6,
    "engineer_visit": 4.5, "quote": 2.4, "portal": 3.4, "account_manager": 4.0, "contract": 2.2,
    "counter": 4.1, "delivery": 3.0, "tracking": 4.3, "documents": 2.3, "regrinding": 3.9,
    "bonus": 2.8, "review": 2.0, "newsletter": 3.5, "claims": 2.7,
}
RIVALS = {
    "ToolMarket": {"website": 4.1, "portal": 4.3, "quote": 3.6, "delivery": 3.4, "documents": 3.9},
    "Promsnab": {"sales_line": 3.1, "quote": 3.0, "delivery": 3.8, "account_manager": 3.3, "counter": 3.5},
}
OFFLINE = {"trade_show", "catalogue", "sales_line", "engineer_visit", "account_manager", "contract", "counter",
           "delivery", "regrinding", "review", "claims"}
BRANCHES = ("North", "Central", "South")


def rows(rng: np.random.Generator) -> list[dict]:
    out = []
    for touchpoint, mean in OWN.items():
        for branch in BRANCHES if touchpoint in OFFLINE else ("online",):
            for _ in range(4):
                out.append({"branch": branch, "touchpoint": touchpoint, "score": _score(rng, mean), "competitor": ""})
    for rival, means in RIVALS.items():
        for touchpoint, mean in means.items():
            for _ in range(3):
                out.append({"branch": "", "touchpoint": touchpoint, "score": _score(rng, mean), "competitor": rival})
    return out


def _score(rng: np.random.Generator, mean: float) -> float:
    return float(np.clip(round(rng.normal(mean, 0.45), 1), 1.0, 5.0))


if __name__ == "__main__":
    target = Path(__file__).with_name("touchpoint_audits.csv")
    with target.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=["branch", "touchpoint", "score", "competitor"])
        writer.writeheader()
        writer.writerows(rows(np.random.default_rng(2024)))
