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
    WHERE rate_date <= getvariable('facts_as_of') AND from_currency <> to_currency
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
      SELECT getvariable('facts_currency')) c
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
