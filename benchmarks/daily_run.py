"""A daily run at a given demo scale, beside hand-written DuckDB SQL of six billing checks.

    .venv/bin/python benchmarks/daily_run.py --scale 100

The daily run is the second `tieout run` over unchanged files: landing cached, the saved
match model reused, everything rebuilt into a fresh snapshot. The floor is what an analyst
would write by hand in DuckDB over the same exports (typed once, untimed): unbilled work,
invoices without work, duplicate invoices, price variance, deeper discounts and jobs below
the margin floor, with work-order numbers pulled out of invoice references. It checks less
(exact customer names, one reference style) and records nothing, so it is a floor, not an
equal. Each side runs in its own process; the figures go in the README.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from bench_common import demo_project, measure

TIEOUT_RUN = """
import json, resource, sys, time
from pathlib import Path
from tieout import pipeline
from tieout.config import load_project
t = time.perf_counter()
summary = pipeline.run(load_project(Path(sys.argv[1])))
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"seconds": time.perf_counter() - t, "stages": summary.stage_seconds,
                  "exceptions": sum(summary.reconcile.by_rule.values()),
                  "landing_cached": sum(f.cached for f in summary.ingest.files),
                  "files": len(summary.ingest.files),
                  "restored": len(summary.ingest.sources_restored),
                  "sources": len({f.source for f in summary.ingest.files}),
                  "cpu_seconds": usage.ru_utime + usage.ru_stime,
                  "peak_mib": usage.ru_maxrss / 1024}))
