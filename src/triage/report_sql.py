"""The annual report's aggregation in SQLite (CONTRACT section 5, "What is counted").

Everything is counted inside SQLite with GROUP BY over the log; Python only receives small
grouped rows (a year, a few keys and a count) and maps stored codes to the seed's labels.
Three read-only statements run through ``DecisionLog.query``:

``PER_REFERENCE``  one row per reference (its latest decision, overrides applied) in a
                   MATERIALIZED base, then one GROUP BY per table (UNION ALL), so each
                   stored representation's JSON is parsed once.
``PER_STAGE``      one row per complaint stage (procedure, start, response, finding), with
                   working days counted against a calendar passed in as JSON (the index of
                   each date in working days, as ``WorkingCalendar`` counts them).
``LGSCO``          Ombudsman referrals and decisions by the date they were received.

The SQL is fixed text; the only inputs are bound parameters.
"""

from __future__ import annotations

# The decision as reports use it: each decision with the overrides made on it applied,
# the last override of a field winning (timeline.effective does the same in Python).
_EFFECTIVE = """
ovl AS (
  SELECT decision_id, field, to_value,
         row_number() OVER (PARTITION BY decision_id, field ORDER BY seq DESC) AS rn
  FROM overrides),
ov AS MATERIALIZED (
  SELECT decision_id,
         max(CASE WHEN field = 'representation_type' THEN to_value END) AS rtype,
         max(CASE WHEN field = 'procedure' THEN to_value END) AS proc,
         max(CASE WHEN field = 'disposition' THEN to_value END) AS disp,
         max(CASE WHEN field = 'reason' THEN to_value END) AS reason,
         max(CASE WHEN field = 'stage' THEN to_value END) AS stage
  FROM ovl WHERE rn = 1 GROUP BY decision_id),
d AS (
  SELECT x.seq, x.reference, x.received_date, x.representation, x.decision,
         coalesce(ov.rtype, x.representation_type) AS rtype,
         coalesce(ov.proc, x.procedure) AS proc,
         coalesce(ov.disp, x.disposition) AS disp,
         coalesce(ov.reason, x.reason) AS reason,
         CAST(coalesce(ov.stage, x.stage) AS INTEGER) AS stage
  FROM decisions x LEFT JOIN ov ON ov.decision_id = printf('d-%06d', x.seq)),
resp AS MATERIALIZED (
  SELECT reference, stage, min(date) AS date,
         json_extract(payload, '$.finding') AS finding,
         json_extract(payload, '$.actual_outcomes') AS outcomes
  FROM events WHERE event = 'responded' GROUP BY reference, stage),
evr AS MATERIALIZED (
  SELECT reference,
         min(CASE WHEN event IN ('withdrawn', 'closed') THEN date END) AS closed_on,
         max(event = 'withdrawn') AS withdrawn,
         max(event = 'responded') AS responded
  FROM events WHERE event IN ('withdrawn', 'closed', 'responded') GROUP BY reference)
"""

# The date a reference is counted on. Received: its first received_date. Resolved: the
# response at the stage it has reached (else the date it was withdrawn or closed; NULL while
# still open); anything not awaiting a response (refused, deferred, redirected, not a
# complaint) was resolved when it was decided, on the date of its latest input.
_ON_DATE = {
    "received": "r.received",
    "resolved": """CASE WHEN L.rtype = 'complaint' AND L.disp IN ('accepted', 'officer_decision_required')
                        THEN coalesce(rs.date, ev.closed_on) ELSE L.received_date END""",
}

