-- SLA clocks: one row per ticket in ticket_sla, in business seconds of the service calendar.
-- Inputs: business_interval (the calendar, built just before), _sla_policy (ord, priority,
-- tier, response_s, resolution_s), _sla_pause (status); variables sla_now (end of the as-of
-- day, UTC) and sla_calendar.
-- A ticket's time is cut into segments by status: running, paused (waiting on the customer)
-- or stopped (resolved, closed, canceled; a reopen starts a running segment again). With an
-- event history the segments come from it; without one the ticket runs from opened to
-- resolved and the source's exported paused minutes are taken off.
-- A resolved or closed ticket stops at its resolved time, else at opened plus the calendar
-- duration the source exported (ServiceNow sets it at resolution), else its closed time,
-- else its last update. With none of these its exported business duration is its clock
-- (clock_source 'durations'); with no duration either it is left out of the SLA figures
-- (clock_source 'no end time': no minutes, never breached) rather than run to the as-of
-- date, and counted in a warning.
-- Each row carries the ticket's number and its source record (refs), so a reader of the
-- clocks needs no join back to ticket to name it or point at it.
-- A ticket's customer is its account (or named customer) in customer_key, else the one
-- customer whose website or e-mail domain is the requester's (a Zendesk ticket with no
-- organisation); its tier is its master record's (customer_master).

CREATE OR REPLACE TEMP TABLE _sla_ticket AS
WITH domains AS (  -- a requester's e-mail domain, where it names exactly one customer
    SELECT _match_domain(coalesce(a.website, a.email)) AS domain, min(k.golden_key) AS golden_key
    FROM account a
    JOIN customer_key k ON k.source_system = a.source_system AND k.native_id = a.native_id
    WHERE _match_domain(coalesce(a.website, a.email)) IS NOT NULL
    GROUP BY 1 HAVING count(DISTINCT k.golden_key) = 1
)
SELECT t.id AS ticket_id, t.source_system, t.source_object, t.native_id, t.ticket_number,
       coalesce(k.golden_key, d.golden_key) AS account_key, m.tier,
       t.category, nullif(lower(trim(t.topic)), '') AS topic, coalesce(t.priority, 4) AS priority,
       t.opened_at, t.status, t.first_response_at,
       least(coalesce(t.resolved_at,
                      CASE WHEN t.status IN ('resolved', 'closed') THEN
                           coalesce(t.opened_at + to_minutes(CAST(t.calendar_minutes AS BIGINT)),
                                    t.closed_at, t.updated_at) END),
             :sla_now) AS resolved_at,
       t.status IN ('resolved', 'closed') AND t.resolved_at IS NULL AND t.calendar_minutes IS NULL
           AND t.closed_at IS NULL AND t.updated_at IS NULL AS no_end,
       t.business_minutes, t.closed_at, t.updated_at, t.paused_minutes, t.reopen_count, t.escalated, t.satisfied
FROM ticket t
LEFT JOIN customer_key k ON k.source_system = t.source_system
     AND k.native_id = coalesce(t.account_native_id, t.customer_name)
LEFT JOIN domains d ON k.golden_key IS NULL AND d.domain = _match_domain(t.requester_email)
LEFT JOIN customer_master m ON m.golden_key = coalesce(k.golden_key, d.golden_key)
WHERE t.opened_at <= :sla_now;

CREATE OR REPLACE TEMP TABLE _sla_event AS
SELECT t.ticket_id, e.event_at, e.status
FROM ticket_event e
JOIN _sla_ticket t ON t.source_system = e.source_system AND t.native_id = e.ticket_native_id
WHERE e.status IS NOT NULL AND e.event_at <= :sla_now;

CREATE OR REPLACE TEMP TABLE _sla_reply AS  -- first replies the source records as events
SELECT t.ticket_id, min(e.event_at) AS replied_at
FROM ticket_event e
JOIN _sla_ticket t ON t.source_system = e.source_system AND t.native_id = e.ticket_native_id
WHERE e.kind = 'response' AND e.event_at <= :sla_now
GROUP BY ALL;

