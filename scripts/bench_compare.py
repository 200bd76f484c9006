#!/usr/bin/env python3
"""Benchmark finq against DuckDB (and SQLite's import) as BENCHMARKS.md prescribes, and
print the figures beside their targets.

usage:
  scripts/bench_compare.py [--profile S|L] [--dir DATA_DIR] [--finq BINARY] [--ref REF_DIR]
                           [--work DIR] [--keep] [--cold-runs N] [--no-sqlite]
                           [--markdown PATH] [--json PATH]

  --profile   S = 10,000 companies (default), L = 100,000 companies (with L's raised
              targets: cold q1 at least 2x, every query process below half of DuckDB's)
  --statements  the statements profile (BENCHMARKS.md): `finq gen --statements`, q6-q9 only,
              finq warm and uncached beside DuckDB computing the derivations of
              DERIVATIONS.md in SQL (STATEMENTS_VIEW below) under ref.py's own scoring SQL;
              the answers are compared
  --dir       reuse a dataset (companies.csv, metrics.csv) instead of `finq gen`
  --finq      finq binary, default <repo>/target/release/finq
  --ref       folder of ref.py, default <repo>/../shared/bench
  --work      where the dataset and the databases go (default a temp dir, removed unless
              --keep)
  --markdown  also write the table as markdown (with date, machine and commands)
  --json      also write every raw figure as JSON

example:
  cargo build --release
  python3 scripts/bench_compare.py --markdown /tmp/bench.md

What is measured (BENCHMARKS.md, "How finq is timed"):
  finq import   the whole process `finq --db D import companies.csv metrics.csv`
  finq warm qN  one `finq --db D --timings run FILE` process, FILE holding the statement 11
                times; median of the last 10 `ms` values that --timings prints on stderr
  finq uncached qN  one `run` process alternating a durable `set` of one point of a metric
                the query reads (of C000123.HK, at 2025Q4; see UNCACHED_WRITES) and the query,
                11 times; median of the last 10 query `ms` values (the writes are not timed)
  finq first qN the `ms` of the statement as the first of a fresh process (`--timings -c`),
                for information
  finq cold q1  the whole process `finq --db D -c "q1"`; median of --cold-runs runs
  memory        peak RSS of each of those processes (`/usr/bin/time -v`)
  DuckDB        import and warm queries in this process through ref.py's own functions
                (ref.duck, ref.timeit with 1 + 10 runs, in-memory database, as ref.py does);
                peak memory from separate processes: one loading the CSV files into a
                database file (ref.duck(DIR, PATH)), one per query opening that file
                read-only and running the query 11 times; cold q1 = a fresh `python3 -c`
                process opening that file and running q1, median of --cold-runs runs
  SQLite        import time from ref.lite (skipped with --no-sqlite)

Ratios are DuckDB/finq (SQLite/finq) for times and memory, so bigger means finq is better.
Needs python3 with duckdb (`pip install duckdb`) and /usr/bin/time.
"""
import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_REF = os.path.join(REPO, "..", "shared", "bench")
DEFAULT_FINQ = os.path.join(REPO, "target", "release", "finq")
PROFILES = {"S": 10_000, "L": 100_000}
REPS = 11  # runs per warm measurement; the first one is discarded
TIME = "/usr/bin/time"
# The metric each query reads that the uncached runs write before it, and the value written
# the i-th time (a new value every time, so every write changes the point).
UNCACHED_SYMBOL, UNCACHED_PERIOD = "C000123.HK", "2025Q4"
UNCACHED_WRITES = {
    "q1": ("roe", lambda i: 0.1 + i / 1000), "q2": ("roe", lambda i: 0.1 + i / 1000),
    "q3": ("roe", lambda i: 0.1 + i / 1000), "q4": ("revenue", lambda i: 2e8 + i * 1000),
    "q5": ("revenue", lambda i: 2e8 + i * 1000), "q6": ("roe", lambda i: 0.1 + i / 1000),
    "q7": ("roe", lambda i: 0.1 + i / 1000), "q8": ("roe", lambda i: 0.1 + i / 1000),
    "q9": ("net_income", lambda i: 5e6 + i * 1000),
}

# A fresh process that opens the DuckDB file and runs one query: argv = path, sql, runs.
DUCK_QUERY_PROCESS = """
import sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
for _ in range(int(sys.argv[3])):
    rows = con.execute(sys.argv[2]).fetchall()
print(len(rows))
"""
# A process that loads the CSV files into a DuckDB file through ref.duck: argv = ref dir,
# data dir, database path.
DUCK_IMPORT_PROCESS = """
import sys
sys.path.insert(0, sys.argv[1])
import ref
con, t = ref.duck(sys.argv[2], sys.argv[3])
con.close()
print(t)
"""


