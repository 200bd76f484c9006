#!/usr/bin/env python3
"""Check finq's answers to the benchmark queries (BENCHMARKS.md, q1-q9) against the
reference answers of ../shared/bench/ref.py (DuckDB; pyscore.py for the scoring queries
q6-q8).

For each query the finq statement is taken from ref.py's QUERIES_V2 dict (never duplicated
here; QUERIES_V2 follows SPEC.md's revised growth definitions and change-column names, which
finq implements), finq runs it as `FINQ --db DB --format json -c STATEMENT`, and the rows must match
the reference: same number of rows, same order, every reference column present with an
equal value (numbers to 1e-9 relative, 1e-12 absolute near zero; strings exactly; null
only equals null). finq may print extra columns; they are ignored.

usage:
  scripts/compare_answers.py DATA_DIR --db DB [--finq BINARY] [--ref REF_DIR]
                             [--all] [--require-duckdb] [--timeout S] [q1 q2 ...]
  scripts/compare_answers.py --self-test

  DATA_DIR   holds companies.csv and metrics.csv (`finq gen` or gen.py)
  DB         a finq database into which those two files were imported
  BINARY     default <repo>/target/release/finq
  REF_DIR    folder of ref.py, default <repo>/../shared/bench
  q1 ...     query ids, short (q1) or long (q1_rank_industry); exactly those are compared.
             Without ids: q1-q5. --all: q1-q9.

example:
  python3 ../shared/bench/gen.py 500 /tmp/d500
  target/release/finq --db /tmp/d500.db import /tmp/d500/companies.csv /tmp/d500/metrics.csv
  scripts/compare_answers.py /tmp/d500 --db /tmp/d500.db --all

Prints one line per query (`ok` / `MISMATCH` / `ERROR`). Exit status: 0 every compared
query matches (or duckdb is missing and --require-duckdb was not given); 1 a mismatch or a
failed finq run; 2 bad usage, missing files, or duckdb missing with --require-duckdb.
Needs python3 and `pip install duckdb`; --self-test needs neither duckdb nor finq.
"""
import argparse
import decimal
import functools
import json
import math
import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_REF = os.path.join(REPO, "..", "shared", "bench")
DEFAULT_FINQ = os.path.join(REPO, "target", "release", "finq")
REL_TOL, ABS_TOL = 1e-9, 1e-12
MAX_REPORTED = 5
DEFAULT_IDS = ("q1", "q2", "q3", "q4", "q5")
# Queries whose reference answer comes from pyscore.py rather than DuckDB (as in ref.py's main).
SCORE_QUERIES = ("q6_score_one", "q7_score_industry", "q8_score_all")


def queries(ref):
    """ref.py's queries under the definitions finq implements: QUERIES_V2 (only q4 differs
    from QUERIES: growth as (x - b) / |b|, a percent metric's change in percentage points,
    change columns named yoy(m) / yoy_diff(m))."""
    return ref.QUERIES_V2


# ---------------------------------------------------------------- comparison

def plain(v):
    """A reference value as JSON would carry it: Decimal and numpy scalars become float/int."""
    if isinstance(v, decimal.Decimal):
        return float(v)
    if hasattr(v, "item") and not isinstance(v, (str, bytes)):
        return v.item()  # numpy scalar
    return v


def is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def values_equal(finq, ref):
    """True when finq's value matches the reference value."""
    ref = plain(ref)
    if finq is None or ref is None:
        return finq is None and ref is None
    if is_number(finq) and is_number(ref):
        if isinstance(finq, int) and isinstance(ref, int):
            return finq == ref
        a, b = float(finq), float(ref)
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return math.isclose(a, b, rel_tol=REL_TOL, abs_tol=ABS_TOL)
    return type(finq) is type(ref) and finq == ref


def show(v):
    """A value for a report line: JSON spelling (null, quoted strings, full float digits)."""
    try:
        return json.dumps(plain(v))
    except (TypeError, ValueError):
        return repr(v)


def row_label(i, row):
    """`row 17` (1-based), with the row's identifying column when it has one."""
    for key in ("symbol", "industry", "period"):
        if isinstance(row.get(key), str):
            return f"row {i + 1} ({row[key]})"
    return f"row {i + 1}"


def compare_rows(finq_rows, ref_rows, ref_label="duckdb", limit=MAX_REPORTED):
    """Differences between two lists of row dicts, as report strings (at most `limit`,
    then one line saying how many more). Empty list means they match."""
    found = []
    if len(finq_rows) != len(ref_rows):
        found.append(f"row count: finq {len(finq_rows)} vs {ref_label} {len(ref_rows)}")
    missing = set()
    for i, (f, r) in enumerate(zip(finq_rows, ref_rows)):
        for key, want in r.items():
            if key not in f:
                if key not in missing:
                    missing.add(key)
                    found.append(f"{row_label(i, r)} column {key}: missing from finq's answer"
                                 f" ({ref_label} {show(want)})")
            elif not values_equal(f[key], want):
                found.append(f"{row_label(i, r)} column {key}: finq {show(f[key])}"
                             f" vs {ref_label} {show(want)}")
    if len(found) > limit:
        found = found[:limit] + [f"... and {len(found) - limit} more"]
    return found