-- segments, clipped to [opened, now]
CREATE OR REPLACE TEMP TABLE _sla_segment AS
WITH from_events AS (
    SELECT ticket_id, status, event_at AS s,
           coalesce(lead(event_at) OVER (PARTITION BY ticket_id ORDER BY event_at, status),
                    :sla_now) AS e
    FROM _sla_event
    UNION ALL  -- before the first recorded event the ticket was new
    SELECT t.ticket_id, 'new', t.opened_at, min(e.event_at)
    FROM _sla_ticket t JOIN _sla_event e USING (ticket_id)
    GROUP BY ALL
),
from_timestamps AS (
    SELECT ticket_id, 'open' AS status, opened_at AS s,
           coalesce(resolved_at, CASE WHEN status = 'canceled' THEN coalesce(closed_at, updated_at) END,
                    :sla_now) AS e
    FROM _sla_ticket t
    WHERE NOT EXISTS (SELECT 1 FROM _sla_event e WHERE e.ticket_id = t.ticket_id)
      AND NOT t.no_end
),
raw AS (SELECT * FROM from_events UNION ALL SELECT * FROM from_timestamps)
SELECT r.ticket_id,
       CASE WHEN r.status IN ('resolved', 'closed', 'canceled') THEN 'stopped'
            WHEN r.status IN (SELECT status FROM _sla_pause) THEN 'paused'
            ELSE 'running' END AS state,
       r.status, greatest(r.s, t.opened_at) AS s, least(r.e, :sla_now) AS e
FROM raw r JOIN _sla_ticket t USING (ticket_id)
WHERE least(r.e, :sla_now) > greatest(r.s, t.opened_at);

-- per ticket: when it was first answered and when it was last resolved
CREATE OR REPLACE TEMP TABLE _sla_marks AS
SELECT t.ticket_id,
       coalesce(t.first_response_at,
                (SELECT r.replied_at FROM _sla_reply r WHERE r.ticket_id = t.ticket_id),
                (SELECT min(s.s) FROM _sla_segment s  -- first move out of new, after opening
                 WHERE s.ticket_id = t.ticket_id AND s.status <> 'new' AND s.s > t.opened_at
                   AND EXISTS (SELECT 1 FROM _sla_event e WHERE e.ticket_id = t.ticket_id))
       ) AS first_response_at,
       (SELECT arg_max(s.state, s.s) FROM _sla_segment s WHERE s.ticket_id = t.ticket_id) AS last_state,
       (SELECT count(*) FROM (
            SELECT state, lag(state) OVER (ORDER BY s) AS before
            FROM _sla_segment s WHERE s.ticket_id = t.ticket_id)
        WHERE before = 'stopped' AND state <> 'stopped') AS reopens,
       (SELECT max(s.s) FROM _sla_segment s
        WHERE s.ticket_id = t.ticket_id AND s.state = 'stopped'
          AND EXISTS (SELECT 1 FROM _sla_event e WHERE e.ticket_id = t.ticket_id)) AS stopped_at
FROM _sla_ticket t;

-- business seconds before each instant the clocks need (one ASOF join for all of them)
CREATE OR REPLACE TEMP TABLE _sla_cum AS
WITH points AS (
    SELECT s AS instant FROM _sla_segment UNION SELECT e FROM _sla_segment
    UNION SELECT opened_at FROM _sla_ticket
    UNION SELECT first_response_at FROM _sla_marks WHERE first_response_at IS NOT NULL
    UNION SELECT :sla_now
),
cal AS (SELECT * FROM business_interval WHERE calendar = :sla_calendar)
SELECT p.instant,
       coalesce(i.minutes_before * 60
                + least(greatest(date_diff('second', i.start_at, p.instant), 0), i.minutes * 60), 0)
           AS cum_s
FROM points p ASOF LEFT JOIN cal i ON p.instant >= i.start_at;

CREATE OR REPLACE TEMP TABLE _sla_clock AS
WITH seg AS (
    SELECT s.ticket_id, s.state, cs.cum_s AS s_cum, ce.cum_s AS e_cum,
           least(ce.cum_s, cr.cum_s) AS r_cum
    FROM _sla_segment s
    JOIN _sla_cum cs ON cs.instant = s.s
    JOIN _sla_cum ce ON ce.instant = s.e
    JOIN _sla_marks mk USING (ticket_id)
    LEFT JOIN _sla_cum cr ON cr.instant = coalesce(mk.first_response_at, :sla_now)
)
SELECT ticket_id,
       sum(CASE WHEN state = 'running' THEN e_cum - s_cum ELSE 0 END) AS running_s,
       sum(CASE WHEN state = 'paused' THEN e_cum - s_cum ELSE 0 END) AS paused_s,
       sum(CASE WHEN state = 'running' THEN greatest(r_cum - s_cum, 0) ELSE 0 END) AS response_s
FROM seg GROUP BY ticket_id;

