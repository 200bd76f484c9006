#!/usr/bin/env python3
"""Benchmark finq against DuckDB (and SQLite's import) as BENCHMARKS.md prescribes, and
print the figures beside their targets.

usage:
  scripts/bench_compare.py [--profile S|L] [--dir DATA_DIR] [--finq BINARY] [--ref REF_DIR]
                           [--work DIR] [--keep] [--cold-runs N] [--no-sqlite]
                           [--markdown PATH] [--json PATH]

  --profile   S = 10,000 companies (default), L = 100,000 companies
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

def finq_gen(finq, companies, out):
    subprocess.run([finq, "gen", "--companies", str(companies), "--out", out], check=True,
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
    return ref


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


def table_rows(r):
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
                    d["cold_s"] / f["cold_s"], "> 1× (fresh DuckDB process)", 1))
    rows.append(row("peak memory, import", fmt_mib(f["import_peak"]),
                    fmt_mib(d["import_peak"]), d["import_peak"] / f["import_peak"],
                    "> 1× (below DuckDB)", 1))
    rows.append(query_memory_row(r))
    return rows


def query_memory_pairs(r):
    """(label, finq MiB, DuckDB MiB) for every query process: q1-q9 warm and cold q1."""
    f, d = r["finq"], r["duckdb"]
    pairs = [(short(n), f["warm"][n][2], d["query_peak"][n]) for n in f["warm"]]
    pairs += [(short(n) + " uncached", f["uncached"][n][2], d["query_peak"][n])
              for n in f["uncached"]]
    pairs.append(("cold q1", f["cold_peak"], d["cold_peak"]))
    return pairs


def query_memory_row(r):
    """Largest peak on each side; the ratio is the worst query's, so `met` means every
    query process stays below DuckDB's for the same work."""
    pairs = query_memory_pairs(r)
    worst = min(pairs, key=lambda p: p[2] / p[1])
    fig = f"peak memory, query processes (largest; ratio of the worst, {worst[0]})"
    return row(fig, fmt_mib(max(p[1] for p in pairs)), fmt_mib(max(p[2] for p in pairs)),
               worst[2] / worst[1], "> 1× every query", 1)


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


def markdown(r, meta):
    import duckdb
    lines = [
        f"### finq vs DuckDB, {meta['profile']} ({meta['date']})",
        "",
        f"Machine: {meta['machine']}. finq {meta['revision']}, DuckDB {duckdb.__version__}, "
        f"Python {platform.python_version()}. Dataset: {meta['dataset']}.",
        "Ratios are DuckDB/finq (SQLite/finq): bigger means finq is faster or smaller.",
        "",
        md_table(MAIN_HEADER, table_rows(r)),
        "",
        md_table(DETAIL_HEADER, detail_rows(r)),
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
            log(f"finq gen --companies {companies}")
            finq_gen(args.finq, companies, data)
        dataset = dataset_line(data)
        r = run_all(args, ref, data, work)
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
    print(f"{meta['date']}  {meta['machine']}  finq {meta['revision']}")
    print(text_table(MAIN_HEADER, table_rows(r)))
    print()
    print(text_table(DETAIL_HEADER, detail_rows(r)))
    print()
    print("\n".join(notes(r)))
    missed = [x[0] for x in table_rows(r) if x[-1] != "yes"]
    print("every target met" if not missed else f"targets NOT met: {', '.join(missed)}")
    print(f"total {meta['runtime']:.0f} s")
    if args.markdown:
        with open(args.markdown, "w") as fh:
            fh.write(markdown(r, meta))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"figures": r, "meta": meta}, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