# ---------------------------------------------------------------- processes

class Run:
    """One measured process: wall time (s), peak RSS (MiB), stdout and stderr."""

    def __init__(self, wall, peak_mib, stdout, stderr):
        self.wall, self.peak_mib, self.stdout, self.stderr = wall, peak_mib, stdout, stderr


def peak_rss_mib(report):
    """`Maximum resident set size (kbytes): N` of a `/usr/bin/time -v` report, in MiB."""
    for line in report.splitlines():
        if "Maximum resident set size" in line:
            return int(line.rsplit(":", 1)[1]) / 1024
    raise RuntimeError(f"no peak RSS in /usr/bin/time output:\n{report}")


def measure(cmd):
    """Runs cmd under `/usr/bin/time -v`; raises with its stderr when it fails."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as rep:
        t = time.perf_counter()
        p = subprocess.run([TIME, "-v", "-o", rep.name] + cmd, capture_output=True,
                           text=True)
        wall = time.perf_counter() - t
        report = rep.read()
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {p.returncode}:\n{p.stderr[-2000:]}")
    return Run(wall, peak_rss_mib(report), p.stdout, p.stderr)


def measure_many(cmd, n):
    """n runs of cmd: (median wall time, largest peak RSS, the runs)."""
    runs = [measure(cmd) for _ in range(n)]
    return statistics.median(r.wall for r in runs), max(r.peak_mib for r in runs), runs


# ---------------------------------------------------------------- finq

def finq_gen(finq, companies, out, statements=False):
    subprocess.run([finq, "gen", "--companies", str(companies), "--out", out]
                   + (["--statements"] if statements else []), check=True,
                   stdout=subprocess.DEVNULL)


def finq_import(finq, data, db):
    """The import process into an empty database: Run."""
    shutil.rmtree(db, ignore_errors=True)
    return measure([finq, "--db", db, "import", os.path.join(data, "companies.csv"),
                    os.path.join(data, "metrics.csv")])


def timing_lines(stderr):
    """The `{"statement": N, "ms": X, "rows": K}` lines of --timings, in order."""
    out = []
    for line in stderr.splitlines():
        line = line.strip()
        if line.startswith("{") and '"statement"' in line:
            out.append(json.loads(line))
    return out


def finq_warm(finq, db, statement, work):
    """One `run` process of REPS repetitions: (median ms of the last REPS-1, rows, peak MiB)."""
    script = os.path.join(work, "warm.fq")
    with open(script, "w") as f:
        f.write((statement + "\n") * REPS)
    run = measure([finq, "--db", db, "--timings", "run", script])
    lines = timing_lines(run.stderr)
    if len(lines) != REPS:
        raise RuntimeError(f"expected {REPS} timing lines from finq, got {len(lines)}:\n"
                           f"{run.stderr[-2000:]}")
    return statistics.median(x["ms"] for x in lines[1:]), lines[-1]["rows"], run.peak_mib


def finq_uncached(finq, db, statement, write, work):
    """One `run` process of REPS (set, statement) pairs: (median ms of the statement after
    the last REPS-1 writes, rows, peak MiB)."""
    metric, value = write
    script = os.path.join(work, "uncached.fq")
    with open(script, "w") as f:
        for i in range(REPS):
            f.write(f"set {UNCACHED_SYMBOL} {metric} at {UNCACHED_PERIOD} = {value(i)}\n")
            f.write(statement + "\n")
    run = measure([finq, "--db", db, "--timings", "run", script])
    lines = timing_lines(run.stderr)
    if len(lines) != 2 * REPS:
        raise RuntimeError(f"expected {2 * REPS} timing lines from finq, got {len(lines)}:\n"
                           f"{run.stderr[-2000:]}")
    queries = lines[1::2]
    return statistics.median(x["ms"] for x in queries[1:]), queries[-1]["rows"], run.peak_mib


def finq_first(finq, db, statement):
    """The statement's `ms` as the first statement of a fresh process."""
    run = measure([finq, "--db", db, "--timings", "-c", statement])
    lines = timing_lines(run.stderr)
    if len(lines) != 1:
        raise RuntimeError(f"no timing line from finq -c:\n{run.stderr[-2000:]}")
    return lines[0]["ms"]


