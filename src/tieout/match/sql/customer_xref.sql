-- The customer crosswalk: every customer record with its golden key, method and confidence.
DELETE FROM xref WHERE entity_type = 'customer';
INSERT INTO xref (entity_type, golden_key, source_system, source_object, native_id, confidence, method)
SELECT 'customer', m.golden_key, c.source_system, c.source_object, c.native_id,
       CAST(round(100 * CASE WHEN m.method IN ('master', 'decision') THEN 1.0
                             WHEN m.method = 'unmatched' THEN 1.0
                             ELSE l.confidence END, 4) AS DECIMAL(9, 4)),
       m.method
FROM _match_members_in m
JOIN _match_customer c ON c.unique_id = m.member_id
LEFT JOIN _match_customer_links l ON l.unique_id = m.member_id
ORDER BY m.golden_key, c.source_system, c.source_object, c.native_id;
