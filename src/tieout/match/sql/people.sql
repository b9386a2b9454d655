-- People: the master system's users are the anchors; a time sheet's name or a ticket's
-- assignee links to the one user whose normalised name is the same ("Last, First" and
-- accents included), else to the one user whose name is a near spelling of it.
CREATE OR REPLACE TEMP TABLE _match_person AS
WITH named AS (
    SELECT source_system, source_object, native_id,
           CASE WHEN contains(name, ',') THEN trim(split_part(name, ',', 2)) || ' ' || trim(split_part(name, ',', 1))
                ELSE name END AS full_name
    FROM person WHERE name IS NOT NULL
)
SELECT source_system || '|' || source_object || '|' || native_id AS unique_id,
       source_system, source_object, native_id,
       nullif(trim(regexp_replace(_match_ascii(full_name), '[^a-z]+', ' ', 'g')), '') AS name_norm,
       source_system = :match_master AND source_object = 'User' AS is_anchor
FROM named;

CREATE OR REPLACE TEMP TABLE _match_person_links AS
WITH candidates AS (
    SELECT o.unique_id, a.unique_id AS anchor_id,
           CASE WHEN o.name_norm = a.name_norm THEN 1.0
                ELSE jaro_winkler_similarity(o.name_norm, a.name_norm) END AS similarity
    FROM _match_person o
    JOIN _match_person a ON a.is_anchor AND left(a.name_norm, 1) = left(o.name_norm, 1)
    WHERE NOT o.is_anchor
),
ranked AS (
    SELECT *, row_number() OVER (PARTITION BY unique_id ORDER BY similarity DESC, anchor_id) AS rnk,
           count(*) FILTER (WHERE similarity >= 0.93) OVER (PARTITION BY unique_id) AS close
    FROM candidates
)
SELECT unique_id, anchor_id,
       CASE WHEN similarity = 1.0 THEN 'exact_name' ELSE 'similar_name' END AS method,
       similarity AS confidence
FROM ranked
WHERE rnk = 1 AND close = 1 AND similarity >= 0.93;