def finq_cold(finq, db, statement, n):
    """`finq --db D -c STATEMENT` n times: (median wall s, peak MiB)."""
    wall, peak, _ = measure_many([finq, "--db", db, "-c", statement], n)
    return wall, peak


# ---------------------------------------------------------------- DuckDB and SQLite

def load_ref(ref_dir):
    """ref.py as a module (it imports duckdb and pyscore from its folder)."""
    ref_dir = os.path.abspath(ref_dir)
    if not os.path.isfile(os.path.join(ref_dir, "ref.py")):
        sys.exit(f"error: no ref.py in {ref_dir} (use --ref)")
    sys.path.insert(0, ref_dir)
    import ref  # noqa: E402
    global REF
    REF = ref
    return ref


REF = None  # ref.py, once loaded


def duck_in_process(ref, data):
    """ref.py's DuckDB figures: import seconds and {query: (median ms, rows)}."""
    con, import_s = ref.duck(data)
    queries = {}
    for name, (_, sql) in ref.QUERIES_V2.items():
        ms = ref.timeit(lambda: con.execute(sql).fetchall(), n=REPS - 1)
        queries[name] = (ms, len(con.execute(sql).fetchall()))
    con.close()
    return import_s, queries


def duck_file_import(ref_dir, data, path):
    """Loads the CSV files into a DuckDB file in a fresh process: (ref's import s, Run)."""
    if os.path.exists(path):
        os.remove(path)
    run = measure([sys.executable, "-c", DUCK_IMPORT_PROCESS, os.path.abspath(ref_dir),
                   data, path])
    return float(run.stdout.strip().splitlines()[-1]), run


def duck_query_peak(path, sql):
    """Peak MiB of a fresh process running sql REPS times on the DuckDB file."""
    return measure([sys.executable, "-c", DUCK_QUERY_PROCESS, path, sql, str(REPS)]).peak_mib


def duck_cold(path, sql, n):
    """A fresh process opening the DuckDB file and running sql once, n times:
    (median wall s, peak MiB)."""
    wall, peak, _ = measure_many([sys.executable, "-c", DUCK_QUERY_PROCESS, path, sql, "1"], n)
    return wall, peak


def python_startup(n):
    """Median wall time of `python3 -c "import duckdb"`: the floor of DuckDB's cold figure."""
    return measure_many([sys.executable, "-c", "import duckdb"], n)[0]


def sqlite_import(ref, data):
    """ref.lite's import seconds; removes the database file it leaves behind."""
    con, seconds = ref.lite(data)
    con.close()
    path = os.path.join(tempfile.gettempdir(), "finq-ref-sqlite.db")
    if os.path.exists(path):
        os.remove(path)
    return seconds


# ---------------------------------------------------------------- statements profile

