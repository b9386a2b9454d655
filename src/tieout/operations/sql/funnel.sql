-- lead_funnel: one row per lead. _funnel_staged is the lead table with the time each of the
-- project's stage definitions was met (s_mql, s_sal, s_sql: built in funnel.py from the
-- checked expressions of tieout.yml). A stage counts only once the one before it is reached:
-- a lead is not SQL without being MQL. Money in the reporting currency at the rate of the
-- opportunity's date (currency_rate; an undated one at the as-of date's).

DELETE FROM lead_funnel;
INSERT INTO lead_funnel BY NAME
WITH first_touch AS (
    SELECT m.source_system, m.lead_native_id,
           arg_min(m.campaign_native_id, (m.created_at, m.campaign_native_id)) AS campaign_native_id
    FROM campaign_member m WHERE m.lead_native_id IS NOT NULL
    GROUP BY ALL
)
SELECT l.id AS lead_id, c.id AS campaign_id, c.name AS campaign, k.golden_key AS account_key,
       l.created_at, l.s_mql AS mql_at,
       CASE WHEN l.s_mql IS NOT NULL THEN l.s_sal END AS sal_at,
       CASE WHEN l.s_mql IS NOT NULL THEN l.s_sql END AS sql_at,
       o.id AS opportunity_id,
       CASE WHEN o.id IS NOT NULL THEN coalesce(o.created_at, CAST(l.converted_at AS TIMESTAMP)) END
           AS opportunity_at,
       CASE WHEN o.is_won THEN CAST(o.close_date AS TIMESTAMP) END AS won_at,
       CAST(round(o.amount * r.rate, 2) AS DECIMAL(18, 2)) AS pipeline_value,
       CASE WHEN o.is_won THEN CAST(round(o.amount * r.rate, 2) AS DECIMAL(18, 2)) END AS won_value
FROM _funnel_staged l
LEFT JOIN first_touch f ON f.source_system = l.source_system AND f.lead_native_id = l.native_id
LEFT JOIN campaign c ON c.source_system = f.source_system AND c.native_id = f.campaign_native_id
LEFT JOIN opportunity o ON o.source_system = l.source_system
     AND o.native_id = l.converted_opportunity_native_id
LEFT JOIN currency_rate r ON r.from_currency = coalesce(o.currency, :funnel_currency)
     AND r.to_currency = :funnel_currency
     AND coalesce(CAST(coalesce(o.created_at, l.converted_at) AS DATE), :funnel_as_of)
         BETWEEN r.valid_from AND r.valid_until
LEFT JOIN customer_key k ON k.source_system = l.source_system AND k.native_id = l.converted_account_native_id;