# ---------------------------------------------------------------- the two sides

def usage_error(msg):
    print(f"error: {msg}", file=sys.stderr)
    sys.exit(2)


def load_ref(ref_dir):
    """Import ref.py from ref_dir as a module (it imports duckdb and pyscore)."""
    ref_dir = os.path.abspath(ref_dir)
    if not os.path.isfile(os.path.join(ref_dir, "ref.py")):
        usage_error(f"no ref.py in {ref_dir} (use --ref)")
    sys.path.insert(0, ref_dir)
    import ref  # noqa: E402
    memoize_scores(ref)
    return ref


def memoize_scores(ref):
    """ref.score_answer recomputes every score on each call; q6-q8 share one computation.
    (score_answer only reads the result, so sharing it is safe.)"""
    pyscore = getattr(ref, "pyscore", None)
    if pyscore is not None and hasattr(pyscore, "all_scores"):
        pyscore.all_scores = functools.lru_cache(maxsize=None)(pyscore.all_scores)


def resolve_ids(ids, names, everything=False):
    """Long query names for the ids given (q1 or q1_rank_industry), in QUERIES order."""
    if everything:
        return list(names)
    wanted = set()
    for qid in ids or DEFAULT_IDS:
        hits = [n for n in names if n == qid or n.startswith(qid + "_")]
        if len(hits) != 1:
            usage_error(f"unknown query id {qid!r}; known: {', '.join(names)}")
        wanted.add(hits[0])
    return [n for n in names if n in wanted]


class Reference:
    """Reference answers: DuckDB via ref.duck (connected once, on first need) or pyscore."""

    def __init__(self, ref, data_dir):
        self.ref, self.data_dir, self._con = ref, data_dir, None

    def label(self, name):
        return "pyscore" if name in SCORE_QUERIES else "duckdb"

    def rows(self, name):
        if name in SCORE_QUERIES:
            return self.ref.score_answer(self.data_dir, name)
        if self._con is None:
            self._con, _ = self.ref.duck(self.data_dir)
        cur = self._con.execute(queries(self.ref)[name][1])
        cols = [d[0] for d in cur.description]
        return [{c: plain(v) for c, v in zip(cols, row)} for row in cur.fetchall()]


def parse_finq_json(text):
    """finq's stdout as a list of row dicts, or raise ValueError saying what is wrong."""
    dec = json.JSONDecoder()
    body = text.strip()
    if not body:
        raise ValueError("finq printed nothing on stdout")
    value, end = dec.raw_decode(body)
    if body[end:].strip():
        raise ValueError("finq printed more than one JSON value")
    if not isinstance(value, list) or not all(isinstance(r, dict) for r in value):
        raise ValueError("finq's answer is not a JSON array of row objects")
    return value


def run_finq(binary, db, statement, timeout):
    """(rows, None) on success, else (None, error text including finq's stderr)."""
    cmd = [binary, "--db", db, "--format", "json", "-c", statement]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, f"finq did not finish within {timeout} s"
    stderr = p.stderr.strip()
    if p.returncode != 0:
        return None, f"finq exited {p.returncode}" + (f"\n{stderr}" if stderr else "")
    try:
        return parse_finq_json(p.stdout), None
    except ValueError as e:
        head = p.stdout.strip()[:300]
        return None, f"{e}: {head!r}" + (f"\n{stderr}" if stderr else "")


def compare_query(name, reference, binary, db, timeout):
    """One report line (plus indented detail lines); True when the query matches."""
    statement = queries(reference.ref)[name][0]
    want = reference.rows(name)
    got, err = run_finq(binary, db, statement, timeout)
    if err is not None:
        detail = "\n".join("    " + line for line in err.splitlines()[1:])
        print(f"{name}  ERROR  {err.splitlines()[0]}" + (f"\n{detail}" if detail else ""))
        return False
    diffs = compare_rows(got, want, reference.label(name))
    if not diffs:
        print(f"{name}  ok  ({len(want)} row{'' if len(want) == 1 else 's'})")
        return True
    print(f"{name}  MISMATCH  {diffs[0]}")
    for d in diffs[1:]:
        print(f"    {d}")
    return False


# ---------------------------------------------------------------- self-test

