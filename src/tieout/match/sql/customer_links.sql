-- Decide, for every non-anchor customer record, which anchor (CRM account) it belongs to.
-- Inputs: _match_customer, _match_mentions (job evidence), _match_scores (Splink),
-- _match_decisions (people's accept/reject, which always win).
-- Routes: a converted lead's account, a shared tax or registration number, job references,
-- exact normalised name, shared domain, Splink probability.
-- A route is strong when it alone is near-certain; two strong routes that disagree, or
-- only weak evidence, send the record to review instead of guessing.

CREATE OR REPLACE TEMP TABLE _match_candidates AS
WITH others AS (SELECT * FROM _match_customer WHERE NOT is_anchor),
anchors AS (SELECT * FROM _match_customer WHERE is_anchor),
votes AS (
    SELECT unique_id, anchor_id, votes,
           votes / sum(votes) OVER (PARTITION BY unique_id) AS share,
           row_number() OVER (PARTITION BY unique_id ORDER BY votes DESC, anchor_id) AS vote_rank
    FROM _match_mentions
),
exact AS (
    SELECT o.unique_id, a.unique_id AS anchor_id,
           count(*) OVER (PARTITION BY o.unique_id) AS n
    FROM others o JOIN anchors a ON o.name_norm = a.name_norm
),
taxes AS (
    SELECT o.unique_id, a.unique_id AS anchor_id,
           count(*) OVER (PARTITION BY o.unique_id) AS n
    FROM others o JOIN anchors a ON o.tax_number = a.tax_number
),
domains AS (  -- a postcode that agrees too is a second, independent witness
    SELECT o.unique_id, a.unique_id AS anchor_id, o.postcode = a.postcode AS same_postcode,
           count(*) OVER (PARTITION BY o.unique_id) AS n
    FROM others o JOIN anchors a ON o.domain = a.domain
),
probs AS (  -- the likeliest anchor; two as likely are a question for a person, not a link
    SELECT *, count(*) FILTER (WHERE p_rank = 1) OVER (PARTITION BY unique_id) AS p_ties
    FROM (SELECT left_id AS unique_id, right_id AS anchor_id, match_probability,
                 rank() OVER (PARTITION BY left_id ORDER BY match_probability DESC) AS p_rank
          FROM _match_scores)
),
pairs AS (
    SELECT unique_id, anchor_id FROM votes
    UNION SELECT unique_id, anchor_id FROM exact
    UNION SELECT unique_id, anchor_id FROM domains
    UNION SELECT unique_id, anchor_id FROM taxes
    UNION SELECT unique_id, anchor_id FROM probs WHERE match_probability >= 0.2
    UNION SELECT left_id, right_id FROM _match_decisions WHERE decision = 'accept'
    UNION SELECT unique_id, converted_to FROM others WHERE converted_to IS NOT NULL
)
SELECT
    p.unique_id,
    p.anchor_id,
    coalesce(v.votes, 0) AS votes,
    coalesce(v.share, 0) AS share,
    coalesce(v.vote_rank = 1 AND v.share >= 0.5 AND v.votes >= 1, false) AS vote_top,
    coalesce(v.vote_rank = 1 AND v.share >= 0.8 AND v.votes >= 2, false) AS vote_strong,
    coalesce(e.n = 1, false) AS exact_unique,
    coalesce(d.n = 1, false) AS domain_unique,
    coalesce(d.n = 1 AND d.same_postcode, false) AS domain_postcode,
    coalesce(t.n = 1, false) AS tax_unique,
    coalesce(pr.match_probability, 0) AS probability,
    coalesce(pr.p_rank = 1 AND pr.p_ties = 1, false) AS p_top,
    coalesce(o.converted_to = p.anchor_id, false) AS converted,
    dec.decision
FROM pairs p
LEFT JOIN votes v USING (unique_id, anchor_id)
LEFT JOIN exact e USING (unique_id, anchor_id)
LEFT JOIN domains d USING (unique_id, anchor_id)
LEFT JOIN taxes t USING (unique_id, anchor_id)
LEFT JOIN probs pr USING (unique_id, anchor_id)
LEFT JOIN _match_decisions dec ON dec.left_id = p.unique_id AND dec.right_id = p.anchor_id
JOIN others o ON o.unique_id = p.unique_id
WHERE coalesce(dec.decision, '') <> 'reject';

-- One row per record that has any candidate: the chosen anchor (or NULL) and why.
CREATE OR REPLACE TEMP TABLE _match_customer_links AS
WITH scored AS (
    SELECT *,
        CASE
            WHEN decision = 'accept' THEN 'decision'
            WHEN converted THEN 'converted_lead'
            WHEN tax_unique THEN 'tax_number'
            WHEN vote_strong THEN 'job_reference'
            WHEN exact_unique THEN 'exact_name'
            WHEN vote_top AND (domain_unique OR (p_top AND probability >= 0.5)) THEN 'job_reference'
            -- a trading name (the name says nothing) at the one account with its e-mail
            -- domain and postcode; a group's companies share a domain, so it is not unique
            WHEN domain_unique AND (domain_postcode OR (p_top AND probability >= 0.5)) THEN 'domain'
            WHEN p_top AND probability >= :match_upper THEN 'probabilistic'
            WHEN vote_top THEN 'job_reference'
        END AS method,
        (decision = 'accept' OR converted OR tax_unique OR vote_strong OR exact_unique) AS strong
    FROM _match_candidates
),
claims AS (
    SELECT unique_id,
           count(DISTINCT anchor_id) FILTER (WHERE method IS NOT NULL) AS claimed,
           count(DISTINCT anchor_id) FILTER (WHERE strong) AS strong_claims,
           count(DISTINCT anchor_id) FILTER (WHERE decision = 'accept') AS decided
    FROM scored GROUP BY unique_id
),
ranked AS (
    SELECT s.*, c.claimed, c.strong_claims, c.decided,
           row_number() OVER (
               PARTITION BY s.unique_id
               ORDER BY s.decision = 'accept' DESC, s.strong DESC, s.method IS NOT NULL DESC,
                        s.votes DESC, s.probability DESC, s.anchor_id
           ) AS pick
    FROM scored s JOIN claims c USING (unique_id)
)
SELECT
    unique_id,
    CASE WHEN decided = 1 OR (method IS NOT NULL AND strong_claims <= 1 AND (strong OR claimed = 1))
         THEN anchor_id END AS anchor_id,
    CASE WHEN decided = 1 OR (method IS NOT NULL AND strong_claims <= 1 AND (strong OR claimed = 1))
         THEN method END AS method,
    CASE
        WHEN decision = 'accept' OR method = 'converted_lead' THEN 1.0
        WHEN method = 'job_reference' THEN greatest(share, probability)
        WHEN method IN ('exact_name', 'domain', 'tax_number') THEN greatest(0.95, probability)
        ELSE probability
    END AS confidence,
    anchor_id AS best_anchor,
    CASE
        WHEN decided = 1 THEN NULL
        WHEN strong_claims > 1 THEN 'strong evidence for different accounts'
        WHEN method IS NOT NULL AND NOT strong AND claimed > 1 THEN 'evidence points to different accounts'
        WHEN method IS NULL AND probability >= :match_lower THEN 'name similar but not certain'
    END AS review_reason,
    votes, share, probability, exact_unique, domain_unique
FROM ranked
WHERE pick = 1;