DELETE FROM ticket_sla;
INSERT INTO ticket_sla BY NAME
WITH measured AS (
    SELECT t.*, mk.first_response_at AS responded_at, mk.last_state, mk.reopens AS event_reopens,
           coalesce(mk.stopped_at, t.resolved_at) AS done_at,
           CASE WHEN EXISTS (SELECT 1 FROM _sla_event e WHERE e.ticket_id = t.ticket_id) THEN 'events'
                WHEN t.no_end AND t.business_minutes IS NULL THEN 'no end time'
                WHEN t.paused_minutes IS NOT NULL OR t.no_end THEN 'durations'
                ELSE 'timestamps' END AS clock_source,
           c.running_s, c.paused_s, c.response_s,
           p.response_s AS response_target_s, p.resolution_s AS resolution_target_s
    FROM _sla_ticket t
    JOIN _sla_marks mk USING (ticket_id)
    LEFT JOIN _sla_clock c USING (ticket_id)
    LEFT JOIN (
        SELECT t.ticket_id, p.response_s, p.resolution_s
        FROM _sla_ticket t JOIN _sla_policy p ON p.priority = t.priority
             AND (p.tier IS NULL OR p.tier = t.tier)
        QUALIFY row_number() OVER (PARTITION BY t.ticket_id ORDER BY p.ord) = 1
    ) p USING (ticket_id)
),
clocked AS (
    SELECT *,
           coalesce(last_state <> 'stopped' AND coalesce(status, '') NOT IN ('resolved', 'closed', 'canceled'),
                    coalesce(status, '') NOT IN ('resolved', 'closed', 'canceled')) AS is_open,
           CASE WHEN clock_source = 'events' THEN coalesce(running_s, 0)
                WHEN clock_source = 'no end time' THEN NULL
                WHEN no_end THEN business_minutes * 60
                ELSE greatest(coalesce(running_s, 0) - coalesce(paused_minutes, 0) * 60, 0) END AS resolution_s,
           CASE WHEN clock_source = 'events' THEN coalesce(paused_s, 0)
                WHEN no_end THEN NULL
                ELSE coalesce(paused_minutes, 0) * 60 END AS pause_s
    FROM measured
)
SELECT k.ticket_id, k.ticket_number, k.account_key, k.tier, k.category, k.topic, k.priority, k.opened_at,
       k.responded_at AS first_response_at,
       CASE WHEN NOT k.is_open THEN k.done_at END AS resolved_at,
       k.is_open,
       date_diff('day', CAST(k.opened_at AS DATE),
                 CASE WHEN k.is_open THEN CAST(:sla_now AS DATE) - 1
                      ELSE CAST(k.done_at AS DATE) END) AS age_days,
       greatest(coalesce(k.event_reopens, 0), coalesce(k.reopen_count, 0)) AS reopens,
       k.escalated, k.satisfied,
       CAST(k.response_target_s / 60 AS INTEGER) AS response_target_minutes,
       CASE WHEN k.responded_at IS NOT NULL OR k.is_open THEN CAST(floor(k.response_s / 60) AS INTEGER) END
           AS response_minutes,
       CASE WHEN k.responded_at IS NOT NULL OR k.is_open THEN k.response_s > k.response_target_s END
           AS response_breached,
       CAST(k.resolution_target_s / 60 AS INTEGER) AS resolution_target_minutes,
       CAST(floor(k.resolution_s / 60) AS INTEGER) AS resolution_minutes,
       CAST(floor(k.pause_s / 60) AS INTEGER) AS paused_minutes,
       CASE WHEN coalesce(k.status, '') <> 'canceled' THEN k.resolution_s > k.resolution_target_s END
           AS resolution_breached,
       CASE WHEN k.is_open THEN CAST(floor((k.resolution_target_s - k.resolution_s) / 60) AS INTEGER) END
           AS minutes_to_breach,
       CAST(NULL AS TIMESTAMP) AS resolution_due_at,
       k.clock_source,
       [{'system': k.source_system, 'object': k.source_object, 'native_id': k.native_id}] AS refs
FROM clocked k;

-- when an open ticket's clock reaches its target, if it keeps running from now
UPDATE ticket_sla SET resolution_due_at = d.due_at
FROM (
    WITH want AS (
        SELECT s.ticket_id, n.cum_s + (s.resolution_target_minutes - s.resolution_minutes) * 60 AS cum_s
        FROM ticket_sla s, (SELECT cum_s FROM _sla_cum WHERE instant = :sla_now) n
        WHERE s.is_open AND s.minutes_to_breach > 0
    ),
    cal AS (SELECT * FROM business_interval WHERE calendar = :sla_calendar)
    SELECT w.ticket_id, i.start_at + to_seconds(CAST(w.cum_s - i.minutes_before * 60 AS BIGINT)) AS due_at
    FROM want w ASOF JOIN cal i ON w.cum_s > i.minutes_before * 60
) d
WHERE ticket_sla.ticket_id = d.ticket_id;

DROP TABLE _sla_ticket;
DROP TABLE _sla_event;
DROP TABLE _sla_reply;
DROP TABLE _sla_segment;
DROP TABLE _sla_marks;
DROP TABLE _sla_cum;
DROP TABLE _sla_clock;
