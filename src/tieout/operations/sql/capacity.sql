-- Capacity: available hours per person and week from the working calendar (less holidays
-- and time off), demand per team and week from open and committed work orders (planned
-- hours spread evenly over their working days) plus recent ticket load for the service team.
-- People are the master system's users (person_key.is_master); other systems' people (time
-- sheets, time off) reach them through their person golden key. :cap_team_field is the
-- configured person column that names a team (one of three: a value choosing a column, so the
-- file stays fixed SQL). Inputs: business_interval, _cap_hours (name, weekly_hours).

CREATE OR REPLACE TEMP TABLE _cap_person AS
SELECT p.id AS person_id, x.golden_key, p.name,
       CASE :cap_team_field WHEN 'team' THEN p.team WHEN 'function' THEN p.function
            ELSE p.department END AS team,
       coalesce(h.weekly_hours, :cap_weekly_hours) AS weekly_hours
FROM person p
JOIN person_key x ON x.is_master
     AND x.source_system = p.source_system AND x.native_id = p.native_id
LEFT JOIN _cap_hours h ON lower(h.name) = lower(p.name)
WHERE coalesce(p.is_active, TRUE)
QUALIFY row_number() OVER (PARTITION BY x.golden_key ORDER BY p.id) = 1;

-- any system's person record -> the master person
CREATE OR REPLACE TEMP TABLE _cap_key AS
SELECT x.source_system, x.native_id, c.person_id, c.team
FROM person_key x JOIN _cap_person c ON c.golden_key = x.golden_key
QUALIFY row_number() OVER (PARTITION BY x.source_system, x.native_id ORDER BY c.person_id) = 1;

CREATE OR REPLACE TEMP TABLE _cap_day AS
SELECT day, CAST(date_trunc('week', day) AS DATE) AS week_start
FROM business_interval WHERE calendar = :cap_calendar;

CREATE OR REPLACE TEMP TABLE _cap_time_off AS  -- hours off per person and working day
WITH off AS (
    SELECT k.person_id, t.start_date, coalesce(t.end_date, t.start_date) AS end_date, t.hours
    FROM time_off t
    JOIN _cap_key k ON k.source_system = t.source_system
         AND k.native_id = coalesce(t.person_native_id, t.person_name)
),
days AS (
    SELECT o.*, d.day, count(*) OVER (PARTITION BY o.person_id, o.start_date, o.end_date) AS n
    FROM off o JOIN _cap_day d ON d.day BETWEEN o.start_date AND o.end_date
)
SELECT d.person_id, d.day,
       sum(coalesce(d.hours / d.n, c.weekly_hours / :cap_days_per_week)) AS hours
FROM days d JOIN _cap_person c USING (person_id)
GROUP BY ALL;

DELETE FROM person_week;
INSERT INTO person_week BY NAME
WITH weeks AS (
    SELECT week_start, count(*) AS working_days FROM _cap_day
    WHERE week_start BETWEEN (SELECT CAST(date_trunc('week', coalesce(min(entry_date), :cap_as_of))
                                          AS DATE) FROM time_entry)
                         AND CAST(date_trunc('week', :cap_as_of) AS DATE)
                             + 7 * :cap_weeks
    GROUP BY week_start
),
off AS (
    SELECT person_id, CAST(date_trunc('week', day) AS DATE) AS week_start, sum(hours) AS hours
    FROM _cap_time_off GROUP BY ALL
),
tracked AS (
    SELECT k.person_id, CAST(date_trunc('week', t.entry_date) AS DATE) AS week_start,
           sum(t.hours) AS hours, sum(t.hours) FILTER (WHERE t.billable) AS billable
    FROM time_entry t
    JOIN _cap_key k ON k.source_system = t.source_system
         AND k.native_id = coalesce(t.person_native_id, t.person_name)
    GROUP BY ALL
)
SELECT c.person_id, c.name AS person_name, c.team, w.week_start,
       CAST(greatest(c.weekly_hours * w.working_days / :cap_days_per_week
                     - coalesce(o.hours, 0), 0) AS DECIMAL(12, 2)) AS available_hours,
       CAST(coalesce(t.hours, 0) AS DECIMAL(12, 2)) AS tracked_hours,
       CAST(coalesce(t.billable, 0) AS DECIMAL(12, 2)) AS billable_hours
FROM _cap_person c CROSS JOIN weeks w
LEFT JOIN off o ON o.person_id = c.person_id AND o.week_start = w.week_start
LEFT JOIN tracked t ON t.person_id = c.person_id AND t.week_start = w.week_start;

