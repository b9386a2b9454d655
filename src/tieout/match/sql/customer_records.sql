-- Every record that names a customer, cleaned for comparison. Anchors are the accounts of
-- the master system (the CRM): each real customer has at most one there.
CREATE OR REPLACE TEMP TABLE _match_customer AS
WITH contact_domains AS (
    -- a customer's contacts write from its domain: their most common one stands in for an
    -- account with no website or e-mail of its own (free-mail domains are no evidence)
    SELECT source_system, account_native_id, domain
    FROM (
        SELECT source_system, account_native_id, _match_domain(email) AS domain, count(*) AS n
        FROM contact WHERE account_native_id IS NOT NULL GROUP BY ALL
    )
    WHERE domain IS NOT NULL
    QUALIFY row_number() OVER (PARTITION BY source_system, account_native_id ORDER BY n DESC, domain) = 1
),
named AS (
    SELECT a.source_system, a.source_object, a.native_id, a.name, a.website,
           coalesce(a.email, c.domain) AS email, a.postcode, a.city, a.tax_number,
           CAST(NULL AS VARCHAR) AS converted_to
    FROM account a
    LEFT JOIN contact_domains c
      ON c.source_system = a.source_system AND c.account_native_id = a.native_id
    WHERE a.name IS NOT NULL
    UNION ALL
    -- a lead names a company too: a converted one says which account it became
    SELECT source_system, source_object, native_id, company, website, email, postcode, city,
           NULL, converted_account_native_id
    FROM lead WHERE company IS NOT NULL
)
SELECT
    source_system || '|' || source_object || '|' || native_id AS unique_id,
    source_system,
    source_object,
    native_id,
    name,
    nullif(_match_norm_company(name), '') AS name_norm,
    -- umlauts spelt out or not ("Mueller", "Müller" -> "muller")
    regexp_replace(nullif(_match_norm_company(name), ''), '([aou])e', '\1', 'g') AS name_fold,
    split_part(regexp_replace(nullif(_match_norm_company(name), ''), '([aou])e', '\1', 'g'), ' ', 1)
        AS name_first,
    -- blocking keys: the first word, or it with the last three letters, or the rest with
    -- the first initial; one typo leaves at least one of them intact
    split_part(nullif(_match_norm_company(name), ''), ' ', 1) || '|'
        || right(_match_norm_company(name), 3) AS name_first_end,
    nullif(regexp_replace(_match_norm_company(name), '^[^ ]+ ?', '') || '|'
           || left(_match_norm_company(name), 1), '|') AS name_rest_initial,
    coalesce(_match_domain(website), _match_domain(email)) AS domain,
    nullif(upper(replace(postcode, ' ', '')), '') AS postcode,
    nullif(lower(trim(city)), '') AS city,
    nullif(upper(regexp_replace(tax_number, '[^A-Za-z0-9]', '', 'g')), '') AS tax_number,
    source_system = :match_master
        AND source_object = :match_master_object AS is_anchor,
    source_system || '|' || :match_master_object || '|' || converted_to AS converted_to
FROM named;

-- Job evidence: a time sheet's project code or an invoice's reference names a work order
-- or quote, and the CRM knows that work order's account. Each mention is one vote for
-- (record, anchor), counted once per distinct number; a bare padded number could be
-- either kind, so it counts half.
CREATE OR REPLACE TEMP TABLE _match_wo AS
SELECT TRY_CAST(regexp_replace(work_order_number, '[^0-9]', '', 'g') AS BIGINT) AS number,
       account_native_id, source_system
FROM work_order WHERE account_native_id IS NOT NULL;

CREATE OR REPLACE TEMP TABLE _match_quote AS
SELECT TRY_CAST(regexp_replace(quote_number, '[^0-9]', '', 'g') AS BIGINT) AS number,
       account_native_id, source_system
FROM quote WHERE account_native_id IS NOT NULL;