# DERIVATIONS.md in SQL over the statement items (table `items`, as `finq gen --statements`
# writes them): per company and quarter the eleven indicators and the F-score inputs, as a
# view named `metrics`, so ref.py's scoring SQL (QUERIES_V2 q6-q9) runs on it unchanged and
# DuckDB derives everything again on every query, as finq does after a write.
# - stocks: a stored point wins, else the other side of the balance sheet
#   (total_equity = total_assets - total_liabilities, and the reverse, stored inputs only);
# - prior: the same quarter a year before (qi - 4), null when that row has no value;
# - avg(x): (x + prior) / 2 when both exist, else x;
# - ttm(flow): the sum of the four quarters ending at the quarter, all four needed;
# - division by zero is missing; roe is missing when avg(total_equity) <= 0;
# - growth: (x - prior) / |prior|.
STATEMENTS_VIEW = """
CREATE VIEW metrics AS
WITH e AS (
  SELECT symbol, period,
         CAST(substr(period, 1, 4) AS INT) * 4 + CAST(substr(period, 6, 1) AS INT) AS qi,
         revenue, cost_of_revenue, net_income, total_assets, operating_cash_flow,
         current_assets, current_liabilities, long_term_debt, shares_outstanding,
         coalesce(total_equity, total_assets - total_liabilities) AS te,
         coalesce(total_liabilities, total_assets - total_equity) AS tl
  FROM items WHERE period LIKE '____Q_'),
w AS (
  SELECT *,
    max(revenue) OVER y AS revenue_p, max(net_income) OVER y AS net_income_p,
    max(total_assets) OVER y AS total_assets_p, max(te) OVER y AS te_p,
    max(operating_cash_flow) OVER y AS ocf_p,
    CASE WHEN count(net_income) OVER f = 4 THEN sum(net_income) OVER f END AS ni_ttm,
    CASE WHEN count(revenue) OVER f = 4 THEN sum(revenue) OVER f END AS revenue_ttm
  FROM e
  WINDOW y AS (PARTITION BY symbol ORDER BY qi RANGE BETWEEN 4 PRECEDING AND 4 PRECEDING),
         f AS (PARTITION BY symbol ORDER BY qi RANGE BETWEEN 3 PRECEDING AND CURRENT ROW)),
a AS (
  SELECT *, CASE WHEN te_p IS NULL THEN te ELSE (te + te_p) / 2 END AS te_avg,
            CASE WHEN total_assets_p IS NULL THEN total_assets
                 ELSE (total_assets + total_assets_p) / 2 END AS ta_avg
  FROM w)
SELECT symbol, period,
  CASE WHEN te_avg > 0 THEN ni_ttm / te_avg END AS roe,
  net_income / nullif(revenue, 0) AS profit_margin,
  (revenue - cost_of_revenue) / nullif(revenue, 0) AS gross_margin,
  (revenue - revenue_p) / nullif(abs(revenue_p), 0) AS revenue_yoy,
  (net_income - net_income_p) / nullif(abs(net_income_p), 0) AS net_profit_yoy,
  (total_assets - total_assets_p) / nullif(abs(total_assets_p), 0) AS total_assets_yoy,
  (te - te_p) / nullif(abs(te_p), 0) AS net_assets_yoy,
  operating_cash_flow / nullif(revenue, 0) AS cash_flow_margin,
  (operating_cash_flow - ocf_p) / nullif(abs(ocf_p), 0) AS ocf_yoy,
  revenue_ttm / nullif(ta_avg, 0) AS turnover,
  tl / nullif(total_assets, 0) AS gearing_ratio,
  revenue, net_income, total_assets, operating_cash_flow, long_term_debt, current_assets,
  current_liabilities, shares_outstanding
FROM a
"""
STATEMENT_QUERIES = ("q6", "q7", "q8", "q9")
# Columns compared per query (ranks are left out where SQL's exact ties and finq's ties
# within 1e-9 may number near-equal scores differently; rows are compared in score order).
ANSWER_COLUMNS = {"q6": ("symbol", "score"), "q7": ("symbol", "score", "score_grade"),
                  "q8": ("symbol", "score"), "q9": ("symbol", "fscore", "rank")}


def duck_statements(data):
    """DuckDB on the statements profile: load seconds, {query: (median ms, rows)}, and
    each query's answer rows as dicts."""
    import duckdb
    con = duckdb.connect()
    t = time.perf_counter()
    con.execute(f"CREATE TABLE companies AS SELECT * FROM read_csv('{data}/companies.csv', "
                f"header=true, all_varchar=true)")
    con.execute(f"CREATE TABLE items AS SELECT * FROM read_csv('{data}/metrics.csv', "
                f"header=true, types={{'symbol':'VARCHAR','period':'VARCHAR'}})")
    load_s = time.perf_counter() - t
    con.execute(STATEMENTS_VIEW)
    timings, answers = {}, {}
    for name, (_, sql) in statement_queries().items():
        ms = ref_timeit(lambda: con.execute(sql).fetchall())
        cur = con.execute(sql)
        cols = [d[0] for d in cur.description]
        answers[name] = [dict(zip(cols, r)) for r in cur.fetchall()]
        timings[name] = (ms, len(answers[name]))
    con.close()
    return load_s, timings, answers


def statement_queries():
    return {n: q for n, q in REF.QUERIES_V2.items() if short(n) in STATEMENT_QUERIES}


def ref_timeit(fn):
    return REF.timeit(fn, n=REPS - 1)


def comparable(rows, cols):
    """Rows reduced to `cols`, in descending score order (ties by symbol) when scored."""
    out = [{c: r.get(c) for c in cols} for r in rows]
    if "score" in cols:
        out.sort(key=lambda r: (r["score"] is None, -round(r["score"] or 0, 9), r["symbol"]))
    return out


def same_answer(got, want, cols):
    """None when finq's rows equal DuckDB's on `cols` (numbers to 1e-9 relative), else why."""
    got, want = comparable(got, cols), comparable(want, cols)
    if len(got) != len(want):
        return f"{len(got)} rows from finq, {len(want)} from DuckDB"
    for i, (g, w) in enumerate(zip(got, want)):
        for c in cols:
            a, b = g[c], w[c]
            if isinstance(a, (int, float)) and isinstance(b, (int, float)):
                if abs(a - b) > 1e-9 * max(1.0, abs(b)):
                    return f"row {i + 1} {c}: finq {a}, DuckDB {b}"
            elif a != b:
                return f"row {i + 1} {c}: finq {a!r}, DuckDB {b!r}"
    return None


