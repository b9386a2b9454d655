-- Job links: quote -> work order -> invoice lines. Explicit references first (a CRM
-- lookup, a work-order or quote number typed into an invoice), then candidates of the same
-- golden customer scored on description and dates. Needs the customer xref.

CREATE OR REPLACE TEMP TABLE _match_job_wo AS
SELECT w.id AS wo_id, w.native_id, w.source_system, w.quote_native_id,
       TRY_CAST(nullif(regexp_replace(w.work_order_number, '[^0-9]', '', 'g'), '') AS BIGINT) AS number,
       lower(trim(coalesce(w.subject, ''))) AS subject,
       CAST(coalesce(w.start_date, w.created_at) AS DATE) AS started_on,
       CAST(coalesce(w.completed_at, w.end_date, w.start_date, w.created_at) AS DATE) AS finished_on,
       x.golden_key
FROM work_order w
LEFT JOIN xref x ON x.entity_type = 'customer' AND x.source_system = w.source_system
                AND x.native_id = w.account_native_id;

CREATE OR REPLACE TEMP TABLE _match_job_quote AS
SELECT q.id AS quote_id, q.native_id, q.source_system,
       TRY_CAST(nullif(regexp_replace(q.quote_number, '[^0-9]', '', 'g'), '') AS BIGINT) AS number,
       lower(trim(coalesce(q.name, ''))) AS name,
       q.quote_date, x.golden_key,
       -- an accepted quote is the deal; a rejected or superseded one only looks like it
       CASE WHEN lower(q.status) IN ('accepted', 'approved', 'won', 'signed', 'closed won') THEN 0
            WHEN lower(q.status) IN ('rejected', 'denied', 'declined', 'lost', 'expired',
                                     'superseded', 'cancelled', 'canceled', 'closed lost') THEN 2
            ELSE 1 END AS status_rank
FROM quote q
LEFT JOIN xref x ON x.entity_type = 'customer' AND x.source_system = q.source_system
                AND x.native_id = q.account_native_id;

-- Work order -> quote: the CRM lookup when filled, else the same customer's quote whose
-- name carries the work order's subject, dated before it, nearest first.
CREATE OR REPLACE TEMP TABLE _match_wo_quote AS
WITH explicit AS (
    SELECT w.wo_id, q.quote_id, 'crm_lookup' AS method, 1.0 AS confidence
    FROM _match_job_wo w
    JOIN _match_job_quote q ON q.source_system = w.source_system AND q.native_id = w.quote_native_id
),
scored AS (
    -- a quote is usually named "<what> - <customer>", a work order "<what>[ - <phase>]"
    SELECT w.wo_id, q.quote_id,
           CASE WHEN w.subject = '' THEN 0.0
                WHEN split_part(q.name, ' - ', 1) = split_part(w.subject, ' - ', 1) THEN 1.0
                WHEN contains(q.name, split_part(w.subject, ' - ', 1)) THEN 0.95
                ELSE jaro_winkler_similarity(split_part(q.name, ' - ', 1),
                                             split_part(w.subject, ' - ', 1)) END AS similarity,
           date_diff('day', q.quote_date, w.started_on) AS days, q.status_rank
    FROM _match_job_wo w
    JOIN _match_job_quote q ON q.golden_key = w.golden_key
    WHERE w.wo_id NOT IN (SELECT wo_id FROM explicit)
      AND q.quote_date BETWEEN w.started_on - 365 AND w.started_on + 14
),
best AS (
    SELECT wo_id, quote_id, similarity,
           row_number() OVER (PARTITION BY wo_id
                              ORDER BY status_rank, similarity DESC, abs(days), quote_id) AS rnk
    FROM scored WHERE similarity >= 0.95
)
SELECT * FROM explicit
UNION ALL
SELECT wo_id, quote_id, 'scored', round(similarity * 0.9, 4) FROM best WHERE rnk = 1;

-- Invoice lines with the references typed into them and their customer's golden key.
CREATE OR REPLACE TEMP TABLE _match_job_line AS
SELECT l.id AS line_id, l.source_system, i.invoice_number, i.doc_type, i.invoice_date,
       lower(coalesce(l.description, '')) AS descr,
       _match_wo_refs(coalesce(i.reference, '') || ' ' || coalesce(l.description, '')) AS wo_refs,
       _match_quote_refs(coalesce(i.reference, '') || ' ' || coalesce(l.description, '')) AS quote_refs,
       _match_bare_refs(coalesce(i.reference, '') || ' ' || coalesce(l.description, '')) AS bare_refs,
       _match_invoice_refs(coalesce(i.reference, '') || ' ' || coalesce(l.description, '')) AS invoice_refs,
       x.golden_key
