-- One row per customer (golden key of the master CRM): the facts account health scores.
-- Open exceptions are not counted here: each rule's health effect applies to its open cases
-- in the state store (accounts.health).
-- Variables: health_as_of, health_window, health_aged, health_renewal, health_onboarding,
-- health_overdue, health_currency. Money converts at the rate of its own date (currency_rate):
-- a contract's start, an opportunity's creation (an undated one: the as-of date).
CREATE OR REPLACE TEMP TABLE _health_signal AS
WITH customers AS (
    SELECT golden_key AS account_key, name, tier FROM customer_master
),
contracts AS (
    SELECT k.golden_key AS account_key, c.start_date, c.value, c.currency,
           coalesce(c.renewal_date, c.end_date + 1) AS renews
    FROM contract c
    JOIN customer_key k ON k.source_system = c.source_system AND k.native_id = c.account_native_id
    WHERE lower(coalesce(c.status, '')) NOT IN ('draft', 'in approval process', 'rejected',
                                                'cancelled', 'canceled', 'expired', 'terminated')
      AND c.start_date <= :health_as_of
      AND coalesce(c.renewal_date, c.end_date + 1, DATE '9999-12-31') > :health_as_of
),
contract_sum AS (
    SELECT c.account_key, min(c.renews) AS renewal_date, max(c.start_date) AS newest_start,
           sum(round(c.value * r.rate, 2)) AS contract_value
    FROM contracts c
    LEFT JOIN currency_rate r
         ON r.from_currency = coalesce(c.currency, :health_currency)
        AND r.to_currency = :health_currency
        AND c.start_date BETWEEN r.valid_from AND r.valid_until
    GROUP BY ALL
),
pipeline AS (
    SELECT k.golden_key AS account_key, sum(round(o.amount * r.rate, 2)) AS open_pipeline
    FROM opportunity o
    JOIN customer_key k ON k.source_system = o.source_system AND k.native_id = o.account_native_id
    LEFT JOIN currency_rate r
         ON r.from_currency = coalesce(o.currency, :health_currency)
        AND r.to_currency = :health_currency
        AND coalesce(CAST(o.created_at AS DATE), :health_as_of)
            BETWEEN r.valid_from AND r.valid_until
    WHERE NOT coalesce(o.is_closed, FALSE) GROUP BY ALL
),
tickets AS (
    SELECT account_key,
           count(*) FILTER (WHERE resolution_breached
                            AND CAST(opened_at AS DATE) > :health_as_of - :health_window)
               AS sla_breaches,
           count(*) FILTER (WHERE is_open AND coalesce(escalated, FALSE)) AS open_escalations,
           count(*) FILTER (WHERE is_open
                            AND CAST(opened_at AS DATE) < :health_as_of - :health_aged)
               AS aged_cases
    FROM ticket_sla WHERE account_key IS NOT NULL GROUP BY ALL
),
milestones AS (
    SELECT k.golden_key AS account_key,
           count(*) FILTER (WHERE coalesce(m.status, '') <> 'blocked' AND m.due_date < :health_as_of)
               AS onboarding_late,
           count(*) FILTER (WHERE m.status = 'blocked') AS onboarding_blocked,
           count(*) AS onboarding_open
    FROM onboarding_milestone m
    JOIN customer_key k ON k.source_system = m.source_system
         AND k.native_id = coalesce(m.account_native_id, m.customer_name)
    WHERE m.completed_at IS NULL AND coalesce(m.status, '') NOT IN ('completed', 'canceled')
    GROUP BY ALL
),
overdue AS (
    SELECT k.golden_key AS account_key, count(*) AS overdue_receivables
    FROM invoice i
    JOIN customer_key k ON k.source_system = i.source_system
         AND k.native_id = coalesce(i.account_native_id, i.customer_name)
    WHERE i.doc_type = 'invoice' AND coalesce(i.status, '') NOT IN ('paid', 'voided', 'deleted', 'draft')
      AND coalesce(i.amount_due, i.total) > 0
      AND i.due_date < :health_as_of - :health_overdue
    GROUP BY ALL
)
SELECT c.account_key, c.name, c.tier, s.renewal_date, s.newest_start,
       date_diff('day', :health_as_of, s.renewal_date) AS renewal_days,
       CAST(s.contract_value AS DECIMAL(18, 2)) AS contract_value,
       CAST(coalesce(p.open_pipeline, 0) AS DECIMAL(18, 2)) AS open_pipeline,
       coalesce(t.sla_breaches, 0) AS sla_breaches,
       coalesce(t.open_escalations, 0) AS open_escalations,
       coalesce(t.aged_cases, 0) AS aged_cases,
       coalesce(m.onboarding_late, 0) AS onboarding_late,
       coalesce(m.onboarding_blocked, 0) AS onboarding_blocked,
       coalesce(m.onboarding_open, 0) AS onboarding_open,
       coalesce(o.overdue_receivables, 0) AS overdue_receivables
FROM customers c
LEFT JOIN contract_sum s USING (account_key)
LEFT JOIN pipeline p USING (account_key)
LEFT JOIN tickets t USING (account_key)
LEFT JOIN milestones m USING (account_key)
LEFT JOIN overdue o USING (account_key);
