-- Products: the master system's catalogue is the anchor; an invoice's item code links by
-- code, a time sheet's task by the most similar product name (one clear winner only).
CREATE OR REPLACE TEMP TABLE _match_product AS
SELECT source_system || '|' || source_object || '|' || native_id AS unique_id,
       source_system, source_object, native_id,
       upper(trim(code)) AS code, lower(trim(name)) AS name_norm, true AS is_anchor
FROM product
WHERE source_system = :match_master
UNION ALL
SELECT DISTINCT source_system || '|item|' || upper(trim(item_code)), source_system, 'item',
       upper(trim(item_code)), upper(trim(item_code)), NULL, false
FROM invoice_line WHERE item_code IS NOT NULL AND trim(item_code) <> ''
UNION ALL
SELECT DISTINCT source_system || '|task|' || task, source_system, 'task', task, NULL,
       lower(trim(task)), false
FROM time_entry WHERE task IS NOT NULL;

CREATE OR REPLACE TEMP TABLE _match_product_links AS
WITH by_code AS (
    SELECT o.unique_id, min(a.unique_id) AS anchor_id, 'code' AS method, 1.0 AS confidence
    FROM _match_product o JOIN _match_product a ON a.is_anchor AND a.code = o.code
    WHERE NOT o.is_anchor
    GROUP BY o.unique_id HAVING count(*) = 1
),
by_name AS (
    SELECT o.unique_id, a.unique_id AS anchor_id,
           greatest(jaro_winkler_similarity(o.name_norm, a.name_norm),
                    CASE WHEN contains(a.name_norm, o.name_norm) THEN 0.95 ELSE 0 END) AS similarity
    FROM _match_product o JOIN _match_product a ON a.is_anchor
    WHERE NOT o.is_anchor AND o.name_norm IS NOT NULL
      AND o.unique_id NOT IN (SELECT unique_id FROM by_code)
),
best AS (
    SELECT *, row_number() OVER (PARTITION BY unique_id ORDER BY similarity DESC, anchor_id) AS rnk,
           count(*) FILTER (WHERE similarity >= 0.9) OVER (PARTITION BY unique_id) AS close
    FROM by_name
)
SELECT * FROM by_code
UNION ALL
SELECT unique_id, anchor_id, 'description', similarity FROM best
WHERE rnk = 1 AND close = 1 AND similarity >= 0.9;