FROM invoice_line l
JOIN invoice i ON i.native_id = l.invoice_native_id AND i.source_system = l.source_system
LEFT JOIN xref x ON x.entity_type = 'customer' AND x.source_system = i.source_system
                AND x.native_id = coalesce(i.account_native_id, i.customer_name);

-- Every way a line may name its work order, most explicit first.
CREATE OR REPLACE TEMP TABLE _match_line_candidates AS
WITH wo_by_ref AS (
    SELECT l.line_id, w.wo_id, 'wo_reference' AS method,
           CASE WHEN l.golden_key IS NOT DISTINCT FROM w.golden_key THEN 1.0 ELSE 0.6 END AS confidence,
           1 AS priority
    FROM (SELECT line_id, golden_key, unnest(wo_refs) AS number FROM _match_job_line) l
    JOIN _match_job_wo w ON w.number = l.number
),
bare_wo AS (
    -- a bare number may be a work order's or a quote's (both auto-numbered): the reading
    -- whose work order the description names wins, then the work order
    SELECT l.line_id, w.wo_id, 'wo_reference' AS method, 0.95 AS confidence, 2 AS priority,
           CASE WHEN w.subject <> '' AND contains(l.descr, w.subject) THEN 0 ELSE 2 END AS tiebreak
    FROM (SELECT line_id, golden_key, descr, unnest(bare_refs) AS number FROM _match_job_line) l
    JOIN _match_job_wo w ON w.number = l.number AND w.golden_key = l.golden_key
),
quote_numbers AS (
    SELECT line_id, golden_key, descr, unnest(quote_refs) AS number, 1 AS explicit FROM _match_job_line
    UNION ALL
    SELECT line_id, golden_key, descr, unnest(bare_refs), 0 FROM _match_job_line
),
by_quote AS (
    SELECT l.line_id, wq.wo_id, 'quote_reference' AS method,
           CASE WHEN l.explicit = 1 THEN 0.95 ELSE 0.9 END AS confidence,
           CASE WHEN l.explicit = 1 THEN 3 ELSE 2 END AS priority,
           CASE WHEN w.subject <> '' AND contains(l.descr, w.subject) THEN 0 ELSE 2 END
               + (1 - l.explicit) AS tiebreak
    FROM quote_numbers l
    JOIN _match_job_quote q ON q.number = l.number
         AND (l.explicit = 1 OR q.golden_key = l.golden_key)
    JOIN _match_wo_quote wq ON wq.quote_id = q.quote_id
    JOIN _match_job_wo w ON w.wo_id = wq.wo_id
),
by_description AS (
    -- the longest subject the description carries wins ("upgrade (2)" over "upgrade"), then
    -- the work order whose dates contain the invoice, then the nearest
    SELECT l.line_id, w.wo_id, 'description' AS method, 0.85 AS confidence, 6 AS priority,
           -1000000 * length(w.subject)
           + CASE WHEN l.invoice_date BETWEEN w.started_on AND w.finished_on + 45 THEN 0
                  ELSE 1000 END
           + abs(date_diff('day', w.finished_on, l.invoice_date)) AS days
    FROM _match_job_line l
    JOIN _match_job_wo w ON w.golden_key = l.golden_key
    WHERE w.subject <> '' AND length(w.subject) >= 4 AND contains(l.descr, w.subject)
      AND l.invoice_date BETWEEN w.started_on - 30 AND w.finished_on + 180
)
SELECT line_id, wo_id, method, confidence, priority, 0 AS tiebreak FROM wo_by_ref
UNION ALL SELECT line_id, wo_id, method, confidence, priority, tiebreak FROM bare_wo
UNION ALL SELECT line_id, wo_id, method, confidence, priority, tiebreak FROM by_quote
UNION ALL SELECT line_id, wo_id, method, confidence, priority, days FROM by_description;

CREATE OR REPLACE TEMP TABLE _match_line_wo AS
WITH ranked AS (
    SELECT *, row_number() OVER (
        PARTITION BY line_id ORDER BY priority, tiebreak, wo_id) AS rnk
    FROM _match_line_candidates
)
SELECT line_id, wo_id, method, confidence FROM ranked WHERE rnk = 1;

