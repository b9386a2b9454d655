-- Job documents: quotes, work orders and invoice lines in one shape, for the job model
-- (jobs.py). Each carries its customer's golden key, a date, the numbers it is known by
-- (`own`), its title, every number typed into its text (`mentions`, padding and prefixes gone:
-- "Q-702001", "quote 0702001" and "00702001" are all 702001), its products (golden
-- keys), amounts and unit prices, and its words. Needs the customer and product xref.

CREATE OR REPLACE TEMP MACRO _job_numbers(text) AS list_distinct(list_transform(
    regexp_extract_all(_match_unquartered(text), '[0-9]{3,12}'), lambda x: CAST(x AS BIGINT)));

-- a word with the small number after it, as one ("phase 2" is "phase2"): which phase,
-- stage or lot a document is for
CREATE OR REPLACE TEMP MACRO _job_labels(text) AS list_transform(
    regexp_extract_all(lower(coalesce(text, '')), '\b[a-z]+ [0-9]{1,2}\b'),
    lambda t: replace(t, ' ', ''));

-- a document's words, and its labels as more
CREATE OR REPLACE TEMP MACRO _job_words(text) AS trim(
    regexp_replace(lower(coalesce(text, '')), '[^a-z]+', ' ', 'g') || ' '
    || array_to_string(_job_labels(text), ' '));

-- a document's title: its text up to the first " - " (what follows is a customer, a phase)
CREATE OR REPLACE TEMP MACRO _job_title(text) AS
    lower(trim(split_part(coalesce(text, ''), ' - ', 1)));

-- a title's words, numbers and all
CREATE OR REPLACE TEMP MACRO _job_terms(text) AS string_split(trim(regexp_replace(
    lower(coalesce(text, '')), '[^a-z0-9]+', ' ', 'g')), ' ');

-- what tells one of a service's jobs from another in a title: its labels and its small
-- numbers ("Digital strategy review (4)")
CREATE OR REPLACE TEMP MACRO _job_marks(text) AS list_concat(_job_labels(text), list_filter(
    _job_terms(text), lambda w: regexp_matches(w, '^[0-9]{1,2}$')));

-- words that join others and name nothing ("equipment on order", "contact on arrival")
CREATE OR REPLACE TEMP MACRO _job_small_word(w) AS
    list_contains(['for', 'the', 'and', 'of', 'at', 'to', 'in', 'on'], w);

-- what a title says the work is, with the customer's own name, small words, references
-- ("(Q702001)") and labels ("phase 1 of 2") left out: "Lone Star - Annual servicing" and
-- "Annual servicing for Lone Star (Q702001) - phase 1" are one service, which phase is its
-- label's to say
CREATE OR REPLACE TEMP MACRO _job_service(text, customer) AS list_sort(list_distinct(list_filter(
    _job_terms(text),
    lambda w: length(w) > 0
        AND NOT list_contains(_job_terms(customer), w)
        AND NOT _job_small_word(w)
        AND NOT regexp_matches(w, '[0-9]')
        AND NOT list_contains(
            regexp_extract_all(lower(coalesce(text, '')), '\b([a-z]+) [0-9]{1,2}\b', 1), w))));

-- a line's product and quantity as one key ("P-12|310.000"): a customer's concurrent jobs for
-- the same products differ in how much of each they are for
CREATE OR REPLACE TEMP MACRO _job_item(product, quantity) AS
    product || '|' || CAST(CAST(abs(quantity) AS DECIMAL(18, 3)) AS VARCHAR);

CREATE OR REPLACE TEMP TABLE _job_product AS
SELECT source_system, source_object, upper(native_id) AS native_id, golden_key
FROM xref WHERE entity_type = 'product';