_PER_REFERENCE = """
WITH {effective},
refs AS (SELECT reference, min(received_date) AS received, max(seq) AS last_seq
         FROM decisions GROUP BY reference),
base AS MATERIALIZED (
  SELECT CAST(substr(on_date, 1, 4) AS INTEGER) - (substr(on_date, 6, 2) < '04') AS fy, *
  FROM (
    SELECT {on_date} AS on_date,
           L.rtype, coalesce(L.proc, 'statutory') AS proc, L.disp, L.reason,
           CASE WHEN L.rtype <> 'complaint' THEN L.rtype
                WHEN L.disp IN ('refused', 'deferred') AND coalesce(ev.responded, 0) = 0 THEN 'refused'
                WHEN coalesce(ev.withdrawn, 0) = 1 AND coalesce(ev.responded, 0) = 0 THEN 'withdrawn'
                ELSE 'complaint' END AS cat,
           CASE WHEN L.rtype = 'complaint' THEN json_extract(L.representation, '$.received_via') END AS via,
           CASE WHEN L.rtype = 'complaint' THEN json_extract(L.representation, '$.complainant.relationship') END AS rel,
           CASE WHEN L.rtype = 'complaint' THEN json_extract(L.representation, '$.complainant.age_unclear') END AS age_unclear,
           CASE WHEN L.rtype = 'complaint' THEN json_extract(L.representation, '$.about.service') END AS service,
           CASE WHEN L.rtype = 'complaint' THEN json_extract(L.representation, '$.about.natures') END AS natures,
           CASE WHEN L.rtype = 'complaint' THEN json_extract(L.representation, '$.complainant.equality.gender') END AS gender,
           CASE WHEN L.rtype = 'complaint' THEN json_extract(L.representation, '$.complainant.equality.age_band') END AS age_band,
           CASE WHEN L.rtype = 'complaint' THEN json_extract(L.representation, '$.complainant.equality.disability') END AS disability,
           CASE WHEN L.rtype = 'complaint' THEN json_extract(L.representation, '$.complainant.equality.ethnicity') END AS ethnicity,
           CASE WHEN L.rtype = 'complaint' THEN json_extract(L.representation, '$.complainant.equality.sexual_orientation') END AS orientation,
           CASE WHEN L.rtype = 'complaint' THEN json_extract(L.decision, '$.advocacy_offer') END AS advocacy
    FROM refs r
    JOIN d L ON L.seq = r.last_seq
    LEFT JOIN evr ev ON ev.reference = r.reference
    LEFT JOIN resp rs ON rs.reference = r.reference AND rs.stage = L.stage)
  WHERE on_date BETWEEN :start AND :end)
SELECT 'representations' AS t, fy, cat AS k1, proc AS k2, count(*) AS n FROM base GROUP BY fy, cat, proc
UNION ALL
SELECT 'refusals', fy, proc, reason, count(*) FROM base
  WHERE rtype = 'complaint' AND disp IN ('refused', 'deferred') GROUP BY fy, proc, reason
UNION ALL
SELECT 'methods', fy, via, NULL, count(*) FROM base WHERE rtype = 'complaint' GROUP BY fy, via
UNION ALL
SELECT 'young_people_methods', fy, via, NULL, count(*) FROM base
  WHERE rtype = 'complaint' AND rel IN ('child', 'young_person', 'care_leaver', 'advocate') GROUP BY fy, via
UNION ALL
SELECT 'complainants', fy, rel, NULL, count(*) FROM base WHERE rtype = 'complaint' GROUP BY fy, rel
UNION ALL
SELECT 'services', fy, proc, service, count(*) FROM base WHERE cat = 'complaint' GROUP BY fy, proc, service
UNION ALL
SELECT 'natures', b.fy, b.proc, j.value, count(*) FROM base b, json_each(b.natures) j
  WHERE b.cat = 'complaint' GROUP BY b.fy, b.proc, j.value
UNION ALL
SELECT 'natures', fy, proc, NULL, count(*) FROM base
  WHERE cat = 'complaint' AND json_array_length(coalesce(natures, '[]')) = 0 GROUP BY fy, proc
UNION ALL
SELECT 'equality_gender', fy, gender, NULL, count(*) FROM base WHERE rtype = 'complaint' GROUP BY fy, gender
UNION ALL
SELECT 'equality_age', fy, age_band, NULL, count(*) FROM base WHERE rtype = 'complaint' GROUP BY fy, age_band
UNION ALL
SELECT 'equality_disability', fy, disability, NULL, count(*) FROM base WHERE rtype = 'complaint' GROUP BY fy, disability
UNION ALL
SELECT 'equality_ethnicity', fy, ethnicity, NULL, count(*) FROM base WHERE rtype = 'complaint' GROUP BY fy, ethnicity
UNION ALL
SELECT 'equality_sexual_orientation', fy, orientation, NULL, count(*) FROM base
  WHERE rtype = 'complaint' GROUP BY fy, orientation
UNION ALL
SELECT 'advocacy', fy, 'young_people', NULL, count(*) FROM base
  WHERE rtype = 'complaint' AND rel IN ('child', 'young_person', 'care_leaver', 'advocate') GROUP BY fy
UNION ALL
SELECT 'advocacy', fy, 'advocate', NULL, count(*) FROM base WHERE rtype = 'complaint' AND rel = 'advocate' GROUP BY fy
UNION ALL
SELECT 'advocacy', fy, 'offered', NULL, count(*) FROM base WHERE rtype = 'complaint' AND advocacy GROUP BY fy
UNION ALL
SELECT 'advocacy', fy, 'age_unclear', NULL, count(*) FROM base
  WHERE rtype = 'complaint' AND age_unclear AND advocacy GROUP BY fy
"""

