#!/usr/bin/env python3
"""Runs finq's SQL translations in one engine and compares each answer with finq's own.

usage: compare.py duckdb|spark EXPORT_DIR CASES.json [EXPORT_DIR CASES.json ...]

Each CASES.json runs over the views of the export before it. It is a list of {"name", "finq": the text finq --format json prints (row objects),
"sql": the query of `finq sql`}. Every case runs; the script prints one line per case and
exits 1 if any answer differs (rows, order, column names, values within 1e-9 relative).
Spark runs in local mode with a single session for all cases and exports.
"""
import json
import math
import sys
import time


def close(a, b):
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, str) or isinstance(b, str):
        return str(a) == str(b)
    a, b = float(a), float(b)
    return a == b or abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


def compare(name, finq, columns, rows):
    if not finq:
        if rows:
            return f"{name}: finq has no rows, the engine {len(rows)}"
        return None
    want_cols = list(finq[0].keys())
    if want_cols != columns:
        return f"{name}: columns differ: finq {want_cols}, engine {columns}"
    if len(finq) != len(rows):
        return f"{name}: finq has {len(finq)} rows, the engine {len(rows)}"
    for i, (w, r) in enumerate(zip(finq, rows)):
        for c, v in zip(columns, r):
            if isinstance(v, float) and math.isnan(v):
                v = None
            if hasattr(v, "isoformat"):
                v = v.isoformat()
            if not close(w[c], v):
                return f"{name}: row {i + 1} column {c}: finq {w[c]!r}, engine {v!r}"
    return None


def main():
    engine = sys.argv[1]
    sets = list(zip(sys.argv[2::2], sys.argv[3::2]))
    if engine == "duckdb":
        import duckdb

        con = duckdb.connect()

        def register(export):
            con.execute(f"CREATE OR REPLACE VIEW companies AS SELECT * FROM read_parquet('{export}/companies.parquet')")
            con.execute(
                f"CREATE OR REPLACE VIEW points AS SELECT * FROM read_parquet('{export}/points/*/*.parquet', hive_partitioning = true)"
            )

        def run(sql):
            cur = con.execute(sql)
            return [d[0] for d in cur.description], cur.fetchall()
    else:
        from pyspark.sql import SparkSession

        spark = (
            SparkSession.builder.master("local[2]")
            .appName("finq-sql")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", "1")
            .config("spark.default.parallelism", "1")
            .config("spark.driver.memory", "1g")
            # Small data, big plans: a scorecard query has dozens of stages over a few MB.
            # Adaptive execution re-plans the rest of the query after every stage, and code
            # generation compiles every stage; both cost more CPU than the data here (q8's
            # CPU time in the JVM: 65 s with them, 30 s without, on 2,000 companies).
            .config("spark.sql.adaptive.enabled", "false")
            .config("spark.sql.codegen.wholeStage", "false")
            .config("spark.sql.codegen.factoryMode", "NO_CODEGEN")
            .getOrCreate()
        )
        spark.sparkContext.setLogLevel("ERROR")
        cached = []

        def register(export):
            for old in cached:
                old.unpersist()
            spark.read.parquet(f"{export}/companies.parquet").createOrReplaceTempView("companies")
            # Read once into memory: every query scans points several times.
            points = spark.read.parquet(f"{export}/points").cache()
            points.count()
            points.createOrReplaceTempView("points")
            cached[:] = [points]

        def run(sql):
            df = spark.sql(sql)
            return df.columns, [tuple(r) for r in df.collect()]

    failures = 0
    for export, cases_path in sets:
        register(export)
        cases = json.load(open(cases_path))
        for case in cases:
            case["finq"] = json.loads(case["finq"])
            started = time.time()
            try:
                columns, rows = run(case["sql"])
                problem = compare(case["name"], case["finq"], columns, rows)
            except Exception as e:  # an engine error is a failed case, reported with its name
                problem = f"{case['name']}: the engine failed: {str(e).splitlines()[0]}"
            if problem:
                failures += 1
                print("DIFFERS " + problem, flush=True)
            else:
                took = time.time() - started
                print(f"same    {case['name']}: {len(case['finq'])} rows, {took:.1f} s", flush=True)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
