-- Job tables from the job model's links (jobs.py): _match_wo_quote (work order -> quote)
-- and _match_line_wo (invoice line -> work order), each with its method, confidence and
-- evidence. Credit notes follow the invoice they credit; time entries, quote lines and
-- unreadable billing hang off the same keys.

-- A credit note line that names the invoice it credits follows that invoice's work order
-- (the line of it with the same product, else the same price, else its first), whatever the
-- model made of the credit's own words; a person's decision or a named work order stand.
CREATE OR REPLACE TEMP TABLE _job_credited AS
WITH credited AS (
    SELECT l.line_id, l.products, l.prices, unnest(l.invoice_refs) AS invoice_number
    FROM _match_job_line l
    WHERE l.doc_type = 'credit_note' AND l.line_id NOT IN (
        SELECT line_id FROM _match_line_wo WHERE method IN ('decision', 'wo_reference'))
),
original AS (
    SELECT c.line_id, lw.wo_id,
           row_number() OVER (
               PARTITION BY c.line_id
               ORDER BY list_has_any(c.products, o.products) DESC,
                        list_has_any(c.prices, o.prices) DESC, o.line_id
           ) AS rnk
    FROM credited c
    JOIN _match_job_line o ON upper(o.invoice_number) = upper(c.invoice_number)
         AND o.doc_type <> 'credit_note'
    JOIN _match_line_wo lw ON lw.line_id = o.line_id
)
SELECT line_id, wo_id FROM original WHERE rnk = 1;

DELETE FROM _match_line_wo WHERE line_id IN (SELECT line_id FROM _job_credited);
INSERT INTO _match_line_wo
SELECT line_id, wo_id, 'credit_note', 0.9,
       '{"credits": {"level": "the invoice it credits is on this work order", "weight": null}}'
FROM _job_credited;

DELETE FROM job;
INSERT INTO job (job_key, quote_id, work_order_id, invoice_line_id, method, confidence,
                 evidence)
SELECT coalesce(wq.quote_id, w.wo_id), wq.quote_id, w.wo_id, lw.line_id,
       'line:' || lw.method || coalesce('; quote:' || wq.method, ''),
       CAST(round(100 * least(lw.confidence, coalesce(wq.confidence, 1.0)), 4) AS DECIMAL(9, 4)),
       '{"line": ' || lw.evidence || coalesce(', "quote": ' || wq.evidence, '') || '}'
FROM _match_line_wo lw
JOIN _match_job_wo w ON w.wo_id = lw.wo_id
LEFT JOIN _match_wo_quote wq ON wq.wo_id = w.wo_id
UNION ALL
SELECT coalesce(wq.quote_id, w.wo_id), wq.quote_id, w.wo_id, NULL,
       coalesce('quote:' || wq.method, 'work order only'),
       CAST(round(100 * coalesce(wq.confidence, 1.0), 4) AS DECIMAL(9, 4)),
       '{' || coalesce('"quote": ' || wq.evidence, '') || '}'
FROM _match_job_wo w
LEFT JOIN _match_wo_quote wq ON wq.wo_id = w.wo_id
WHERE w.wo_id NOT IN (SELECT wo_id FROM _match_line_wo)
ORDER BY 1, 3, 4;