# One row per complaint stage: the latest decision at that stage, its response, and the
# working days it took. :cal maps each date to [n, nc, ns, ncs]: its index in working days
# (nc: with the council's closure days, for corporate clocks that stop for them) and the
# same for the clock's day 0 when the representation arrived that day (Clock.start).
_PER_STAGE = """
WITH {effective},
wd AS MATERIALIZED (
  SELECT key AS day, json_extract(value, '$[0]') AS n, json_extract(value, '$[1]') AS nc,
         json_extract(value, '$[2]') AS ns, json_extract(value, '$[3]') AS ncs
  FROM json_each(:cal)),
years AS (SELECT json_extract(value, '$[0]') AS fy, json_extract(value, '$[1]') AS fy_end FROM json_each(:years)),
st AS (SELECT reference, stage, max(seq) AS seq FROM d
       WHERE rtype = 'complaint' AND stage IS NOT NULL GROUP BY reference, stage),
ack AS MATERIALIZED (SELECT reference, stage, date FROM events WHERE event = 'acknowledged'),
ext AS MATERIALIZED (SELECT seq, reference, stage, date, json_extract(payload, '$.until') AS until
                     FROM events WHERE event = 'extended'),
sa AS MATERIALIZED (SELECT reference, max(date) AS date FROM events WHERE event = 'statement_agreed' GROUP BY reference),
esc AS MATERIALIZED (SELECT DISTINCT reference, CAST(json_extract(payload, '$.to_stage') AS INTEGER) AS to_stage
                     FROM events WHERE event = 'escalation_requested'),
sb AS MATERIALIZED (
  SELECT s.reference, s.stage, coalesce(x.proc, 'statutory') AS proc, x.disp, x.received_date AS requested,
         rs.date AS responded, rs.finding, rs.outcomes, ev.closed_on,
         CASE WHEN x.proc = 'corporate' AND
                   ((s.stage = 1 AND :c1_from_ack) OR (s.stage = 2 AND :c2_from_ack))
              THEN (SELECT min(a.date) FROM ack a WHERE a.reference = s.reference
                      AND coalesce(a.stage, s.stage) = s.stage AND a.date >= x.received_date
                      AND (rs.date IS NULL OR a.date <= rs.date)) END AS acknowledged,
         CASE WHEN coalesce(x.proc, 'statutory') = 'statutory' AND s.stage = 2
              THEN (SELECT date FROM sa WHERE sa.reference = s.reference AND sa.date >= x.received_date) END AS statement,
         (SELECT count(*) FROM ext e WHERE e.reference = s.reference AND coalesce(e.stage, s.stage) = s.stage
            AND e.date >= x.received_date AND (rs.date IS NULL OR e.date <= rs.date)) AS extended,
         (SELECT e.until FROM ext e WHERE e.reference = s.reference AND coalesce(e.stage, s.stage) = s.stage
            AND e.date >= x.received_date AND (rs.date IS NULL OR e.date <= rs.date)
            ORDER BY e.seq DESC LIMIT 1) AS until,
         EXISTS (SELECT 1 FROM esc WHERE esc.reference = s.reference AND esc.to_stage = s.stage + 1) AS escalated
  FROM st s JOIN d x ON x.seq = s.seq
  LEFT JOIN resp rs ON rs.reference = s.reference AND rs.stage = s.stage
  LEFT JOIN evr ev ON ev.reference = s.reference),
timed AS MATERIALIZED (
  SELECT b.*, {fy_of} AS fy,
         CASE WHEN b.responded IS NULL THEN NULL
              WHEN b.proc = 'corporate' THEN re.nc - {corporate_start}
              WHEN b.stage = 1 THEN re.n - rq.ns
              WHEN b.stage = 2 THEN re.n - coalesce(sd.n, rq.n)
              ELSE re.n - rq.n END AS days,
         CASE WHEN b.until IS NULL THEN NULL
              WHEN b.proc = 'corporate' THEN un.nc - {corporate_start}
              WHEN b.stage = 1 THEN un.n - rq.ns
              WHEN b.stage = 2 THEN un.n - coalesce(sd.n, rq.n)
              ELSE un.n - rq.n END AS until_days
  FROM sb b
  JOIN wd rq ON rq.day = b.requested
  LEFT JOIN wd re ON re.day = b.responded
  LEFT JOIN wd un ON un.day = b.until
  LEFT JOIN wd sd ON sd.day = b.statement
  LEFT JOIN wd ak ON ak.day = b.acknowledged)
SELECT 'timescales' AS t, fy, proc, stage, days AS k1, extended > 0 AS k2, until_days AS k3, count(*) AS n
  FROM timed WHERE responded IS NOT NULL AND fy BETWEEN :fy0 AND :fy1
  GROUP BY fy, proc, stage, days, extended > 0, until_days
UNION ALL
SELECT 'outcomes', fy, proc, stage, finding, NULL, NULL, count(*)
  FROM timed WHERE responded IS NOT NULL AND fy BETWEEN :fy0 AND :fy1 GROUP BY fy, proc, stage, finding
UNION ALL
SELECT 'actual_outcomes', b.fy, b.proc, b.stage, j.value, NULL, NULL, count(*)
  FROM timed b, json_each(b.outcomes) j
  WHERE b.responded IS NOT NULL AND b.stage = 1 AND b.fy BETWEEN :fy0 AND :fy1 GROUP BY b.fy, b.proc, j.value
UNION ALL
SELECT 'escalations', fy, proc, stage, escalated, NULL, NULL, count(*)
  FROM timed WHERE responded IS NOT NULL AND fy BETWEEN :fy0 AND :fy1 GROUP BY fy, proc, stage, escalated
UNION ALL
SELECT 'awaiting', y.fy, b.proc, b.stage, NULL, NULL, NULL, count(*)
  FROM sb b JOIN years y ON {awaiting}
  WHERE b.disp = 'accepted' GROUP BY y.fy, b.proc, b.stage
"""