def finq_answer(finq, db, statement):
    p = subprocess.run([finq, "--db", db, "--format", "json", "-c", statement],
                       capture_output=True, text=True, check=True)
    return json.loads(p.stdout)


def run_statements(args, data, work):
    """The statements profile's figures and the answers' agreement."""
    db = os.path.join(work, "finq.db")
    r = {"finq": {"warm": {}, "uncached": {}, "first": {}}, "duckdb": {}, "answers": {}}
    log("finq import (statements)")
    imp = finq_import(args.finq, data, db)
    r["finq"]["import_s"], r["finq"]["import_peak"] = imp.wall, imp.peak_mib
    # Answers before the uncached runs write to the database.
    got = {name: finq_answer(args.finq, db, statement)
           for name, (statement, _) in statement_queries().items()}
    for name, (statement, _) in statement_queries().items():
        log(f"finq {name} first statement, warm, uncached")
        r["finq"]["first"][name] = finq_first(args.finq, db, statement)
        r["finq"]["warm"][name] = finq_warm(args.finq, db, statement, work)
        r["finq"]["uncached"][name] = finq_uncached(
            args.finq, db, statement, ("net_income", lambda i: 5e6 + i * 1000), work)
    log("DuckDB load, derivations and queries (in process)")
    r["duckdb"]["import_s"], r["duckdb"]["warm"], answers = duck_statements(data)
    for name in statement_queries():
        r["answers"][name] = same_answer(got[name], answers[name], ANSWER_COLUMNS[short(name)])
    return r


def statement_rows(r):
    f, d = r["finq"], r["duckdb"]
    rows = []
    for name in f["warm"]:
        dms = d["warm"][name][0]
        for kind in ("warm", "uncached"):
            ms = f[kind][name][0]
            label = "warm" if kind == "warm" else "uncached (after a write)"
            rows.append(row(f"{short(name)} {label}", fmt_ms(ms), fmt_ms(dms), dms / ms,
                            "≥ 10× DuckDB warm", 10))
    for name, why in r["answers"].items():
        rows.append([f"{short(name)} answer", f"{f['warm'][name][1]} rows",
                     f"{d['warm'][name][1]} rows", "", "the same as DuckDB's",
                     "yes" if why is None else f"**no**: {why}"])
    return rows


def statement_details(r):
    f, d = r["finq"], r["duckdb"]
    return [[n, fmt_ms(f["warm"][n][0]), fmt_ms(f["uncached"][n][0]), fmt_ms(f["first"][n]),
             fmt_ms(d["warm"][n][0]), fmt_mib(max(f["warm"][n][2], f["uncached"][n][2]))]
            for n in f["warm"]]


STATEMENT_DETAIL_HEADER = ["query", "finq warm", "finq uncached", "finq first statement",
                           "DuckDB warm (derivations in SQL)", "finq peak"]


# ---------------------------------------------------------------- the whole run

def run_all(args, ref, data, work):
    """Every figure, as a dict (times in s or ms as named, memory in MiB)."""
    db = os.path.join(work, "finq.db")
    duck_path = os.path.join(work, "duck.db")
    r = {"finq": {"warm": {}, "uncached": {}, "first": {}},
         "duckdb": {"warm": {}, "query_peak": {}}, "sqlite": {}}
    log("finq import")
    imp = finq_import(args.finq, data, db)
    r["finq"]["import_s"], r["finq"]["import_peak"] = imp.wall, imp.peak_mib
    for name, (statement, _) in ref.QUERIES_V2.items():
        log(f"finq {name}")
        r["finq"]["warm"][name] = finq_warm(args.finq, db, statement, work)
    for name, (statement, _) in ref.QUERIES_V2.items():
        log(f"finq {name} first statement of a process")
        r["finq"]["first"][name] = finq_first(args.finq, db, statement)
    for name, (statement, _) in ref.QUERIES_V2.items():
        log(f"finq {name} uncached (after a write)")
        r["finq"]["uncached"][name] = finq_uncached(args.finq, db, statement,
                                                    UNCACHED_WRITES[short(name)], work)
    log("finq cold q1")
    q1_name = next(iter(ref.QUERIES_V2))
    q1_statement, q1_sql = ref.QUERIES_V2[q1_name]
    r["finq"]["cold_s"], r["finq"]["cold_peak"] = finq_cold(args.finq, db, q1_statement,
                                                            args.cold_runs)
    log("DuckDB import and queries (in process, ref.py)")
    r["duckdb"]["import_s"], r["duckdb"]["warm"] = duck_in_process(ref, data)
    log("DuckDB import into a file (fresh process)")
    file_s, run = duck_file_import(args.ref, data, duck_path)
    r["duckdb"]["file_import_s"], r["duckdb"]["import_peak"] = file_s, run.peak_mib
    r["duckdb"]["file_import_process_s"] = run.wall
    for name, (_, sql) in ref.QUERIES_V2.items():
        log(f"DuckDB {name} memory (fresh process)")
        r["duckdb"]["query_peak"][name] = duck_query_peak(duck_path, sql)
    log("DuckDB cold q1 (fresh process)")
    r["duckdb"]["cold_s"], r["duckdb"]["cold_peak"] = duck_cold(duck_path, q1_sql,
                                                                args.cold_runs)
    r["duckdb"]["python_startup_s"] = python_startup(args.cold_runs)
    if not args.no_sqlite:
        log("SQLite import (ref.lite)")
        r["sqlite"]["import_s"] = sqlite_import(ref, data)
    return r


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- the table

