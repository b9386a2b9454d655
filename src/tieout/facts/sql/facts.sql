-- Facts: the shared ideas later stages read, built once per run right after match. With the
-- match stage, this file is the only reader of xref (golden keys) and fx_rate (dated rates).
-- Variables: facts_as_of (the run's as-of date: a rate dated after it is not known yet) and
-- facts_currency (the reporting currency). Input: _facts_currency (every currency a table
-- names, facts/__init__.py).

-- A record's customer: one golden key per (system, native id) that names a customer, whatever
-- object it came from (a CRM account id, a contact name on an invoice, a client on a time
-- sheet). Readers join on the column that names the customer in their own table.
DELETE FROM customer_key;
INSERT INTO customer_key BY NAME
SELECT source_system, native_id, min(golden_key) AS golden_key
FROM xref
WHERE entity_type = 'customer'
GROUP BY source_system, native_id;

-- A golden customer's master CRM record: what pages, rules and metrics show for it.
DELETE FROM customer_master;
INSERT INTO customer_master BY NAME
SELECT x.golden_key,
       any_value(a.name ORDER BY a.native_id) AS name,
       any_value(coalesce(a.region, a.country) ORDER BY a.native_id) AS region,
       any_value(lower(a.tier) ORDER BY a.native_id) AS tier,
       any_value(p.name ORDER BY a.native_id) AS owner
FROM xref x
JOIN account a ON a.source_system = x.source_system AND a.source_object = x.source_object
     AND a.native_id = x.native_id
LEFT JOIN person p ON p.source_system = a.source_system AND p.native_id = a.owner_native_id
WHERE x.entity_type = 'customer' AND x.method = 'master'
GROUP BY x.golden_key;

DELETE FROM product_key;
INSERT INTO product_key BY NAME
SELECT source_system, native_id, min(golden_key) AS golden_key
FROM xref
WHERE entity_type = 'product'
GROUP BY source_system, native_id;

DELETE FROM person_key;
INSERT INTO person_key BY NAME
SELECT source_system, native_id, min(golden_key) AS golden_key,
       bool_or(method = 'master') AS is_master
FROM xref
WHERE entity_type = 'person'
GROUP BY source_system, native_id;

-- The rate for a currency pair on any day, written once: the latest rate on or before the
-- day, else the first one after it, as validity ranges (valid_from to valid_until, both
-- days included) that a plain range join reads: day BETWEEN valid_from AND valid_until (no
-- ASOF join, so every engine runs it the same). Only rates dated on or
-- before the as-of date count, so a run is reproducible for its as-of date however many
-- newer rates arrive later; two rates for one pair and day: the higher, so the choice
-- never depends on load order. From a currency to itself the rate is 1, on every day.
DELETE FROM currency_rate;
INSERT INTO currency_rate BY NAME
WITH known AS (
    SELECT from_currency, to_currency, rate_date, max(rate) AS rate
    FROM fx_rate
    WHERE rate_date <= :facts_as_of AND from_currency <> to_currency
    GROUP BY from_currency, to_currency, rate_date
)
SELECT from_currency, to_currency,
       CASE WHEN row_number() OVER (PARTITION BY from_currency, to_currency ORDER BY rate_date) = 1
            THEN DATE '0001-01-01' ELSE rate_date END AS valid_from,
       coalesce(lead(rate_date) OVER (PARTITION BY from_currency, to_currency ORDER BY rate_date)
                - 1, DATE '9999-12-31') AS valid_until,
       rate
FROM known
UNION ALL
SELECT currency AS from_currency, currency AS to_currency, DATE '0001-01-01' AS valid_from,
       DATE '9999-12-31' AS valid_until, CAST(1 AS DECIMAL(18, 8)) AS rate
FROM (SELECT currency FROM _facts_currency
      UNION
      SELECT :facts_currency) c
WHERE currency IS NOT NULL;

-- A work order's job (its quote's id, else its own: the key the job table gives it) and its
-- customer, one row per work order, so no reader rebuilds the job key from job.
DELETE FROM work_order_job;
INSERT INTO work_order_job BY NAME
SELECT w.id AS work_order_id, coalesce(j.job_key, w.id) AS job_key, j.quote_id,
       k.golden_key AS account_key