-- Time entries -> work order: the work order its project code names with a prefix or
-- Salesforce's padding ("WO-00012345", "00012345"), else one work order of the same customer
-- whose number its project code or name holds in any form ("J12345", "12345 Energy audit"),
-- else the one work order of the same customer, near its dates, whose subject names the
-- same service as the project ("Lone Star - Annual servicing", "Annual servicing for Lone
-- Star (Q702001) - phase 1 of 2": a reference or a phase is not the service, though a
-- project that names its phase or number names that one's); of several, the one whose
-- dates the entry falls within, where that is one.
DELETE FROM job_time;
INSERT INTO job_time (time_entry_id, work_order_id, method, hours, cost_amount, person_name,
                      entry_date)
WITH entries AS (
    SELECT t.id AS time_entry_id, t.hours, t.cost_amount, t.person_name, t.entry_date,
           t.project_code, lower(trim(t.project_name)) AS project, tx.golden_key,
           _job_service(t.project_name, t.customer_name) AS service,
           _job_marks(t.project_name) AS marks, t.customer_name
    FROM time_entry t
    LEFT JOIN xref tx ON tx.entity_type = 'customer' AND tx.source_system = t.source_system
         AND tx.native_id = t.customer_name
),
coded AS (
    SELECT t.*, w.wo_id
    FROM entries t
    JOIN _match_job_wo w ON w.number = coalesce(list_extract(_match_wo_refs(t.project_code), 1),
                                                list_extract(_match_bare_refs(t.project_code), 1))
),
numbered AS (
    SELECT t.*, w.wo_id, count(DISTINCT w.wo_id) OVER (PARTITION BY t.time_entry_id) AS candidates
    FROM (SELECT *, unnest(_job_numbers(concat_ws(' ', project_code, project))) AS number
          FROM entries WHERE time_entry_id NOT IN (SELECT time_entry_id FROM coded)) t
    JOIN _match_job_wo w ON w.number = t.number AND w.golden_key = t.golden_key
),
-- each work order's service as its customer's time sheets would name it (without the name
-- they give the customer), worked out once per work order and name, not once per entry
wo_service AS (
    SELECT w.wo_id, w.golden_key, w.started_on, w.finished_on, n.customer_name,
           _job_service(w.subject, n.customer_name) AS service, _job_marks(w.subject) AS marks
    FROM _match_job_wo w
    JOIN (SELECT DISTINCT golden_key, customer_name FROM entries) n ON n.golden_key = w.golden_key
),
by_project AS (
    SELECT t.*, w.wo_id, t.entry_date BETWEEN w.started_on AND w.finished_on AS within,
           len(list_distinct(w.marks)) = len(list_distinct(t.marks)) AS exact
    FROM entries t
    JOIN wo_service w ON w.golden_key = t.golden_key AND w.customer_name = t.customer_name
         AND w.service = t.service AND len(t.service) > 0
         AND len(list_filter(t.marks, lambda x: NOT list_contains(w.marks, x))) = 0
         AND t.entry_date BETWEEN w.started_on - 14 AND w.finished_on + 30
    WHERE t.time_entry_id NOT IN (SELECT time_entry_id FROM coded)
      AND t.time_entry_id NOT IN (SELECT time_entry_id FROM numbered WHERE candidates = 1)
),
-- a work order whose marks are the project's own ("Cloud readiness assessment", not "(2)")
-- over those that have more ("phase 1 of 2", where the time sheet leaves the phase out)
by_marks AS (
    SELECT *, bool_or(exact) OVER (PARTITION BY time_entry_id) AS any_exact FROM by_project
),
by_service AS (
    SELECT *, count(*) OVER (PARTITION BY time_entry_id) AS candidates,
           count(*) FILTER (WHERE within) OVER (PARTITION BY time_entry_id) AS candidates_within
    FROM by_marks WHERE exact OR NOT any_exact
)
SELECT time_entry_id, wo_id, 'project_code', hours, cost_amount, person_name, entry_date
FROM coded
UNION ALL
SELECT DISTINCT time_entry_id, wo_id, 'project_number', hours, cost_amount, person_name, entry_date
FROM numbered WHERE candidates = 1
UNION ALL
SELECT time_entry_id, wo_id, 'project', hours, cost_amount, person_name, entry_date
FROM by_service WHERE candidates = 1 OR (within AND candidates_within = 1)
ORDER BY 1;

DELETE FROM work_order_time;
INSERT INTO work_order_time (work_order_id, hours, cost_amount, entries)
SELECT work_order_id, sum(hours), sum(cost_amount), count(*)
FROM job_time GROUP BY work_order_id ORDER BY 1;

-- Invoice line -> quote line: the line of its job's quote for the same product (golden
-- product keys: an item code, a code typed into the description, the catalogue's id), the
-- same currency first, then the nearest unit price (a product may be quoted twice).
DELETE FROM invoice_quote_line;
INSERT INTO invoice_quote_line (invoice_line_id, quote_line_id)
WITH billed AS (
    SELECT l.id, l.unit_price, l.currency, j.quote_id, unnest(m.products) AS product
    FROM job j
    JOIN invoice_line l ON l.id = j.invoice_line_id
    JOIN _match_job_line m ON m.line_id = l.id
    WHERE j.quote_id IS NOT NULL
),
quoted AS (
    SELECT q.id AS quote_id, ql.product, ql.id, ql.unit_price, ql.currency
    FROM quote q
    JOIN _job_quote_line ql ON ql.quote_native_id = q.native_id
         AND ql.source_system = q.source_system
)
SELECT b.id, q.id
FROM billed b JOIN quoted q ON q.quote_id = b.quote_id AND q.product = b.product
QUALIFY row_number() OVER (
    PARTITION BY b.id
    ORDER BY b.currency IS DISTINCT FROM q.currency, abs(b.unit_price - q.unit_price) NULLS LAST, q.id
) = 1
ORDER BY 1;

-- Work orders a quarantined invoice row names, by a reference typed into it or by the
-- number of a readable invoice it belongs to: their billing is unknown until it is fixed.
DELETE FROM unreadable_billing;
INSERT INTO unreadable_billing (work_order_id, source_file, source_row)
WITH unreadable AS (
    SELECT source_file, source_row, raw_text FROM quarantine
    WHERE target_table IN ('invoice', 'invoice_line')
),
named AS (
    SELECT u.source_file, u.source_row, w.wo_id
    FROM (SELECT source_file, source_row,
                 unnest(list_concat(_match_wo_refs(raw_text), _match_bare_refs(raw_text))) AS number
          FROM unreadable) u
    JOIN _match_job_wo w ON w.number = u.number
    UNION
    SELECT u.source_file, u.source_row, wq.wo_id
    FROM (SELECT source_file, source_row,
                 unnest(list_concat(_match_quote_refs(raw_text), _match_bare_refs(raw_text))) AS number
          FROM unreadable) u
    JOIN _match_job_quote q ON q.number = u.number
    JOIN _match_wo_quote wq ON wq.quote_id = q.quote_id
),
sibling_lines AS (
    SELECT u.source_file, u.source_row, lw.wo_id
    FROM (SELECT source_file, source_row,
                 unnest(regexp_extract_all(upper(raw_text), '[A-Z0-9][A-Z0-9/_.-]*')) AS token
          FROM unreadable) u
    JOIN _match_job_line l ON upper(l.invoice_number) = u.token
    JOIN _match_line_wo lw ON lw.line_id = l.line_id
)
SELECT DISTINCT wo_id, source_file, source_row FROM named
UNION
SELECT wo_id, source_file, source_row FROM sibling_lines
ORDER BY 1, 2, 3;