-- A credit note line follows the work order of the invoice it credits.
INSERT INTO _match_line_wo
WITH credited AS (
    SELECT l.line_id, unnest(l.invoice_refs) AS invoice_number
    FROM _match_job_line l
    WHERE l.doc_type = 'credit_note' AND l.line_id NOT IN (SELECT line_id FROM _match_line_wo)
),
original AS (
    SELECT c.line_id, lw.wo_id,
           row_number() OVER (PARTITION BY c.line_id ORDER BY lw.wo_id) AS rnk
    FROM credited c
    JOIN _match_job_line o ON upper(o.invoice_number) = upper(c.invoice_number)
    JOIN _match_line_wo lw ON lw.line_id = o.line_id
)
SELECT line_id, wo_id, 'credit_note', 0.9 FROM original WHERE rnk = 1;

DELETE FROM job;
INSERT INTO job (job_key, quote_id, work_order_id, invoice_line_id, method, confidence)
SELECT coalesce(wq.quote_id, w.wo_id), wq.quote_id, w.wo_id, lw.line_id,
       'line:' || lw.method || coalesce('; quote:' || wq.method, ''),
       CAST(round(100 * least(lw.confidence, coalesce(wq.confidence, 1.0)), 4) AS DECIMAL(9, 4))
FROM _match_line_wo lw
JOIN _match_job_wo w ON w.wo_id = lw.wo_id
LEFT JOIN _match_wo_quote wq ON wq.wo_id = w.wo_id
UNION ALL
SELECT coalesce(wq.quote_id, w.wo_id), wq.quote_id, w.wo_id, NULL,
       coalesce('quote:' || wq.method, 'work order only'),
       CAST(round(100 * coalesce(wq.confidence, 1.0), 4) AS DECIMAL(9, 4))
FROM _match_job_wo w
LEFT JOIN _match_wo_quote wq ON wq.wo_id = w.wo_id
WHERE w.wo_id NOT IN (SELECT wo_id FROM _match_line_wo)
ORDER BY 1, 3, 4;

-- Time entries -> work order: the work order its project code names, else the one work
-- order of the same customer whose subject is the time sheet's project, within its dates.
DELETE FROM job_time;
INSERT INTO job_time (time_entry_id, work_order_id, method, hours, cost_amount, person_name,
                      entry_date)
WITH coded AS (
    SELECT t.id AS time_entry_id, w.wo_id, t.hours, t.cost_amount, t.person_name, t.entry_date
    FROM time_entry t
    JOIN _match_job_wo w ON w.number = coalesce(list_extract(_match_wo_refs(t.project_code), 1),
                                                list_extract(_match_bare_refs(t.project_code), 1))
),
by_project AS (
    SELECT t.id AS time_entry_id, w.wo_id, t.hours, t.cost_amount, t.person_name, t.entry_date,
           count(*) OVER (PARTITION BY t.id) AS candidates
    FROM time_entry t
    JOIN xref tx ON tx.entity_type = 'customer' AND tx.source_system = t.source_system
         AND tx.native_id = t.customer_name
    JOIN _match_job_wo w ON w.golden_key = tx.golden_key AND w.subject = lower(trim(t.project_name))
         AND t.entry_date BETWEEN w.started_on - 14 AND w.finished_on + 30
    WHERE t.id NOT IN (SELECT time_entry_id FROM coded)
)
SELECT time_entry_id, wo_id, 'project_code', hours, cost_amount, person_name, entry_date
FROM coded
UNION ALL
SELECT time_entry_id, wo_id, 'project', hours, cost_amount, person_name, entry_date
FROM by_project WHERE candidates = 1
ORDER BY 1;

DELETE FROM work_order_time;
INSERT INTO work_order_time (work_order_id, hours, cost_amount, entries)
SELECT work_order_id, sum(hours), sum(cost_amount), count(*)
FROM job_time GROUP BY work_order_id ORDER BY 1;

-- Invoice line -> quote line: the line of its job's quote with the same product code, the
-- same currency first, then the nearest unit price (a product may be quoted twice).
DELETE FROM invoice_quote_line;
INSERT INTO invoice_quote_line (invoice_line_id, quote_line_id)
WITH billed AS (
    SELECT l.id, l.unit_price, l.currency, upper(l.item_code) AS product, j.quote_id
    FROM job j JOIN invoice_line l ON l.id = j.invoice_line_id
    WHERE j.quote_id IS NOT NULL AND l.item_code IS NOT NULL
),
quoted AS (
    SELECT q.id AS quote_id, upper(ql.product_code) AS product, ql.id, ql.unit_price, ql.currency
    FROM quote q
    JOIN quote_line ql ON ql.quote_native_id = q.native_id AND ql.source_system = q.source_system
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