-- product codes and names as people type them into a description ("INST-BLR Boiler
-- installation", "Planned preventive maintenance visit - Leeds")
CREATE OR REPLACE TEMP TABLE _job_product_code AS
SELECT DISTINCT upper(trim(token)) AS code, golden_key
FROM (
    SELECT p.code AS token, x.golden_key
    FROM product p
    JOIN xref x ON x.entity_type = 'product' AND x.source_system = p.source_system
         AND x.source_object = p.source_object AND x.native_id = p.native_id
    UNION ALL
    SELECT p.name, x.golden_key
    FROM product p
    JOIN xref x ON x.entity_type = 'product' AND x.source_system = p.source_system
         AND x.source_object = p.source_object AND x.native_id = p.native_id
    WHERE length(trim(p.name)) >= 8
)
WHERE length(trim(token)) >= 4;

-- each quote line with its golden product (catalogue id, else product code), built once:
-- the quote documents below and jobs.sql's invoice line -> quote line both read it
CREATE OR REPLACE TEMP TABLE _job_quote_line AS
SELECT ql.id, ql.source_system, ql.quote_native_id, ql.unit_price, ql.quantity, ql.currency,
       coalesce(ql.total_price, ql.subtotal) AS amount,
       coalesce(p.golden_key, pc.golden_key) AS product
FROM quote_line ql
LEFT JOIN _job_product p ON p.source_system = ql.source_system
     AND p.native_id = upper(ql.product_native_id) AND p.source_object <> 'item'
LEFT JOIN _job_product pc ON pc.source_object = 'item' AND pc.native_id = upper(ql.product_code);

CREATE OR REPLACE TEMP TABLE _match_job_quote AS
WITH lines AS (
    SELECT source_system, quote_native_id,
           list_distinct(list(product) FILTER (WHERE product IS NOT NULL)) AS products,
           list_distinct(list(unit_price) FILTER (WHERE unit_price IS NOT NULL)) AS prices,
           list_distinct(list(CAST(round(abs(amount) / quantity, 2) AS DECIMAL(18, 2)))
                         FILTER (WHERE amount IS NOT NULL AND quantity > 0)) AS net_prices,
           list_distinct(list(_job_item(product, quantity))
                         FILTER (WHERE product IS NOT NULL AND quantity IS NOT NULL)) AS items,
           sum(amount) AS amount
    FROM _job_quote_line
    GROUP BY ALL
)
SELECT q.id AS quote_id, q.native_id, q.source_system, x.golden_key,
       TRY_CAST(nullif(regexp_replace(q.quote_number, '[^0-9]', '', 'g'), '') AS BIGINT) AS number,
       CAST(q.quote_date AS DATE) AS doc_date,
       CAST(q.quote_date AS DATE) AS until,
       _job_numbers(q.quote_number) AS own,
       list_filter(_job_numbers(q.name), lambda n: NOT list_contains(_job_numbers(q.quote_number), n))
           AS mentions,
       coalesce(l.products, []) AS products,
       coalesce(l.prices, []) AS prices,
       coalesce(l.net_prices, []) AS net_prices,
       coalesce(l.items, []) AS items,
       coalesce(q.total_price, q.subtotal, l.amount) AS amount,
       _job_words(q.name) AS words,
       _job_title(q.name) AS title,
       FALSE AS interim,
       -- an accepted quote is the deal; a rejected or superseded one only looks like it
       CASE WHEN lower(q.status) IN ('accepted', 'approved', 'won', 'signed', 'closed won') THEN 0
            WHEN lower(q.status) IN ('rejected', 'denied', 'declined', 'lost', 'expired',
                                     'superseded', 'cancelled', 'canceled', 'closed lost') THEN 2
            ELSE 1 END AS status_rank
FROM quote q
LEFT JOIN xref x ON x.entity_type = 'customer' AND x.source_system = q.source_system
                AND x.native_id = q.account_native_id
LEFT JOIN lines l ON l.source_system = q.source_system AND l.quote_native_id = q.native_id;

CREATE OR REPLACE TEMP TABLE _match_job_wo AS
WITH lines AS (
    SELECT wl.source_system, wl.work_order_native_id,
           list_distinct(list(p.golden_key) FILTER (WHERE p.golden_key IS NOT NULL)) AS products,
           list_distinct(list(wl.unit_price) FILTER (WHERE wl.unit_price IS NOT NULL)) AS prices,
           list_distinct(list(CAST(round(abs(wl.total_price) / wl.quantity, 2) AS DECIMAL(18, 2)))
                         FILTER (WHERE wl.total_price IS NOT NULL AND wl.quantity > 0)) AS net_prices,
           list_distinct(list(_job_item(p.golden_key, wl.quantity))
                         FILTER (WHERE p.golden_key IS NOT NULL AND wl.quantity IS NOT NULL)) AS items,
           sum(wl.total_price) AS amount
    FROM work_order_line wl
    LEFT JOIN _job_product p ON p.source_system = wl.source_system
         AND p.native_id = upper(wl.product_native_id)
    GROUP BY ALL
)
SELECT w.id AS wo_id, w.native_id, w.source_system, w.quote_native_id,
       TRY_CAST(nullif(regexp_replace(w.work_order_number, '[^0-9]', '', 'g'), '') AS BIGINT) AS number,
       lower(trim(coalesce(w.subject, ''))) AS subject,
       CAST(coalesce(w.start_date, w.created_at) AS DATE) AS started_on,
       CAST(coalesce(w.completed_at, w.end_date, w.start_date, w.created_at) AS DATE) AS finished_on,
       x.golden_key,
       _job_numbers(w.work_order_number) AS own,
       list_filter(_job_numbers(concat_ws(' ', w.subject, w.description)),
                   lambda n: NOT list_contains(_job_numbers(w.work_order_number), n)) AS mentions,
       coalesce(l.products, []) AS products,
       coalesce(l.prices, []) AS prices,
       coalesce(l.net_prices, []) AS net_prices,
       coalesce(l.items, []) AS items,
       coalesce(l.amount, w.planned_value) AS amount,
       _job_words(concat_ws(' ', w.subject, w.description)) AS words,
       _job_title(w.subject) AS title,
       FALSE AS interim
FROM work_order w
LEFT JOIN xref x ON x.entity_type = 'customer' AND x.source_system = w.source_system
                AND x.native_id = w.account_native_id
LEFT JOIN lines l ON l.source_system = w.source_system AND l.work_order_native_id = w.native_id;

-- The products each distinct line description names, a code or name as a whole word: read
-- once per description, not once per line, and a code's pattern built and matched only
-- where the description holds the code at all.
CREATE OR REPLACE TEMP TABLE _job_described AS
SELECT d.text, list(DISTINCT c.golden_key) AS products
FROM (SELECT DISTINCT upper(coalesce(description, '')) AS text FROM invoice_line) d
JOIN _job_product_code c ON contains(d.text, c.code)
     AND regexp_matches(d.text, '(^|[^A-Z0-9])' || regexp_escape(c.code) || '($|[^A-Z0-9])')
GROUP BY d.text;

-- Invoice lines with the references typed into them and their customer's golden key.
CREATE OR REPLACE TEMP TABLE _match_job_line AS
WITH lines AS (
SELECT l.id AS line_id, l.source_system, i.invoice_number, i.doc_type, i.invoice_date,
       _match_invoice_refs(coalesce(i.reference, '') || ' ' || coalesce(l.description, '')) AS invoice_refs,
       _match_wo_refs(concat_ws(' ', i.reference, l.description)) AS wo_refs,
       x.golden_key,
       _job_numbers(i.invoice_number) AS own,
       list_filter(_job_numbers(concat_ws(' ', i.reference, l.description)),
                   lambda n: NOT list_contains(_job_numbers(i.invoice_number), n)) AS mentions,
       coalesce(CASE WHEN p.golden_key IS NOT NULL THEN [p.golden_key] END, d.products, [])
           AS products,
       CASE WHEN l.unit_price IS NULL THEN [] ELSE [abs(l.unit_price)] END AS prices,
       -- what a unit cost after any discount: a discounted line's price agrees with the
       -- job line's own discount, not only the list price
       CASE WHEN l.line_amount IS NULL OR NOT l.quantity > 0 THEN []
            ELSE [CAST(round(abs(l.line_amount) / l.quantity, 2) AS DECIMAL(18, 2))] END AS net_prices,
       l.line_amount AS amount,
       _job_words(l.description) AS words,
       lower(trim(coalesce(l.description, ''))) AS title,
       l.quantity,
       regexp_matches(lower(coalesce(l.description, '')),
                      '\bprogress \d+ of \d+|\bstage payment|\bdeposit|\bbalance\b|\d ?%')
           AS part,
       -- a bill for a part of the work that is not its last ("progress 1 of 3", "stage
       -- payment 40%", "deposit"): billed while the work goes on, not after it
       regexp_matches(lower(coalesce(l.description, '')),
                      '\bstage payment|\bdeposit|\binterim|\d ?%')
           AND NOT regexp_matches(lower(coalesce(l.description, '')), '\bbalance\b|\bfinal\b')
           OR TRY_CAST(regexp_extract(lower(coalesce(l.description, '')),
                                      '\bprogress (\d+) of (\d+)', 1) AS INTEGER)
              < TRY_CAST(regexp_extract(lower(coalesce(l.description, '')),
                                        '\bprogress (\d+) of (\d+)', 2) AS INTEGER)
           AS interim,
       TRY_CAST(regexp_extract(lower(coalesce(l.description, '')), '\bprogress (\d+) of (\d+)', 1)
                AS INTEGER) AS part_k,
       TRY_CAST(regexp_extract(lower(coalesce(l.description, '')), '\bprogress (\d+) of (\d+)', 2)
                AS INTEGER) AS part_m
FROM invoice_line l
JOIN invoice i ON i.native_id = l.invoice_native_id AND i.source_system = l.source_system
LEFT JOIN xref x ON x.entity_type = 'customer' AND x.source_system = i.source_system
                AND x.native_id = coalesce(i.account_native_id, i.customer_name)
LEFT JOIN _job_product p ON p.source_system = l.source_system AND p.source_object = 'item'
     AND p.native_id = upper(l.item_code)
LEFT JOIN _job_described d ON d.text = upper(coalesce(l.description, ''))
),
-- a customer's "progress 1 of m" .. "m of m" bills of one product, each once: one series,
-- whose quantities add up to the job's (7 + 4 + 3 days of design: the 14-day job). A series
-- runs from a "1 of m" bill to the next one, in date order: one job's series after another's
-- is two series; two interleaved ones are none. A credit note takes back the part it names
-- (a part credited and billed again is billed once)
numbered AS (
SELECT *, CASE WHEN doc_type = 'credit_note' THEN -1 ELSE 1 END AS sign,
       count(CASE WHEN part_k = 1 AND doc_type <> 'credit_note' THEN 1 END) OVER (
           PARTITION BY golden_key, products, part_m
           ORDER BY invoice_date, invoice_number, line_id ROWS UNBOUNDED PRECEDING) AS series_no
FROM lines
),
series AS (
SELECT *,
       sum(sign) OVER run AS parts, sum(sign * part_k) OVER run AS part_sum,
       sum(sign * abs(quantity)) OVER run AS series_quantity
FROM numbered
WINDOW run AS (PARTITION BY golden_key, products, part_m, series_no)
)
SELECT * EXCLUDE (quantity, part, part_k, part_m, sign, series_no, parts, part_sum,
                  series_quantity),
       -- a line that bills a part of the work ("progress 1 of 2", "stage payment", "deposit",
       -- "balance", "40%") bills a part of its quantity too, and a credit note's line the
       -- part it corrects (one unit not fitted): neither says anything about the job's;
       -- a whole series of progress bills says it together
       CASE WHEN quantity IS NULL THEN []
            WHEN part_m IS NOT NULL AND golden_key IS NOT NULL AND parts = part_m
                 AND part_sum = part_m * (part_m + 1) / 2
                THEN list_transform(products, lambda p: _job_item(p, series_quantity))
            WHEN part OR doc_type = 'credit_note' THEN []
            ELSE list_transform(products, lambda p: _job_item(p, quantity)) END AS items
FROM series;