def short(name):
    return name.split("_", 1)[0]


def fmt_s(s):
    return f"{s:.2f} s" if s >= 1 else f"{s * 1000:.0f} ms"


def fmt_ms(ms):
    return f"{ms:.3g} ms" if ms < 100 else f"{ms:.0f} ms"


def fmt_ratio(x):
    return f"{x:.0f}×" if x >= 100 else f"{x:.1f}×" if x >= 10 else f"{x:.2f}×"


def fmt_mib(m):
    return f"{m:.0f} MiB"


def row(figure, finq, other, ratio, target, need):
    """One table row; `need` is the smallest ratio that meets the target (met when ratio >=
    need, or > need when need is 1)."""
    met = ratio > need if need == 1 else ratio >= need
    return [figure, finq, other, fmt_ratio(ratio), target, "yes" if met else "**no**"]


def table_rows(r, large=False):
    """The figures against their targets; `large`: the L profile's raised ones (cold q1 at
    least 2× a fresh DuckDB process, every query process below half of DuckDB's memory)."""
    f, d, s = r["finq"], r["duckdb"], r["sqlite"]
    rows = [row("import", fmt_s(f["import_s"]), fmt_s(d["import_s"]),
                d["import_s"] / f["import_s"], "≥ 0.67× (≤ 1.5× DuckDB's time)", 1 / 1.5)]
    if "import_s" in s:
        rows.append(row("import vs SQLite", fmt_s(f["import_s"]),
                        f"SQLite {fmt_s(s['import_s'])}", s["import_s"] / f["import_s"],
                        "≥ 4× (SQLite/finq)", 4))
    for name, (ms, _, _) in f["warm"].items():
        dms = d["warm"][name][0]
        rows.append(row(f"{short(name)} warm", fmt_ms(ms), fmt_ms(dms), dms / ms, "≥ 10×", 10))
    for name, (ms, _, _) in f["uncached"].items():
        dms = d["warm"][name][0]
        rows.append(row(f"{short(name)} uncached (after a write)", fmt_ms(ms), fmt_ms(dms),
                        dms / ms, "≥ 10× DuckDB warm", 10))
    rows.append(row("cold q1 (whole process)", fmt_s(f["cold_s"]), fmt_s(d["cold_s"]),
                    d["cold_s"] / f["cold_s"],
                    "≥ 2× (fresh DuckDB process)" if large else "> 1× (fresh DuckDB process)",
                    2 if large else 1))
    rows.append(row("peak memory, import", fmt_mib(f["import_peak"]),
                    fmt_mib(d["import_peak"]), d["import_peak"] / f["import_peak"],
                    "> 1× (below DuckDB)", 1))
    rows.append(query_memory_row(r, large))
    return rows


def query_memory_pairs(r):
    """(label, finq MiB, DuckDB MiB) for every query process: q1-q9 warm and cold q1."""
    f, d = r["finq"], r["duckdb"]
    pairs = [(short(n), f["warm"][n][2], d["query_peak"][n]) for n in f["warm"]]
    pairs += [(short(n) + " uncached", f["uncached"][n][2], d["query_peak"][n])
              for n in f["uncached"]]
    pairs.append(("cold q1", f["cold_peak"], d["cold_peak"]))
    return pairs