CREATE OR REPLACE TEMP TABLE _cap_demand AS  -- open and committed work, before team_week
SELECT w.id AS work_order_id, k.team,
       CAST(date_trunc('week', CAST(w.start_date AS DATE)) AS DATE) AS start_week,
       w.planned_hours
FROM work_order w
LEFT JOIN _cap_key k ON k.source_system = w.source_system AND k.native_id = w.owner_native_id
WHERE w.status IN ('new', 'scheduled', 'in_progress', 'on_hold')
  AND w.start_date IS NOT NULL AND w.planned_hours > 0;

DELETE FROM team_week;
INSERT INTO team_week BY NAME
WITH horizon AS (
    SELECT DISTINCT week_start FROM _cap_day
    WHERE week_start BETWEEN CAST(date_trunc('week', :cap_as_of) AS DATE)
                         AND CAST(date_trunc('week', :cap_as_of) AS DATE)
                             + 7 * (:cap_weeks - 1)
),
spread AS (  -- each open work order's hours over its working days (all on the start day if none)
    SELECT d.work_order_id, d.team, wd.week_start,
           d.planned_hours / count(*) OVER (PARTITION BY d.work_order_id) AS hours
    FROM _cap_demand d
    JOIN work_order w ON w.id = d.work_order_id
    JOIN _cap_day wd ON wd.day BETWEEN CAST(w.start_date AS DATE)
                                   AND coalesce(CAST(w.end_date AS DATE), CAST(w.start_date AS DATE))
    UNION ALL
    SELECT d.work_order_id, d.team, d.start_week, d.planned_hours
    FROM _cap_demand d JOIN work_order w ON w.id = d.work_order_id
    WHERE NOT EXISTS (SELECT 1 FROM _cap_day wd WHERE wd.day BETWEEN CAST(w.start_date AS DATE)
                          AND coalesce(CAST(w.end_date AS DATE), CAST(w.start_date AS DATE)))
),
demand AS (
    SELECT team, week_start, sum(hours) AS hours FROM spread WHERE team IS NOT NULL GROUP BY ALL
),
available AS (
    SELECT team, week_start, sum(available_hours) AS hours FROM person_week
    WHERE team IS NOT NULL GROUP BY ALL
),
tickets AS (  -- tickets opened per week over the last four weeks, at hours per ticket
    SELECT count(*) / 4 * :cap_hours_per_ticket AS hours FROM ticket
    WHERE CAST(opened_at AS DATE) > :cap_as_of - 28
      AND CAST(opened_at AS DATE) <= :cap_as_of
),
teams AS (SELECT DISTINCT team FROM _cap_person WHERE team IS NOT NULL)
SELECT t.team, h.week_start,
       CAST(coalesce(a.hours, 0) AS DECIMAL(12, 2)) AS available_hours,
       CAST(coalesce(d.hours, 0) AS DECIMAL(12, 2)) AS work_order_hours,
       CAST(CASE WHEN t.team = :cap_service_team THEN k.hours ELSE 0 END
            AS DECIMAL(12, 2)) AS ticket_hours,
       CAST(coalesce(d.hours, 0) + CASE WHEN t.team = :cap_service_team THEN k.hours ELSE 0 END
            AS DECIMAL(12, 2)) AS demand_hours,
       coalesce(d.hours, 0) + CASE WHEN t.team = :cap_service_team THEN k.hours ELSE 0 END
           > coalesce(a.hours, 0) AS over_committed
FROM teams t CROSS JOIN horizon h CROSS JOIN tickets k
LEFT JOIN demand d ON d.team = t.team AND d.week_start = h.week_start
LEFT JOIN available a ON a.team = t.team AND a.week_start = h.week_start;

-- each work order's demand with its team's week, so a reader of one needs no join to the other
DELETE FROM work_order_demand;
INSERT INTO work_order_demand BY NAME
SELECT d.work_order_id, w.work_order_number, w.status, x.golden_key AS account_key, d.team,
       CAST(w.start_date AS DATE) AS starts_on, d.start_week, d.planned_hours, w.planned_value,
       w.currency, tw.available_hours AS team_available_hours,
       tw.demand_hours AS team_demand_hours, tw.over_committed AS team_over_committed,
       [{'system': w.source_system, 'object': w.source_object, 'native_id': w.native_id}] AS refs
FROM _cap_demand d
JOIN work_order w ON w.id = d.work_order_id
LEFT JOIN customer_key x ON x.source_system = w.source_system
     AND x.native_id = coalesce(w.account_native_id, w.customer_name)
LEFT JOIN team_week tw ON tw.team = d.team AND tw.week_start = d.start_week;

DROP TABLE _cap_demand;
DROP TABLE _cap_person;
DROP TABLE _cap_key;
DROP TABLE _cap_day;
DROP TABLE _cap_time_off;