def self_test():
    """The comparator on hand-made rows; prints each case and `N passed, N failed`."""
    base = [{"symbol": "A", "roe": 0.12, "rank": 1}, {"symbol": "B", "roe": None, "rank": None}]
    cases = [  # (name, finq rows, reference rows, expect a match)
        ("identical rows match", [dict(r) for r in base], base, True),
        ("extra finq column ignored", [dict(r, name="x") for r in base], base, True),
        ("missing reference column fails", [{"symbol": "A", "rank": 1}], base[:1], False),
        ("int rank vs float rank", [{"rank": 1.0}], [{"rank": 1}], True),
        ("relative 1e-10 passes", [{"v": 1234.5 * (1 + 1e-10)}], [{"v": 1234.5}], True),
        ("relative 1e-6 fails", [{"v": 1234.5 * (1 + 1e-6)}], [{"v": 1234.5}], False),
        ("abs 1e-13 near zero passes", [{"v": 1e-13}], [{"v": 0.0}], True),
        ("abs 1e-9 near zero fails", [{"v": 1e-9}], [{"v": 0.0}], False),
        ("fewer rows fails", base[:1], base, False),
        ("more rows fails", base + base[:1], base, False),
        ("null vs number fails", [{"v": None}], [{"v": 0.0}], False),
        ("number vs null fails", [{"v": 0.0}], [{"v": None}], False),
        ("null vs null passes", [{"v": None}], [{"v": None}], True),
        ("grade strings equal", [{"g": "B"}], [{"g": "B"}], True),
        ("grade strings differ", [{"g": "b"}], [{"g": "B"}], False),
        ("string vs number fails", [{"v": "1"}], [{"v": 1}], False),
        ("Decimal reference", [{"v": 0.1}], [{"v": decimal.Decimal("0.1")}], True),
        ("row order matters", base[::-1], base, False),
        ("empty vs empty", [], [], True),
    ]
    failed = 0
    for name, finq, ref, expect in cases:
        diffs = compare_rows(finq, ref)
        ok = (not diffs) == expect
        failed += not ok
        print(f"{'pass' if ok else 'FAIL'}  {name}" + ("" if ok else f": {diffs}"))
    extra_run, extra_failed = self_test_report_lines()
    failed += extra_failed
    passed = len(cases) + extra_run - failed
    print(f"self-test: {passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


def self_test_report_lines():
    """Report wording, the cap on reported mismatches, and id resolution.
    Returns (checks run, checks failed)."""
    checks = []
    d = compare_rows([{"symbol": "X", "roe": 0.1234}], [{"symbol": "X", "roe": 0.1235}])
    checks.append(("mismatch line wording",
                   d == ["row 1 (X) column roe: finq 0.1234 vs duckdb 0.1235"], d))
    d = compare_rows([{"v": i + 0.5} for i in range(9)], [{"v": i} for i in range(9)])
    checks.append(("at most 5 mismatches reported", len(d) == 6 and d[-1] == "... and 4 more", d))
    names = ["q1_rank_industry", "q2_screen", "q3_group", "q4_series", "q5_window",
             "q6_score_one", "q7_score_industry", "q8_score_all", "q9_fscore"]
    got = (resolve_ids(["q7", "q1_rank_industry"], names), resolve_ids([], names),
           len(resolve_ids([], names, everything=True)))
    checks.append(("query ids", got == (["q1_rank_industry", "q7_score_industry"], names[:5], 9), got))
    failed = 0
    for name, ok, detail in checks:
        failed += not ok
        print(f"{'pass' if ok else 'FAIL'}  {name}" + ("" if ok else f": {detail}"))
    return len(checks), failed


# ---------------------------------------------------------------- main

def parse_args(argv):
    ap = argparse.ArgumentParser(description="Compare finq's benchmark answers with ref.py's.")
    ap.add_argument("data_dir", nargs="?", help="folder with companies.csv and metrics.csv")
    ap.add_argument("ids", nargs="*", help="query ids (q1 or q1_rank_industry); default q1-q5")
    ap.add_argument("--db", help="finq database holding DATA_DIR's data")
    ap.add_argument("--finq", default=DEFAULT_FINQ, help="finq binary (default %(default)s)")
    ap.add_argument("--ref", default=DEFAULT_REF, help="folder of ref.py (default %(default)s)")
    ap.add_argument("--all", action="store_true", help="compare q1-q9")
    ap.add_argument("--require-duckdb", action="store_true",
                    help="exit 2 instead of 0 when duckdb is not installed")
    ap.add_argument("--timeout", type=float, default=600, help="seconds per finq run")
    ap.add_argument("--self-test", action="store_true", help="test the comparator and exit")
    return ap.parse_intermixed_args(argv)  # ids may follow the options


def check_inputs(args):
    """Exit 2 with a message when an input is missing."""
    problems = []
    for f in ("companies.csv", "metrics.csv"):
        if not os.path.isfile(os.path.join(args.data_dir, f)):
            problems.append(f"no {f} in {args.data_dir}")
    if not os.path.exists(args.db):  # finq would silently create an empty one
        problems.append(f"no finq database at {args.db}")
    if not (os.path.isfile(args.finq) and os.access(args.finq, os.X_OK)):
        problems.append(f"no finq binary at {args.finq} (build it or pass --finq)")
    if problems:
        usage_error("\nerror: ".join(problems))


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.self_test:
        return self_test()
    if not args.data_dir or not args.db:
        usage_error("DATA_DIR and --db are required (or --self-test)")
    try:
        import duckdb  # noqa: F401
    except ImportError:
        print("duckdb is not installed (pip install duckdb): skipping")
        return 2 if args.require_duckdb else 0
    check_inputs(args)
    ref = load_ref(args.ref)
    names = resolve_ids(args.ids, list(queries(ref)), args.all)
    reference = Reference(ref, os.path.abspath(args.data_dir))
    results = [compare_query(n, reference, args.finq, args.db, args.timeout) for n in names]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