"""

GENERATE = """
import json, resource, sys, time
from pathlib import Path
from tieout.demo.generate import generate
t = time.perf_counter()
generate(Path(sys.argv[1]), scale=float(sys.argv[2]), seed=int(sys.argv[3]))
print(json.dumps({"seconds": time.perf_counter() - t,
                  "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

HAND_SQL = r"""
import csv, json, sys, time
import duckdb
exports, as_of = sys.argv[1], sys.argv[2]
con = duckdb.connect()
con.execute("SET memory_limit = '4GB'")

def read(pattern, columns):
    # headers differ by file (Xero's '*' marks); take what each file calls the column
    parts = []
    import glob
    for path in sorted(glob.glob(f"{exports}/{pattern}")):
        for encoding in ("utf-8", "latin-1"):
            try:
                with open(path, encoding=encoding, newline="") as fh:
                    header = [h.lstrip("\ufeff") for h in next(csv.reader(fh))]
                break
            except UnicodeDecodeError:
                continue
        names = {h.lstrip("*"): h for h in header}
        select = ", ".join(f'"{names[c]}" AS "{c}"' for c in columns)
        parts.append(
            f"SELECT {select} FROM read_csv('{path}', all_varchar = true, header = true, "
            f"ignore_errors = true, encoding = '{encoding}', parallel = false)"
        )
    return " UNION ALL ".join(parts)

def money(c):
    return f"TRY_CAST(replace(\"{c}\", ',', '') AS DECIMAL(18, 2))"

staging = {
    "wo": f'''SELECT Id AS id, TRY_CAST(WorkOrderNumber AS BIGINT) AS num, AccountId AS account,
                lower(Status) AS status, {money("TotalPrice")} AS value, Quote__c AS quote,
                CAST(TRY_CAST(Completed_Date__c AS TIMESTAMP) AS DATE) AS completed
              FROM ({read("salesforce/WorkOrder.csv", ["Id", "WorkOrderNumber", "AccountId",
                    "Status", "TotalPrice", "Quote__c", "Completed_Date__c"])})''',
    "ql": f'''SELECT QuoteId AS quote, upper(ProductCode) AS product, Id AS id,
                {money("UnitPrice")} AS unit, coalesce({money("Discount")}, 0) AS discount
              FROM ({read("salesforce/QuoteLineItem.csv", ["Id", "QuoteId", "ProductCode",
                    "UnitPrice", "Discount"])})''',
    "account": f'''SELECT Id AS id, Name AS name
              FROM ({read("salesforce/Account.csv", ["Id", "Name"])})''',
    "contract": f'''SELECT AccountId AS account, TRY_CAST(StartDate AS DATE) AS starts,
                TRY_CAST(EndDate AS DATE) AS ends
              FROM ({read("salesforce/Contract.csv", ["AccountId", "StartDate", "EndDate"])})''',
    "line": f'''SELECT InvoiceNumber AS invoice, ContactName AS contact, Reference AS reference,
                TRY_STRPTIME(InvoiceDate, '%d/%m/%Y')::DATE AS day, {money("Total")} AS total,
                upper(InventoryItemCode) AS product, Description AS descr,
                TRY_CAST(Quantity AS DECIMAL(18, 4)) AS qty,
                TRY_CAST(replace(UnitAmount, ',', '') AS DECIMAL(18, 4)) AS unit,
                coalesce(TRY_CAST(Discount AS DECIMAL(9, 4)), 0) AS discount,
                {money("LineAmount")} AS amount, Currency AS currency, lower(Type) AS type,
                lower(Status) AS status,
                TRY_CAST(regexp_extract(coalesce(Reference, '') || ' ' || coalesce(Description, ''),
                         '(?i)(?:^|[^a-z])wo[- ]?0*([0-9]+)', 1) AS BIGINT) AS wo_num
              FROM ({read("xero/*.csv", ["InvoiceNumber", "ContactName", "Reference",
                    "InvoiceDate", "Total", "InventoryItemCode", "Description", "Quantity",
                    "UnitAmount", "Discount", "LineAmount", "Currency", "Type", "Status"])})''',
    "cost": f'''SELECT TRY_CAST(regexp_extract("Project Code", '([0-9]+)', 1) AS BIGINT) AS wo_num,
                {money("Cost Amount")} AS cost
              FROM ({read("harvest/*.csv", ["Project Code", "Cost Amount"])})''',
}
for name, sql in staging.items():
    con.execute(f"CREATE TABLE {name} AS {sql}")

live = "status NOT IN ('voided', 'deleted', 'draft')"
checks = {
    "unbilled_work": f'''
        SELECT w.id FROM wo w
        WHERE w.status IN ('completed', 'closed') AND w.completed < DATE '{as_of}' - 14
          AND NOT EXISTS (SELECT 1 FROM line l WHERE l.wo_num = w.num AND l.{live})''',
    "invoice_without_work": f'''
        SELECT l.invoice FROM line l
        LEFT JOIN account a ON a.name = l.contact
        WHERE l.type = 'sales invoice' AND l.{live}
        GROUP BY l.invoice, a.id, l.day
        HAVING bool_and(l.wo_num IS NULL OR l.wo_num NOT IN (SELECT num FROM wo))
           AND NOT EXISTS (SELECT 1 FROM contract c WHERE c.account = a.id
                           AND l.day BETWEEN c.starts AND coalesce(c.ends, DATE '9999-12-31'))''',
    "duplicate_invoice": f'''
        WITH credited AS (
            SELECT DISTINCT regexp_extract(descr, 'INV-[0-9]+') AS invoice FROM line
            WHERE type = 'sales credit note'),
        inv AS (
            SELECT DISTINCT invoice, contact, currency, total, day FROM line
            WHERE type = 'sales invoice' AND {live}
              AND invoice NOT IN (SELECT invoice FROM credited WHERE invoice IS NOT NULL))
        SELECT a.invoice, b.invoice FROM inv a JOIN inv b
          ON a.contact = b.contact AND a.currency = b.currency AND a.total = b.total
         AND a.invoice < b.invoice AND abs(date_diff('day', a.day, b.day)) <= 7''',
    "price_variance": f'''
        SELECT l.invoice, q.id FROM line l
        JOIN wo w ON w.num = l.wo_num JOIN ql q ON q.quote = w.quote AND q.product = l.product
        WHERE l.type = 'sales invoice' AND l.{live} AND q.unit > 0
          AND abs(l.unit - q.unit) * 100 > q.unit * 2''',
    "discount_after_quote": f'''
        SELECT l.invoice, q.id FROM line l
        JOIN wo w ON w.num = l.wo_num JOIN ql q ON q.quote = w.quote AND q.product = l.product
        WHERE l.type = 'sales invoice' AND l.{live} AND l.discount > q.discount''',
    "margin_below_floor": f'''
        WITH revenue AS (
            SELECT wo_num, sum(amount) AS revenue FROM line WHERE {live} GROUP BY wo_num),
        cost AS (SELECT wo_num, sum(cost) AS cost FROM cost GROUP BY wo_num)
        SELECT w.id FROM wo w JOIN revenue r ON r.wo_num = w.num JOIN cost c ON c.wo_num = w.num
        WHERE w.status IN ('completed', 'closed') AND r.revenue > 0
          AND (r.revenue - c.cost) / r.revenue < 0.15''',
}
seconds, found = {}, {}
for name, sql in checks.items():
    t = time.perf_counter()
    found[name] = con.execute(f"SELECT count(*) FROM ({sql})").fetchone()[0]
    seconds[name] = time.perf_counter() - t
print(json.dumps({"seconds": seconds, "found": found}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=100)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/tieout-bench"))
    args = parser.parse_args()

    from tieout.config import load_project

    target = args.workdir / f"scale-{args.scale:g}"
    if not (target / "truth.json").exists():  # generated in its own process: its own peak
        made = measure(GENERATE, str(target), str(args.scale), str(args.seed))
        print(
            f"generated scale {args.scale:g} in {made['seconds']:.1f}s, "
            f"peak {made['peak_mib']:,.0f} MiB",
            flush=True,
        )
    project = demo_project(args.workdir, args.scale, args.seed)
    as_of = str(load_project(project).config.as_of)

    first = measure(TIEOUT_RUN, str(project))  # lands the files, trains the model if none
    print(f"first run {first['seconds']:.1f}s", flush=True)
    daily = measure(TIEOUT_RUN, str(project))
    hand = measure(HAND_SQL, str(project / "exports"), as_of)

    stages: dict[str, float] = daily["stages"]  # type: ignore[assignment]
    checks: dict[str, float] = hand["seconds"]  # type: ignore[assignment]
    found: dict[str, int] = hand["found"]  # type: ignore[assignment]
    floor = sum(checks.values())
    print(
        f"\nscale {args.scale:g}; first run {first['seconds']:.1f}s (landing, models), "
        f"peak {first['peak_mib']:,.0f} MiB"
    )
    for stage, secs in first["stages"].items():  # type: ignore[attr-defined]
        print(f"  {stage:12}{secs:8.1f}s")
    print(
        f"daily run {daily['seconds']:.1f}s ({daily['cpu_seconds']:.1f} CPU-s, all threads), "
        f"peak {daily['peak_mib']:,.0f} MiB"
    )
    for stage, secs in stages.items():
        print(f"  {stage:12}{secs:8.1f}s")
    print(
        f"  landing cached for {daily['landing_cached']} of {daily['files']} files; "
        f"{daily['restored']} of {daily['sources']} sources restored from the typed cache"
    )
    print(f"  exceptions found: {daily['exceptions']:,}")
    print("\nhand-written DuckDB SQL over the same exports (typed beforehand, untimed):")
    for name, secs in checks.items():
        print(f"  {name:22}{secs:8.2f}s{found[name]:>10,} rows")
    print(f"  {'six checks':22}{floor:8.2f}s")
    ratio = stages["reconcile"] / floor
    print(
        f"\nreconcile stage / hand-written floor: {stages['reconcile']:.1f}s / {floor:.2f}s = "
        f"{ratio:.2f}x (goal <= 1.5x)"
    )


if __name__ == "__main__":
    main()
