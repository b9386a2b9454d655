-- What sales committed to for each campaign's cohort: the approved plans' commitments:
-- entries (matched to campaigns by name), else the campaign's own expectations in the CRM,
-- an expected response rate (against the share of its members who responded) and an
-- expected revenue (in the reporting currency at the rate of the campaign's date, as its
-- spend; an undated campaign at the as-of date's; against its cohort's won value).
-- Variables: plan_as_of, plan_currency.
CREATE OR REPLACE TEMP TABLE _campaign_commitment AS
WITH planned AS (
    SELECT c.id AS campaign_id, coalesce(c.name, p.campaign) AS campaign, 'plan' AS source,
           p.plan, p.version, p.metric, CAST(p.value AS DECIMAL(18, 4)) AS committed,
           CAST(NULL AS DECIMAL(18, 4)) AS actual, p.committed_by
    FROM plan_commitment p
    LEFT JOIN campaign c ON lower(trim(c.name)) = lower(trim(p.campaign))
),
responses AS (
    SELECT m.source_system, m.campaign_native_id,
           100.0 * count(*) FILTER (WHERE m.responded) / count(*) AS response_pct
    FROM campaign_member m GROUP BY ALL
),
crm AS (
    SELECT c.id AS campaign_id, c.name AS campaign, 'response_rate' AS metric,
           CAST(c.expected_response AS DECIMAL(18, 4)) AS committed,
           CAST(round(r.response_pct, 2) AS DECIMAL(18, 4)) AS actual,
           c.source_system, c.owner_native_id
    FROM campaign c
    LEFT JOIN responses r ON r.source_system = c.source_system AND r.campaign_native_id = c.native_id
    WHERE c.expected_response IS NOT NULL
    UNION ALL
    SELECT c.id, c.name, 'lead_won_value',
           CAST(round(c.expected_revenue * x.rate, 2) AS DECIMAL(18, 4)),
           CAST(NULL AS DECIMAL(18, 4)), c.source_system, c.owner_native_id
    FROM campaign c
    LEFT JOIN currency_rate x ON x.from_currency = coalesce(c.currency, :plan_currency)
         AND x.to_currency = :plan_currency
         AND coalesce(c.start_date, c.end_date, :plan_as_of)
             BETWEEN x.valid_from AND x.valid_until
    WHERE c.expected_revenue IS NOT NULL
)
SELECT * FROM planned
UNION ALL BY NAME
SELECT k.campaign_id, k.campaign, 'crm' AS source, CAST(NULL AS VARCHAR) AS plan,
       CAST(NULL AS INTEGER) AS version, k.metric, k.committed, k.actual, p.name AS committed_by
FROM crm k
LEFT JOIN person p ON p.source_system = k.source_system AND p.native_id = k.owner_native_id
WHERE k.campaign_id NOT IN (SELECT campaign_id FROM planned WHERE campaign_id IS NOT NULL);