def query_memory_row(r, large):
    """Largest peak on each side; the ratio is the worst query's, so `met` means every
    query process stays below DuckDB's (at L below half of DuckDB's) for the same work."""
    pairs = query_memory_pairs(r)
    worst = min(pairs, key=lambda p: p[2] / p[1])
    fig = f"peak memory, query processes (largest; ratio of the worst, {worst[0]})"
    target, need = ("≥ 2× every query (below half of DuckDB's)", 2) if large else (
        "> 1× every query", 1)
    return row(fig, fmt_mib(max(p[1] for p in pairs)), fmt_mib(max(p[2] for p in pairs)),
               worst[2] / worst[1], target, need)


def detail_rows(r):
    """Per query: finq warm ms and rows, DuckDB warm ms and rows, peak memory of each."""
    f, d = r["finq"], r["duckdb"]
    out = []
    for name, (ms, rows, peak) in f["warm"].items():
        dms, drows = d["warm"][name]
        ums, _, upeak = f["uncached"][name]
        out.append([name, fmt_ms(ms), fmt_ms(ums), fmt_ms(f["first"][name]), fmt_ms(dms),
                    f"{rows} / {drows}", fmt_mib(max(peak, upeak)),
                    fmt_mib(d["query_peak"][name])])
    return out


def text_table(header, rows):
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]

    def line(cells):
        return "  ".join(str(c).ljust(w) for c, w in zip(cells, widths)).rstrip()

    return "\n".join([line(header), line(["-" * w for w in widths])] + [line(x) for x in rows])


def md_table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    return "\n".join(out + ["| " + " | ".join(str(c) for c in x) + " |" for x in rows])


MAIN_HEADER = ["figure", "finq", "DuckDB", "ratio", "target", "met?"]
DETAIL_HEADER = ["query", "finq warm", "finq uncached", "finq first statement", "DuckDB warm",
                 "rows finq / DuckDB", "finq peak", "DuckDB peak"]


def notes(r):
    f, d = r["finq"], r["duckdb"]
    if "answers" in r:
        return [
            f"Import: finq {fmt_s(f['import_s'])} ({fmt_mib(f['import_peak'])} peak), DuckDB "
            f"loading the CSV files {fmt_s(d['import_s'])}.",
            "DuckDB: ref.py's scoring SQL over the view STATEMENTS_VIEW (the derivations of "
            "DERIVATIONS.md in SQL), recomputed on every query; median of "
            f"{REPS - 1} after 1, in-memory database, all cores.",
            f"finq uncached: each query right after a durable `set {UNCACHED_SYMBOL} "
            f"net_income at {UNCACHED_PERIOD}` (an input of roe, profit_margin, "
            f"net_profit_yoy and the F-score), median of {REPS - 1} after 1.",
            "Answers: finq's `--format json` rows against DuckDB's (symbol, score and grade "
            "in score order for q6-q8; symbol, fscore and rank for q9).",
        ]
    return [
        f"DuckDB cold q1 includes python3 start and `import duckdb`: "
        f"{fmt_s(d['python_startup_s'])} of its {fmt_s(d['cold_s'])}.",
        f"DuckDB loading the CSV files into a database file instead of memory: "
        f"{fmt_s(d['file_import_s'])} (whole process {fmt_s(d['file_import_process_s'])}); "
        f"DuckDB's import memory is that process's peak.",
        f"Warm: finq median of {REPS - 1} after 1 discarded (`--timings`); DuckDB ref.timeit "
        f"(median of {REPS - 1} after 1), in-memory database, all cores.",
        f"Uncached: each query right after a durable `set {UNCACHED_SYMBOL} METRIC at "
        f"{UNCACHED_PERIOD}` of a metric it reads, in one process, median of {REPS - 1} "
        f"after 1 (the write not timed). First statement: the query's `--timings` ms as the "
        f"first statement of a fresh process (opening the database not included).",
    ]


# ---------------------------------------------------------------- machine and report

def machine():
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{cores} cores (nproc), {model}, {platform.system()} {platform.release()}"