CREATE OR REPLACE TEMP TABLE _match_mentions AS
WITH texts AS (
    SELECT 'harvest|client|' || customer_name AS unique_id, project_code AS text
    FROM time_entry WHERE source_system = 'harvest' AND customer_name IS NOT NULL
    UNION ALL
    SELECT 'xero|contact|' || i.customer_name, coalesce(i.reference, '') || ' ' || coalesce(l.description, '')
    FROM invoice i JOIN invoice_line l ON l.invoice_native_id = i.native_id AND l.source_system = i.source_system
    WHERE i.source_system = 'xero' AND i.customer_name IS NOT NULL
),
refs AS (
    SELECT unique_id, 'wo' AS kind, unnest(_match_wo_refs(text)) AS number, 1.0 AS weight FROM texts
    UNION ALL
    SELECT unique_id, 'quote', unnest(_match_quote_refs(text)), 1.0 FROM texts
    UNION ALL
    SELECT unique_id, 'wo', unnest(_match_bare_refs(text)), 0.5 FROM texts
    UNION ALL
    SELECT unique_id, 'quote', unnest(_match_bare_refs(text)), 0.5 FROM texts
),
-- A bill (or two, together) that totals, to the cent, the one work order of that size in
-- its time is the bill for it: half a vote per work order so billed (a trading name, "Saxon Services" for "Saxon Facilities",
-- that no name comparison can prove), so one coincidence alone links nothing.
wo_totals AS (
    SELECT w.source_system, w.native_id AS wo, w.account_native_id,
           CAST(coalesce(w.start_date, w.created_at) AS DATE) AS started,
           coalesce(sum(l.total_price), any_value(w.planned_value)) AS total
    FROM work_order w
    LEFT JOIN work_order_line l ON l.source_system = w.source_system AND l.work_order_native_id = w.native_id
    WHERE w.account_native_id IS NOT NULL
    GROUP BY w.source_system, w.native_id, w.account_native_id, started
),
invoices AS (
    SELECT a.source_system || '|' || a.source_object || '|' || a.native_id AS unique_id,
           i.native_id, CAST(i.invoice_date AS DATE) AS billed, sum(l.line_amount) AS total,
           count(*) AS lines
    FROM invoice i
    JOIN invoice_line l ON l.invoice_native_id = i.native_id AND l.source_system = i.source_system
    JOIN account a ON a.source_system = i.source_system
                  AND a.native_id = coalesce(i.account_native_id, i.customer_name)
    WHERE coalesce(i.doc_type, 'invoice') = 'invoice'
    GROUP BY ALL
),
-- a bill of two lines or more, or two bills within 180 days that together total a work
-- order (a deposit and the balance, two stage payments); an amount the contact is billed
-- again and again is a fee, not a part of one job, and pairs with nothing
parts AS (
    SELECT * FROM invoices WHERE total > 0
    QUALIFY count(*) OVER (PARTITION BY unique_id, total) = 1
),
bills AS (
    SELECT unique_id, native_id, billed, total FROM invoices WHERE lines >= 2 AND total > 0
    UNION ALL
    SELECT a.unique_id, a.native_id || '+' || b.native_id, a.billed, a.total + b.total
    FROM parts a JOIN parts b
      ON a.unique_id = b.unique_id AND a.native_id < b.native_id
     AND b.billed BETWEEN a.billed - 180 AND a.billed + 180
),
sized AS (
    SELECT b.unique_id, w.source_system, w.account_native_id, w.wo,
           count(*) OVER (PARTITION BY b.unique_id, b.native_id) AS n
    FROM bills b JOIN wo_totals w
      ON w.total = b.total AND b.billed BETWEEN w.started - INTERVAL 60 DAY AND w.started + INTERVAL 365 DAY
)
SELECT unique_id, anchor_id, sum(votes) AS votes
FROM (
    SELECT r.unique_id,
           m.source_system || '|' || :match_master_object || '|' || m.account_native_id AS anchor_id,
           r.weight AS votes
    FROM (SELECT DISTINCT * FROM refs) r
    JOIN (SELECT 'wo' AS kind, * FROM _match_wo UNION ALL SELECT 'quote', * FROM _match_quote) m
      ON m.kind = r.kind AND m.number = r.number
    UNION ALL
    SELECT unique_id, source_system || '|' || :match_master_object || '|' || account_native_id, 0.5
    FROM (SELECT DISTINCT unique_id, source_system, account_native_id, wo FROM sized WHERE n = 1)
)
GROUP BY ALL;

-- Pairs the job evidence proves (a clear majority of at least two distinct references):
-- labels from which the probabilistic model learns how true matches differ in name.
CREATE OR REPLACE TEMP TABLE _match_labels AS
SELECT 'left' AS source_dataset_l, unique_id AS unique_id_l,
       'right' AS source_dataset_r, anchor_id AS unique_id_r
FROM (
    SELECT unique_id, anchor_id, votes,
           votes / sum(votes) OVER (PARTITION BY unique_id) AS share,
           row_number() OVER (PARTITION BY unique_id ORDER BY votes DESC, anchor_id) AS rnk
    FROM _match_mentions
)
WHERE rnk = 1 AND share >= 0.8 AND votes >= 2;
