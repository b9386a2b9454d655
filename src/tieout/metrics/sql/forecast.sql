-- Revenue by month after :fc_at, layer by layer, from the states things were
-- in on that date (read from their dates, so an earlier date gives the forecast one could
-- have made then): ready to bill (finished in the last 90 days; older unbilled work is an
-- exception, not a forecast), in delivery, committed, recurring (billing on no job, at the
-- run-rate of the last three months, while the customer's contract runs) and weighted
-- pipeline.
-- :fc_win_rate weighs an opportunity whose probability on that date is not
-- known (it closed since); :fc_currency is the reporting currency, every
-- amount at one rate, that of the date (currency_rate).
WITH rates AS (
    SELECT from_currency AS currency, rate
    FROM currency_rate
    WHERE to_currency = :fc_currency
      AND :fc_at BETWEEN valid_from AND valid_until
),
first_month AS (
    SELECT CAST(date_trunc('month', :fc_at) + INTERVAL 1 MONTH AS DATE) AS m
),
work AS (
    SELECT w.id, w.status,
           CAST(w.start_date AS DATE) AS started, CAST(w.end_date AS DATE) AS ends,
           CAST(coalesce(w.completed_at, w.end_date) AS DATE) AS done_on,
           CAST(coalesce(w.created_at, w.start_date) AS DATE) AS created_on,
           w.planned_value * r.rate AS planned
    FROM work_order w LEFT JOIN rates r ON r.currency = w.currency
    WHERE w.status <> 'canceled' AND w.planned_value IS NOT NULL
),
billed AS (  -- invoiced by that date, per work order (a credit note is not work to re-bill)
    SELECT j.work_order_id,
           sum(l.line_amount * r.rate) AS billed
    FROM job j
    JOIN invoice_line l ON l.id = j.invoice_line_id
    JOIN invoice i ON i.native_id = l.invoice_native_id AND i.source_system = l.source_system
    LEFT JOIN rates r ON r.currency = l.currency
    WHERE i.invoice_date <= :fc_at AND i.doc_type = 'invoice'
      AND coalesce(i.status, '') NOT IN ('draft', 'voided', 'deleted')
    GROUP BY ALL
),
billing_lag AS (  -- days from a work order's end to its last invoice, median of the last 180
    SELECT coalesce(median(greatest(date_diff('day', w.done_on, b.last_invoice), 0)), 0) AS days
    FROM work w
    JOIN (SELECT j.work_order_id, max(i.invoice_date) AS last_invoice
          FROM job j
          JOIN invoice_line l ON l.id = j.invoice_line_id
          JOIN invoice i ON i.native_id = l.invoice_native_id AND i.source_system = l.source_system
          WHERE i.invoice_date <= :fc_at GROUP BY ALL) b ON b.work_order_id = w.id
    WHERE w.status IN ('completed', 'closed')
      AND w.done_on BETWEEN :fc_at - INTERVAL 180 DAY AND :fc_at
),
remaining AS (
    SELECT w.*, greatest(w.planned - coalesce(b.billed, 0), 0) AS left_to_bill,
           CASE WHEN w.status IN ('completed', 'closed') AND w.done_on <= :fc_at
                THEN 'ready_to_bill'
                WHEN w.started <= :fc_at THEN 'in_delivery'
                ELSE 'committed' END AS layer
    FROM work w LEFT JOIN billed b ON b.work_order_id = w.id
    WHERE w.started IS NOT NULL AND w.created_on <= :fc_at
      AND NOT (w.status IN ('completed', 'closed')
               AND w.done_on < :fc_at - INTERVAL 90 DAY)
),
spread AS (  -- evenly over the months it runs, billed in arrears by the usual lag
    SELECT r.layer, r.left_to_bill,
           CASE WHEN r.layer = 'ready_to_bill' THEN f.m
                ELSE greatest(CAST(date_trunc('month', r.started + CAST(l.days AS INTEGER)) AS DATE),
                              f.m) END AS from_m,
           greatest(CAST(date_trunc('month', coalesce(r.ends, r.started) + CAST(l.days AS INTEGER))
                         AS DATE), f.m) AS to_m
    FROM remaining r, first_month f, billing_lag l
    WHERE r.left_to_bill > 0
),
delivery AS (
    SELECT layer, 'delivery' AS category, CAST(m AS DATE) AS month,
           left_to_bill / (date_diff('month', from_m, to_m) + 1) AS revenue
    FROM spread, unnest(generate_series(from_m, to_m, INTERVAL 1 MONTH)) AS g(m)
),
recurring_rate AS (  -- per customer: billing on no job over the last three full months
    SELECT x.golden_key,
           sum(l.line_amount * r.rate) / 3 AS monthly
    FROM invoice_line l
    JOIN invoice i ON i.native_id = l.invoice_native_id AND i.source_system = l.source_system
    LEFT JOIN rates r ON r.currency = l.currency
    JOIN customer_key x ON x.source_system = i.source_system
         AND x.native_id = coalesce(i.account_native_id, i.customer_name)
    WHERE l.id NOT IN (SELECT invoice_line_id FROM job WHERE invoice_line_id IS NOT NULL)
      AND coalesce(i.status, '') NOT IN ('draft', 'voided', 'deleted')
      AND i.invoice_date > CAST(date_trunc('month', :fc_at) AS DATE) - INTERVAL 2 MONTH
      AND i.invoice_date <= :fc_at
    GROUP BY ALL
),
contract_end AS (  -- the last day a contract known on the date runs, per customer
    SELECT x.golden_key, max(coalesce(c.end_date, DATE '9999-12-31')) AS ends
    FROM contract c
    JOIN customer_key x ON x.source_system = c.source_system
         AND x.native_id = c.account_native_id
    WHERE c.start_date <= :fc_at
      AND lower(coalesce(c.status, '')) NOT IN ('draft', 'in approval process', 'rejected',
                                                'cancelled', 'canceled')
    GROUP BY ALL
),
recurring AS (
    SELECT 'recurring' AS layer, 'contract' AS category, CAST(g.m AS DATE) AS month,
           sum(rr.monthly) AS revenue
    FROM recurring_rate rr
    JOIN contract_end ce USING (golden_key), first_month f,
         unnest(generate_series(f.m, f.m + INTERVAL 23 MONTH, INTERVAL 1 MONTH)) AS g(m)
    WHERE g.m <= ce.ends
    GROUP BY ALL
),
deal_lag AS (  -- days from a won deal's close to its first invoice, median of the last year
    SELECT coalesce(median(greatest(date_diff('day', o.close_date, b.first_invoice), 0)), 0)
               AS days
    FROM opportunity o
    JOIN quote q ON q.opportunity_native_id = o.native_id AND q.source_system = o.source_system
    JOIN (SELECT j.quote_id, min(i.invoice_date) AS first_invoice
          FROM job j
          JOIN invoice_line l ON l.id = j.invoice_line_id
          JOIN invoice i ON i.native_id = l.invoice_native_id AND i.source_system = l.source_system
          WHERE i.invoice_date <= :fc_at GROUP BY ALL) b ON b.quote_id = q.id
    WHERE o.is_won AND o.close_date BETWEEN :fc_at - INTERVAL 365 DAY
                                        AND :fc_at
),
open_deals AS (
    SELECT o.amount * r.rate AS amount,
           CASE WHEN NOT o.is_closed AND o.probability IS NOT NULL THEN o.probability / 100
                ELSE :fc_win_rate END AS weight,
           greatest(CAST(date_trunc('month', o.close_date + CAST(dl.days AS INTEGER)) AS DATE),
                    f.m) AS month
    FROM opportunity o LEFT JOIN rates r ON r.currency = o.currency, first_month f, deal_lag dl
    WHERE CAST(o.created_at AS DATE) <= :fc_at AND o.amount IS NOT NULL
      AND (NOT o.is_closed OR o.close_date > :fc_at)
)
SELECT layer, category, month, sum(revenue) AS revenue FROM delivery GROUP BY ALL
UNION ALL
SELECT * FROM recurring
UNION ALL
SELECT 'pipeline', CASE WHEN weight >= 0.7 THEN 'commit' WHEN weight >= 0.4 THEN 'best_case'
                        ELSE 'pipeline' END,
       month, sum(amount * weight)
FROM open_deals GROUP BY ALL
ORDER BY month, layer, category
