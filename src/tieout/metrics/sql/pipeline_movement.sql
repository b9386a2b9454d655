-- Opportunities that moved between an earlier snapshot (attached as `earlier`) and this
-- one, both valued at one rate, this snapshot's on its as-of date (:movement_at),
-- into :movement_currency.
WITH rates AS (
    SELECT from_currency AS currency, rate
    FROM currency_rate
    WHERE to_currency = :movement_currency
      AND :movement_at BETWEEN valid_from AND valid_until
),
valued AS (
    SELECT 'now' AS side, o.source_system, o.native_id, o.name, o.account_native_id,
           o.is_closed, o.is_won, o.close_date,
           o.amount * r.rate AS amount
    FROM opportunity o LEFT JOIN rates r ON r.currency = o.currency
    UNION ALL
    SELECT 'was', o.source_system, o.native_id, o.name, o.account_native_id,
           o.is_closed, o.is_won, o.close_date,
           o.amount * r.rate
    FROM earlier.opportunity o LEFT JOIN rates r ON r.currency = o.currency
),
pairs AS (
    SELECT n.*, w.native_id AS was_id, w.is_closed AS was_closed, w.close_date AS was_close,
           w.amount AS was_amount, w.name AS was_name, w.account_native_id AS was_account
    FROM (SELECT * FROM valued WHERE side = 'now') n
    FULL JOIN (SELECT * FROM valued WHERE side = 'was') w
         ON w.source_system = n.source_system AND w.native_id = n.native_id
),
moved AS (
    SELECT coalesce(native_id, was_id) AS native_id, coalesce(name, was_name) AS name,
           coalesce(source_system, (SELECT any_value(source_system) FROM valued)) AS source_system,
           coalesce(account_native_id, was_account) AS account_native_id,
           CASE WHEN was_id IS NOT NULL AND NOT was_closed THEN was_amount END AS open_before,
           CASE WHEN native_id IS NOT NULL AND NOT is_closed THEN amount END AS open_now,
           was_close AS close_before, close_date AS close_now,
           CASE
               WHEN native_id IS NULL THEN CASE WHEN was_closed THEN NULL ELSE 'removed' END
               WHEN was_id IS NOT NULL AND was_closed  -- reopened counts as new
                   THEN CASE WHEN is_closed THEN NULL ELSE 'new' END
               WHEN is_closed AND is_won THEN 'won'
               WHEN is_closed THEN 'lost'
               WHEN was_id IS NULL THEN 'new'
               WHEN date_trunc('month', close_date) < date_trunc('month', was_close)
                   THEN 'pulled_in'
               WHEN date_trunc('month', close_date) > date_trunc('month', was_close)
                   THEN 'pushed_out'
               WHEN amount IS DISTINCT FROM was_amount THEN 'amount_changed'
           END AS category
    FROM pairs
)
SELECT m.category, m.native_id, m.name, x.golden_key AS account_key,
       CAST(round(coalesce(m.open_before, 0), 2) AS DECIMAL(18, 2)) AS open_before,
       CAST(round(coalesce(m.open_now, 0), 2) AS DECIMAL(18, 2)) AS open_now,
       m.close_before, m.close_now
FROM moved m
LEFT JOIN customer_key x ON x.source_system = m.source_system
     AND x.native_id = m.account_native_id
WHERE m.category IS NOT NULL
ORDER BY m.category, abs(coalesce(m.open_now, 0) - coalesce(m.open_before, 0)) DESC, m.native_id