FROM work_order w
LEFT JOIN (SELECT work_order_id, min(job_key) AS job_key, min(quote_id) AS quote_id
           FROM job WHERE work_order_id IS NOT NULL GROUP BY work_order_id) j
     ON j.work_order_id = w.id
LEFT JOIN customer_key k ON k.source_system = w.source_system
     AND k.native_id = w.account_native_id;

-- Per work order, per invoice, per quoted invoice line and per job: the figures exception
-- rules test (a rule's `subject:`), each row with the source records it stands for (refs).
-- An invoice counts as billing unless it is a draft, voided or deleted.
DELETE FROM work_order_fact;
INSERT INTO work_order_fact BY NAME
WITH billed AS (
    SELECT DISTINCT j.work_order_id
    FROM job j
    JOIN invoice_line l ON l.id = j.invoice_line_id
    JOIN invoice i ON i.native_id = l.invoice_native_id AND i.source_system = l.source_system
    WHERE j.work_order_id IS NOT NULL AND coalesce(i.status, '') NOT IN ('voided', 'deleted', 'draft')
),
unreadable AS (
    SELECT DISTINCT work_order_id FROM unreadable_billing
)
SELECT w.id AS work_order_id, w.work_order_number, k.job_key, k.account_key, w.status,
       CAST(w.completed_at AS DATE) AS completed_on, w.planned_value, w.currency,
       b.work_order_id IS NOT NULL AS billed,
       u.work_order_id IS NOT NULL AS billing_unreadable,
       [{'system': w.source_system, 'object': w.source_object, 'native_id': w.native_id}] AS refs
FROM work_order w
JOIN work_order_job k ON k.work_order_id = w.id
LEFT JOIN billed b ON b.work_order_id = w.id
LEFT JOIN unreadable u ON u.work_order_id = w.id;

DELETE FROM invoice_fact;
INSERT INTO invoice_fact BY NAME
WITH customer AS (
    SELECT i.id, k.golden_key AS account_key
    FROM invoice i
    LEFT JOIN customer_key k ON k.source_system = i.source_system
         AND k.native_id = coalesce(i.account_native_id, i.customer_name)
),
billing_work AS (  -- invoices one of whose lines is linked to a work order
    SELECT DISTINCT l.source_system, l.invoice_native_id
    FROM invoice_line l
    JOIN job j ON j.invoice_line_id = l.id
    WHERE j.work_order_id IS NOT NULL
),
contracted AS (  -- invoices dated while a contract of their customer runs
    SELECT DISTINCT i.id
    FROM invoice i
    JOIN customer c ON c.id = i.id
    JOIN customer_key ck ON ck.golden_key = c.account_key
    JOIN contract t ON t.source_system = ck.source_system AND t.account_native_id = ck.native_id
    WHERE lower(coalesce(t.status, '')) NOT IN ('draft', 'in approval process', 'rejected',
                                                'cancelled', 'canceled')
      AND i.invoice_date BETWEEN t.start_date AND coalesce(t.end_date, DATE '9999-12-31')
)
SELECT i.id AS invoice_id, i.invoice_number, i.doc_type, i.status, i.invoice_date, i.total,
       i.currency, c.account_key,
       w.invoice_native_id IS NOT NULL AS bills_work_order,
       t.id IS NOT NULL AS under_contract,
       [{'system': i.source_system, 'object': i.source_object, 'native_id': i.native_id}] AS refs
FROM invoice i
JOIN customer c ON c.id = i.id
LEFT JOIN billing_work w ON w.source_system = i.source_system
     AND w.invoice_native_id = i.native_id
LEFT JOIN contracted t ON t.id = i.id;

-- An invoice line against the quote line it bills (invoice_quote_line, built by match), both
-- lines and both documents known: the prices, quantities and discounts of each, the
-- invoice's number, type and status, and the quote's customer.
DELETE FROM invoice_quote_line_fact;
INSERT INTO invoice_quote_line_fact BY NAME
SELECT p.invoice_line_id, p.quote_line_id, i.invoice_number, i.doc_type, i.status,
       l.quantity, l.unit_price, l.discount_pct, l.line_amount, l.currency,
       ql.quantity AS quoted_quantity, ql.unit_price AS quoted_unit_price,
       ql.discount_pct AS quoted_discount_pct, ql.currency AS quoted_currency,
       q.id AS quote_id, q.quote_number, k.golden_key AS account_key,
       [{'system': l.source_system, 'object': l.source_object, 'native_id': l.native_id},
        {'system': ql.source_system, 'object': ql.source_object, 'native_id': ql.native_id}] AS refs
FROM invoice_quote_line p
JOIN invoice_line l ON l.id = p.invoice_line_id
JOIN invoice i ON i.native_id = l.invoice_native_id AND i.source_system = l.source_system
JOIN quote_line ql ON ql.id = p.quote_line_id
JOIN quote q ON q.native_id = ql.quote_native_id AND q.source_system = ql.source_system
LEFT JOIN customer_key k ON k.source_system = q.source_system
     AND k.native_id = q.account_native_id;

-- A job is finished once every work order is completed or closed, or canceled: from the day
-- the last of them was completed (0001-01-01 when all were canceled). A work order that does
-- not say (no status, or completed with no date) is passed over; one that says nothing at
-- all leaves its job unfinished.
DELETE FROM job_fact;
INSERT INTO job_fact BY NAME
WITH work AS (
    SELECT w.*, k.job_key, k.account_key,
           CASE WHEN w.status = 'canceled' THEN 'canceled'
                WHEN w.status IN ('completed', 'closed') AND w.completed_at IS NOT NULL THEN 'ended'
                WHEN w.status NOT IN ('completed', 'closed') THEN 'open'
           END AS state
    FROM work_order w
    JOIN work_order_job k ON k.work_order_id = w.id
),
jobs AS (
    SELECT job_key, min(account_key) AS account_key, min(currency) AS currency,
           count(*) AS work_orders,
           CASE WHEN count(state) > 0 AND count(*) FILTER (WHERE state = 'open') = 0
                THEN coalesce(max(CAST(completed_at AS DATE)) FILTER (WHERE state = 'ended'),
                              DATE '0001-01-01')
           END AS finished_on,
           list({'system': source_system, 'object': source_object, 'native_id': native_id}
                ORDER BY native_id) AS work_order_refs
    FROM work
    GROUP BY job_key
),
revenue AS (
    SELECT j.job_key, sum(l.line_amount) AS revenue
    FROM job j
    JOIN invoice_line l ON l.id = j.invoice_line_id
    JOIN invoice i ON i.native_id = l.invoice_native_id AND i.source_system = l.source_system
    WHERE coalesce(i.status, '') NOT IN ('draft', 'voided', 'deleted')
    GROUP BY j.job_key
),
time_cost AS (
    SELECT w.job_key, sum(t.cost_amount) AS time_cost
    FROM work_order_time t
    JOIN work w ON w.id = t.work_order_id
    GROUP BY w.job_key
),
unreadable AS (
    SELECT DISTINCT w.job_key FROM work w JOIN unreadable_billing u ON u.work_order_id = w.id
)
SELECT j.job_key, q.id AS quote_id, j.account_key, j.currency, j.work_orders, j.finished_on,
       r.revenue, c.time_cost, u.job_key IS NOT NULL AS billing_unreadable,
       CASE WHEN q.id IS NULL THEN j.work_order_refs
            ELSE list_concat([{'system': q.source_system, 'object': q.source_object,
                               'native_id': q.native_id}], j.work_order_refs)
       END AS refs
FROM jobs j
LEFT JOIN quote q ON q.id = j.job_key
LEFT JOIN revenue r ON r.job_key = j.job_key
LEFT JOIN time_cost c ON c.job_key = j.job_key
LEFT JOIN unreadable u ON u.job_key = j.job_key;
