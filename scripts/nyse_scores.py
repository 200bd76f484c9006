#!/usr/bin/env python3
"""An independent computation of the NYSE scorecards, to check finq against.

Reads ../shared/data/real's nyse-securities.csv and nyse-fundamentals-2012-2016.csv
directly (not through finq), labels each row's fiscal year by SPEC.md's rule, derives the
eleven scorecard indicators at YEAR by DERIVATIONS.md's formulas, and scores every company
with ../shared/bench/pyscore.py (SCORING.md's reference scorer).

usage: nyse_scores.py REAL_DIR YEAR   prints one JSON object per company:
       {"symbol", "score", "industry_rank", "indicators": {id: value}}
"""
import csv
import datetime
import json
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "shared", "bench"))
import pyscore  # noqa: E402

# The file's columns for the statement items the indicators need.
ITEMS = {
    "revenue": "Total Revenue",
    "gross_profit": "Gross Profit",
    "net_income": "Net Income",
    "total_assets": "Total Assets",
    "total_liabilities": "Total Liabilities",
    "total_equity": "Total Equity",
    "operating_cash_flow": "Net Cash Flow-Operating",
}


def fiscal_year(text):
    """SPEC.md: a date in the first 7 days of a month counts as the previous month's end."""
    d = datetime.date.fromisoformat(text)
    if d.day <= 7:
        d = d.replace(day=1) - datetime.timedelta(days=1)
    return d.year


def load_items(path):
    """{symbol: {year: {item: value}}} from the fundamentals file."""
    out = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            year = fiscal_year(row["Period Ending"])
            items = {}
            for item, col in ITEMS.items():
                if row[col].strip() != "":
                    items[item] = float(row[col])
            out.setdefault(row["Ticker Symbol"], {})[year] = items
    return out


def div(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def yoy(x, b):
    if x is None or b is None or b == 0:
        return None
    return (x - b) / abs(b)


def avg(x, prior):
    if x is None:
        return None
    return x if prior is None else (x + prior) / 2


def indicators(years, year):
    now = years.get(year, {})
    before = years.get(year - 1, {})

    def get(item, at=now):
        return at.get(item)

    avg_equity = avg(get("total_equity"), get("total_equity", before))
    out = {
        # Missing when the average equity is not positive.
        "roe": div(get("net_income"), avg_equity) if avg_equity and avg_equity > 0 else None,
        "profit_margin": div(get("net_income"), get("revenue")),
        "gross_margin": div(get("gross_profit"), get("revenue")),
        "revenue_yoy": yoy(get("revenue"), get("revenue", before)),
        "net_profit_yoy": yoy(get("net_income"), get("net_income", before)),
        "total_assets_yoy": yoy(get("total_assets"), get("total_assets", before)),
        "net_assets_yoy": yoy(get("total_equity"), get("total_equity", before)),
        "turnover": div(get("revenue"), avg(get("total_assets"), get("total_assets", before))),
        "gearing_ratio": div(get("total_liabilities"), get("total_assets")),
        "cash_flow_margin": div(get("operating_cash_flow"), get("revenue")),
        "ocf_yoy": yoy(get("operating_cash_flow"), get("operating_cash_flow", before)),
    }
    return {k: v for k, v in out.items() if v is not None}


def main():
    real, year = sys.argv[1], int(sys.argv[2])
    with open(os.path.join(real, "nyse-securities.csv"), newline="") as f:
        companies = {
            r["Ticker symbol"]: (r["GICS Sub Industry"], r["GICS Sector"]) for r in csv.DictReader(f)
        }
    items = load_items(os.path.join(real, "nyse-fundamentals-2012-2016.csv"))
    values = {s: indicators(items.get(s, {}), year) for s in companies}
    # pyscore reads a dataset folder: write the companies and each one's values at YEAR.
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "companies.csv"), "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["symbol", "industry", "sector"])
            for s, (industry, sector) in companies.items():
                w.writerow([s, industry, sector])
        with open(os.path.join(d, "metrics.csv"), "w", newline="") as f:
            names = list(pyscore.INDICATORS)
            w = csv.writer(f)
            w.writerow(["symbol", "period"] + names)
            for s, v in values.items():
                w.writerow([s, year] + [repr(v[m]) if m in v else "" for m in names])
        _, scores = pyscore.all_scores(d)
    for s in sorted(companies):
        r = scores[s]
        print(json.dumps({"symbol": s, "score": r["score"], "industry_rank": r["industry_rank"],
                          "group": r["group"], "indicators": values[s]}))


if __name__ == "__main__":
    main()