_STAGE_BASIS = {
    # Received: a stage counts in the year it started (its request); resolved: in the year
    # of its response.
    "received": {
        "fy_of": "CAST(substr(b.requested, 1, 4) AS INTEGER) - (substr(b.requested, 6, 2) < '04')",
        # Still without a response (as the log stands).
        "awaiting": ("CAST(substr(b.requested, 1, 4) AS INTEGER) - (substr(b.requested, 6, 2) < '04') = y.fy "
                     "AND b.responded IS NULL AND b.closed_on IS NULL"),
    },
    "resolved": {
        "fy_of": "CAST(substr(b.responded, 1, 4) AS INTEGER) - (substr(b.responded, 6, 2) < '04')",
        # Open at the end of the year: started by then, not answered, withdrawn or closed by then.
        "awaiting": ("b.requested <= y.fy_end AND (b.responded IS NULL OR b.responded > y.fy_end) "
                     "AND (b.closed_on IS NULL OR b.closed_on > y.fy_end)"),
    },
}

# Corporate clocks count from day 0 (`from: receipt`) or from the acknowledgement, or where
# none was recorded from the day it was due (timeline._corporate_base does the same).
_CORPORATE_START = ("(CASE WHEN (b.stage = 1 AND :c1_from_ack) OR (b.stage = 2 AND :c2_from_ack) "
                    "THEN coalesce(ak.nc, rq.ncs + CASE b.stage WHEN 1 THEN :c1_ack ELSE :c2_ack END) "
                    "ELSE rq.ncs END)")

LGSCO = """
SELECT event, CAST(substr(date, 1, 4) AS INTEGER) - (substr(date, 6, 2) < '04') AS fy,
       CASE event WHEN 'lgsco_referral' THEN json_extract(payload, '$.referral_type')
                  ELSE json_extract(payload, '$.outcome') END AS k1,
       count(*) AS n,
       sum(event = 'lgsco_referral' AND NOT EXISTS (
             SELECT 1 FROM events x WHERE x.reference = e.reference AND x.event = 'lgsco_decision'
               AND x.date >= e.date
               AND x.date < printf('%04d-04-01', CAST(substr(e.date, 1, 4) AS INTEGER) + (substr(e.date, 6, 2) >= '04'))
           )) AS awaiting
FROM events e
WHERE event IN ('lgsco_referral', 'lgsco_decision') AND date BETWEEN :start AND :end
GROUP BY event, fy, k1
"""


def per_reference(basis: str) -> str:
    """The statement counting one row per reference, for ``basis`` received or resolved."""
    return _PER_REFERENCE.format(effective=_EFFECTIVE, on_date=_ON_DATE[basis])


def per_stage(basis: str) -> str:
    """The statement counting one row per complaint stage, for ``basis`` received or resolved."""
    parts = _STAGE_BASIS[basis]
    return _PER_STAGE.format(effective=_EFFECTIVE, fy_of=parts["fy_of"], awaiting=parts["awaiting"],
                             corporate_start=_CORPORATE_START)
