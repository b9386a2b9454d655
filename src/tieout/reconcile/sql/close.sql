-- Month-end tie-out, job by job: every job that finished in the period (each work order
-- completed, closed or canceled, the last completed one inside the period), its quoted,
-- delivered, billed, credited and unbilled value in the reporting currency (every amount at
-- one rate, the period end's, from currency_rate: no gap is currency noise), the priced
-- changes between quoted and delivered, the active exceptions on its records and the
-- quarantined invoice rows that name it.
-- Reads :close_start, :close_end, :close_currency and the registered
-- table _close_active(id, explains): active exception ids and the difference each explains.
WITH rates AS (
    SELECT from_currency AS currency, rate
    FROM currency_rate
    WHERE to_currency = :close_currency
      AND :close_end BETWEEN valid_from AND valid_until
),
wo AS (
    SELECT w.*, j.job_key, j.quote_id,
           CAST(coalesce(w.completed_at, w.end_date) AS DATE) AS done_on,
           w.planned_value * r.rate AS value
    FROM work_order w
    JOIN work_order_job j ON j.work_order_id = w.id
    LEFT JOIN rates r ON r.currency = w.currency
),
jobs AS (
    SELECT job_key, any_value(quote_id) AS quote_id,
           max(done_on) FILTER (WHERE status IN ('completed', 'closed')) AS finished_on,
           min(source_system) AS source_system, min(account_native_id) AS account_native_id,
           list(work_order_number ORDER BY work_order_number) FILTER (WHERE status <> 'canceled')
               AS work_orders
    FROM wo
    GROUP BY job_key
    HAVING bool_and(status IN ('completed', 'closed', 'canceled'))
       AND max(done_on) FILTER (WHERE status IN ('completed', 'closed'))
           BETWEEN :close_start AND :close_end
),
lines AS (
    SELECT j.job_key, j.work_order_id, l.native_id, i.doc_type, l.currency,
           l.line_amount * r.rate AS value
    FROM job j
    JOIN jobs USING (job_key)
    JOIN invoice_line l ON l.id = j.invoice_line_id
    JOIN invoice i ON i.native_id = l.invoice_native_id AND i.source_system = l.source_system
    LEFT JOIN rates r ON r.currency = l.currency
    WHERE coalesce(i.status, '') NOT IN ('draft', 'voided', 'deleted')
),
billing AS (
    SELECT job_key,
           sum(value) FILTER (WHERE doc_type <> 'credit_note') AS billed,
           -sum(value) FILTER (WHERE doc_type = 'credit_note') AS credited,
           list(native_id ORDER BY native_id) AS invoice_lines
    FROM lines GROUP BY job_key
),
billed_work_orders AS (
    SELECT DISTINCT work_order_id FROM lines WHERE doc_type <> 'credit_note'
),
delivery AS (
    SELECT wo.job_key,
           sum(wo.value) FILTER (WHERE wo.status <> 'canceled') AS delivered,
           sum(wo.value) FILTER (WHERE wo.status <> 'canceled' AND bw.work_order_id IS NULL)
               AS unbilled
    FROM wo
    JOIN jobs USING (job_key)
    LEFT JOIN billed_work_orders bw ON bw.work_order_id = wo.id
    GROUP BY wo.job_key
),
unconverted AS (  -- amounts in a currency with no rate to the reporting one
    SELECT DISTINCT wo.currency FROM wo JOIN jobs USING (job_key)
    WHERE wo.value IS NULL AND wo.planned_value IS NOT NULL
    UNION
    SELECT currency FROM lines WHERE value IS NULL
    UNION
    SELECT q.currency FROM jobs j JOIN quote q ON q.id = j.quote_id
    LEFT JOIN rates r ON r.currency = q.currency
    WHERE q.currency <> :close_currency AND r.rate IS NULL AND q.total_price IS NOT NULL
),
changes AS (  -- priced scope amendments: delivered may exceed quoted by these
    SELECT wo.job_key,
           sum(c.value_delta * r.rate) AS changes
    FROM wo
    JOIN jobs USING (job_key)
    JOIN work_order_change c ON c.work_order_native_id = wo.native_id
         AND c.source_system = wo.source_system
    LEFT JOIN rates r ON r.currency = coalesce(c.currency, wo.currency)
    WHERE c.priced AND wo.status <> 'canceled'
    GROUP BY wo.job_key
),
records AS (  -- every source record of a job, to find the exceptions that name it
    SELECT source_system, source_object, native_id, job_key FROM wo
    UNION
    SELECT l.source_system, l.source_object, l.native_id, j.job_key
    FROM job j JOIN invoice_line l ON l.id = j.invoice_line_id
    UNION
    SELECT i.source_system, i.source_object, i.native_id, j.job_key
    FROM job j
    JOIN invoice_line l ON l.id = j.invoice_line_id
    JOIN invoice i ON i.native_id = l.invoice_native_id AND i.source_system = l.source_system
    UNION
    SELECT q.source_system, q.source_object, q.native_id, j.job_key
    FROM jobs j JOIN quote q ON q.id = j.quote_id
    UNION
    SELECT ql.source_system, ql.source_object, ql.native_id, j.job_key
    FROM jobs j
    JOIN quote q ON q.id = j.quote_id
    JOIN quote_line ql ON ql.quote_native_id = q.native_id AND ql.source_system = q.source_system
    UNION
    SELECT c.source_system, c.source_object, c.native_id, wo.job_key
    FROM wo
    JOIN work_order_change c ON c.work_order_native_id = wo.native_id
         AND c.source_system = wo.source_system
),
refs AS (
    SELECT e.id, unnest(from_json(e.source_refs,
               '[{"system": "VARCHAR", "object": "VARCHAR", "native_id": "VARCHAR"}]'), recursive := true)
    FROM exception e
),
explained AS (
    SELECT rec.job_key,
           list(DISTINCT a.id ORDER BY a.id) FILTER (WHERE a.explains = 'scope') AS scope_by,
           list(DISTINCT a.id ORDER BY a.id) FILTER (WHERE a.explains = 'billing') AS billing_by
    FROM refs
    JOIN records rec ON rec.source_system = refs.system AND rec.source_object = refs.object
         AND rec.native_id = refs.native_id
    JOIN _close_active a ON a.id = refs.id
    GROUP BY rec.job_key
),
unreadable AS (  -- quarantined invoice rows that name the job: its billing is not all known
    SELECT wo.job_key, list(DISTINCT u.source_file || ':' || u.source_row) AS rows
    FROM wo JOIN unreadable_billing u ON u.work_order_id = wo.id
    GROUP BY wo.job_key
)
SELECT j.job_key, x.golden_key AS account_key, coalesce(m.name, j.account_native_id) AS customer,
       j.finished_on, q.quote_number, j.work_orders, coalesce(b.invoice_lines, []) AS invoice_lines,
       CAST(round(q.total_price * qr.rate, 2) AS DECIMAL(18, 2)) AS quoted,
       CAST(round(coalesce(c.changes, 0), 2) AS DECIMAL(18, 2)) AS changes,
       CAST(round(coalesce(d.delivered, 0), 2) AS DECIMAL(18, 2)) AS delivered,
       CAST(round(coalesce(b.billed, 0), 2) AS DECIMAL(18, 2)) AS billed,
       CAST(round(coalesce(b.credited, 0), 2) AS DECIMAL(18, 2)) AS credited,
       CAST(round(coalesce(d.unbilled, 0), 2) AS DECIMAL(18, 2)) AS unbilled,
       coalesce(e.scope_by, []) AS scope_by, coalesce(e.billing_by, []) AS billing_by,
       coalesce(list_sort(u.rows), []) AS unreadable,
       (SELECT list(currency ORDER BY currency) FROM unconverted) AS unconverted
FROM jobs j
JOIN delivery d USING (job_key)
LEFT JOIN billing b USING (job_key)
LEFT JOIN changes c USING (job_key)
LEFT JOIN quote q ON q.id = j.quote_id
LEFT JOIN rates qr ON qr.currency = q.currency
LEFT JOIN explained e USING (job_key)
LEFT JOIN unreadable u USING (job_key)
LEFT JOIN customer_key x ON x.source_system = j.source_system
     AND x.native_id = j.account_native_id
LEFT JOIN customer_master m ON m.golden_key = x.golden_key
ORDER BY account_key NULLS LAST, j.finished_on, j.job_key