def git_revision():
    try:
        rev = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", REPO, "status", "--porcelain", "--", "src"],
                               capture_output=True, text=True).stdout.strip()
        return rev + (" + uncommitted src changes" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def dataset_line(data):
    """How many companies and bytes of CSV the dataset holds."""
    size = sum(os.path.getsize(os.path.join(data, f)) for f in ("companies.csv", "metrics.csv"))
    with open(os.path.join(data, "companies.csv")) as f:
        companies = sum(1 for _ in f) - 1
    return f"{companies:,} companies, {size / 1e6:.0f} MB of CSV"


def markdown(r, meta, main_rows, header, details):
    import duckdb
    lines = [
        f"### finq vs DuckDB, {meta['profile']} ({meta['date']})",
        "",
        f"Machine: {meta['machine']}. finq {meta['revision']}, DuckDB {duckdb.__version__}, "
        f"Python {platform.python_version()}. Dataset: {meta['dataset']}.",
        "Ratios are DuckDB/finq (SQLite/finq): bigger means finq is faster or smaller.",
        "",
        md_table(MAIN_HEADER, main_rows),
        "",
        md_table(header, details),
        "",
    ]
    lines += [f"- {n}" for n in notes(r)]
    lines += ["", f"Command: `{meta['command']}` ({meta['runtime']:.0f} s in all).", ""]
    return "\n".join(lines)


# ---------------------------------------------------------------- main

def parse_args(argv):
    ap = argparse.ArgumentParser(description="finq vs DuckDB on the BENCHMARKS.md workload.")
    ap.add_argument("--profile", choices=sorted(PROFILES), default="S")
    ap.add_argument("--dir", help="existing dataset folder (companies.csv, metrics.csv)")
    ap.add_argument("--finq", default=DEFAULT_FINQ, help="finq binary (default %(default)s)")
    ap.add_argument("--ref", default=DEFAULT_REF, help="folder of ref.py (default %(default)s)")
    ap.add_argument("--work", help="working folder (default: a temp dir)")
    ap.add_argument("--keep", action="store_true", help="keep the working folder")
    ap.add_argument("--cold-runs", type=int, default=5, help="runs per cold figure (median)")
    ap.add_argument("--no-sqlite", action="store_true", help="skip SQLite's import")
    ap.add_argument("--statements", action="store_true",
                    help="the statements profile (q6-q9 from statement items)")
    ap.add_argument("--markdown", help="write the table as markdown to this file")
    ap.add_argument("--json", help="write the raw figures as JSON to this file")
    return ap.parse_args(argv)


def check_tools(args):
    problems = []
    if not (os.path.isfile(args.finq) and os.access(args.finq, os.X_OK)):
        problems.append(f"no finq binary at {args.finq} (cargo build --release, or --finq)")
    if not os.access(TIME, os.X_OK):
        problems.append(f"no {TIME} (apt-get install time)")
    if args.dir and not all(os.path.isfile(os.path.join(args.dir, f))
                            for f in ("companies.csv", "metrics.csv")):
        problems.append(f"no companies.csv and metrics.csv in {args.dir}")
    if problems:
        sys.exit("error: " + "\nerror: ".join(problems))


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    check_tools(args)
    start = time.perf_counter()
    ref = load_ref(args.ref)
    work = os.path.abspath(args.work or tempfile.mkdtemp(prefix="finq-bench-"))
    os.makedirs(work, exist_ok=True)
    try:
        companies = None if args.dir else PROFILES[args.profile]
        data = os.path.abspath(args.dir) if args.dir else os.path.join(work, "data")
        if companies:
            log(f"finq gen --companies {companies}" + (" --statements" * args.statements))
            finq_gen(args.finq, companies, data, args.statements)
        dataset = dataset_line(data)
        r = (run_statements if args.statements else run_all)(args, *(
            (data, work) if args.statements else (ref, data, work)))
    finally:
        if not args.keep and not args.work:
            shutil.rmtree(work, ignore_errors=True)
    meta = {
        "profile": f"{args.profile} profile" if companies else data, "machine": machine(),
        "date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
        "revision": git_revision(), "dataset": dataset,
        "command": " ".join(["scripts/bench_compare.py"] + (argv or sys.argv[1:])),
        "runtime": time.perf_counter() - start,
    }
    if args.statements:
        meta["profile"] = "statements profile" + (f" {args.profile}" if companies else "")
    main_rows, details, header = ((statement_rows(r), statement_details(r),
                                   STATEMENT_DETAIL_HEADER) if args.statements
                                  else (table_rows(r, args.profile == "L"), detail_rows(r),
                                        DETAIL_HEADER))
    print(f"{meta['date']}  {meta['machine']}  finq {meta['revision']}")
    print(text_table(MAIN_HEADER, main_rows))
    print()
    print(text_table(header, details))
    print()
    print("\n".join(notes(r)))
    missed = [x[0] for x in main_rows if x[-1] != "yes"]
    print("every target met" if not missed else f"targets NOT met: {', '.join(missed)}")
    print(f"total {meta['runtime']:.0f} s")
    if args.markdown:
        with open(args.markdown, "w") as fh:
            fh.write(markdown(r, meta, main_rows, header, details))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"figures": r, "meta": meta}, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
