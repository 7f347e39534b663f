"""The annual report's statements, in SQLite (docs/reference.md, "The annual report", "What is counted").

Read-only statements over the log's code tables (``decision_codes``, ``event_codes``: each
record's coded fields, see ``triage.log.codes``), the overrides' new values and the reference
index, never a record's stored JSON, so no name, contact detail or free text can reach a
report. Python maps stored codes to the seed's labels.

``per_reference(basis)``  one row per reference counted (its latest decision, overrides
    applied, the year it counts in, its codes); ``counting.PerReference`` counts the rows into
    the tables as SQLite hands them over (SQLite would sort them once for each grouping).
``per_stage(basis)``      one row per complaint stage (the latest decision at that stage, its
    start, response, finding, extension, the year it counts in), counted by
    ``counting.PerStage`` with its working days against the calendar.
``LGSCO``                 the Ombudsman's referrals and decisions by the date received.
``ACTIONS``               each action agreed and what became of it.

The first two are independent, so ``report`` runs them at once (on a large log, one in a
process of its own; see ``worker``). Where the time goes on a million decisions, and what was
tried: bench/README.md, "Annual report". ``NOT INDEXED`` marks where a whole table is read:
SQLite would otherwise walk an index and fetch each row at random, ten times slower on a
large log. On the received basis nothing before the first year can count (a stage starts, and
an event happens, on or after the representation's received date), so older events are
skipped. The SQL text is fixed; the only inputs are bound parameters.
"""

from __future__ import annotations

# Overrides (a manager's change of a decision's route, disposition, reason or stage), the
# last override of a field winning; joined to a decision x with
# LEFT JOIN ov ON ov.dseq = x.seq and applied with
# coalesce(ov.<field>, x.<column>), as timeline.effective does. (No view over all decisions:
# SQLite would copy the whole table, JSON and all, to materialise it.)
_OVERRIDES = """
ovl AS (
  SELECT decision_id, field, to_value,
         row_number() OVER (PARTITION BY decision_id, field ORDER BY seq DESC) AS rn
  FROM overrides),
ov AS MATERIALIZED (
  SELECT CAST(substr(decision_id, 3) AS INTEGER) AS dseq,
         max(CASE WHEN field = 'representation_type' THEN to_value END) AS rtype,
         max(CASE WHEN field = 'procedure' THEN to_value END) AS proc,
         max(CASE WHEN field = 'disposition' THEN to_value END) AS disp,
         max(CASE WHEN field = 'reason' THEN to_value END) AS reason,
         max(CASE WHEN field = 'stage' THEN to_value END) AS stage
  FROM ovl WHERE rn = 1 GROUP BY decision_id)"""


def _fy(column: str) -> str:
    """The financial year (the calendar year it starts in) of an ISO date column."""
    return f"(CAST(substr({column}, 1, 4) AS INTEGER) - (substr({column}, 6, 2) < '04'))"


# ------------------------------------------------------------------------ per reference

# Each reference's first and latest decision (from the reference index of ``decisions``), with
# its received date where it has several decisions (most have one, read as the latest).
_REFS = """
refs AS NOT MATERIALIZED (
  SELECT reference, last_seq,
         CASE WHEN first_seq <> last_seq THEN (SELECT received_date FROM decision_codes d WHERE d.reference = g.reference AND d.seq = first_seq) END AS received
  FROM (SELECT reference, min(seq) AS first_seq, max(seq) AS last_seq FROM decisions GROUP BY reference) g)"""
# The date a reference is counted on. Received: its first received_date. Resolved: the
# response at the stage it has reached (else the date it was withdrawn or closed; NULL while
# still open); anything not awaiting a response (refused, deferred, redirected, not a
# complaint) was resolved when it was decided, on the date of its latest input. The events
# are read only for the references awaiting a response, each from its own few rows of
# ``event_codes`` (stored by reference): cheaper than pivoting every reference's events and
# joining them through an index built for the purpose.
_ON_DATE = {
    "received": "coalesce(r.received, x.received_date)",
    "resolved": """CASE WHEN coalesce(ov.rtype, x.representation_type) = 'complaint'
                         AND coalesce(ov.disp, x.disposition) IN ('accepted', 'officer_decision_required')
                        THEN (SELECT coalesce(
                                min(CASE WHEN e.event = 'responded' AND e.stage IN (1, 2, 3)
                                         AND e.stage = CAST(coalesce(ov.stage, x.stage) AS INTEGER) THEN e.date END),
                                min(CASE WHEN e.event IN ('withdrawn', 'closed') THEN e.date END))
                              FROM event_codes e WHERE e.reference = r.reference)
                        ELSE x.received_date END""",
}
_SINCE = {"received": "AND date >= :start", "resolved": ""}
_CODE = "CASE WHEN L.rtype = 'complaint' THEN L.{column} END"
_CODES = {"via": "received_via", "rel": "relationship", "age_unclear": "age_unclear", "service": "service",
          "natures": "natures", "gender": "gender", "age_band": "age_band", "disability": "disability",
          "ethnicity": "ethnicity", "orientation": "sexual_orientation", "advocacy": "advocacy_offer"}
_RESPONDED = "EXISTS (SELECT 1 FROM event_codes e WHERE e.reference = L.reference AND e.event = 'responded')"

_PER_REFERENCE = """
WITH {overrides},
{refs},
-- withdrawals are rare: the references withdrawn
gone AS MATERIALIZED (SELECT DISTINCT reference FROM event_codes WHERE event = 'withdrawn' {since}),
-- one row per reference counted: its latest decision (overrides applied) and its codes
base AS (
  SELECT {fy} AS fy, L.rtype, coalesce(L.proc, 'statutory') AS proc, L.disp, L.reason,
         -- refused at its first stage (a refused escalation was answered before: a complaint),
         -- withdrawn before any response, else a complaint
         CASE WHEN L.rtype <> 'complaint' THEN L.rtype
              WHEN L.disp IN ('refused', 'deferred') THEN CASE WHEN {responded} THEN 'complaint' ELSE 'refused' END
              WHEN L.reference IN gone AND NOT {responded} THEN 'withdrawn'
              ELSE 'complaint' END AS cat,
         {via} AS via, {rel} AS rel, {age_unclear} AS age_unclear, {service} AS service, {natures} AS natures,
         {gender} AS gender, {age_band} AS age_band, {disability} AS disability, {ethnicity} AS ethnicity,
         {orientation} AS orientation, {advocacy} AS advocacy
  FROM (
    SELECT r.reference, x.received_date, x.received_via, x.relationship, x.age_unclear, x.service, x.natures,
           x.gender, x.age_band, x.disability, x.ethnicity, x.sexual_orientation, x.advocacy_offer,
           coalesce(ov.rtype, x.representation_type) AS rtype, coalesce(ov.proc, x.procedure) AS proc,
           coalesce(ov.disp, x.disposition) AS disp, coalesce(ov.reason, x.reason) AS reason,
           {on_date} AS on_date
    FROM refs r
    JOIN decision_codes x ON x.reference = r.reference AND x.seq = r.last_seq
    LEFT JOIN ov ON ov.dseq = x.seq
    -- (no limit: it keeps SQLite from copying on_date, and the events it reads, into each use)
    LIMIT -1) L
  WHERE L.on_date BETWEEN :start AND :end)
SELECT fy, cat, rtype, proc, disp, reason, via, rel, service, advocacy, age_unclear, natures,
       gender, age_band, disability, ethnicity, orientation
FROM base
"""


def per_reference(basis: str) -> str:
    """The statement counting one row per reference, on ``basis`` received or resolved."""
    return _PER_REFERENCE.format(overrides=_OVERRIDES, refs=_REFS, since=_SINCE[basis], responded=_RESPONDED,
                                 on_date=_ON_DATE[basis], fy=_fy("L.on_date"),
                                 **{k: _CODE.format(column=v) for k, v in _CODES.items()})


# ------------------------------------------------------------------------ per stage

# One row per stage, with the year it counts in (the year it started: received; the year it
# was answered: resolved); ``counting.PerStage`` counts them, with their working days against
# the calendar, and counts which were awaiting a response at the end of each year.
_STAGE_FY = {"received": "b.requested", "resolved": "b.responded"}
_STAGE_SINCE = {"received": "AND x.received_date >= :start", "resolved": ""}

_PER_STAGE = """
WITH {overrides},
-- each stage of each complaint: the day it was asked for, and from its latest decision
-- (overrides applied) whether it is corporate and accepted, packed beside the decision's
-- seq so that max() picks them from the latest (reading them back costs a row each)
st AS MATERIALIZED (
  SELECT x.reference, CAST(coalesce(ov.stage, x.stage) AS INTEGER) AS stage, min(x.received_date) AS requested,
         max(x.seq * 4 + (coalesce(ov.proc, x.procedure) IS 'corporate') * 2
             + (coalesce(ov.disp, x.disposition) IS 'accepted')) AS packed
  FROM decision_codes x NOT INDEXED LEFT JOIN ov ON ov.dseq = x.seq
  WHERE coalesce(ov.rtype, x.representation_type) = 'complaint' AND coalesce(ov.stage, x.stage) IS NOT NULL
        {since_decisions}
  GROUP BY x.reference, CAST(coalesce(ov.stage, x.stage) AS INTEGER)),
-- what a complaint's events say: responses and findings by stage, escalation requests, the
-- first withdrawal or closure, the agreed statement of complaint (statutory stage 2)
evs AS MATERIALIZED (
  SELECT reference,
         min(CASE WHEN event IN ('withdrawn', 'closed') THEN date END) AS closed_on,
         max(CASE WHEN event = 'responded' AND stage = 1 THEN date || coalesce(finding, '') END) AS r1,
         max(CASE WHEN event = 'responded' AND stage = 2 THEN date || coalesce(finding, '') END) AS r2,
         max(CASE WHEN event = 'responded' AND stage = 3 THEN date || coalesce(finding, '') END) AS r3,
         max(CASE WHEN event = 'responded' AND stage = 1 THEN actual_outcomes END) AS o1,
         max(CASE WHEN event = 'escalation_requested' THEN to_stage END) AS escalated_to,
         max(CASE WHEN event = 'statement_agreed' THEN date END) AS statement,
         max(event = 'extended') AS has_ext
  FROM event_codes
  WHERE event IN ('responded', 'withdrawn', 'closed', 'escalation_requested', 'statement_agreed', 'extended') {since}
  GROUP BY reference),
ext AS MATERIALIZED (
  SELECT seq, reference, stage, date, until
  FROM event_codes WHERE event = 'extended' {since}),
sb AS (
  -- an extension belongs to the stage running on its date (timeline.build_state)
  SELECT i.*,
         CASE WHEN i.has_ext THEN
           (SELECT count(*) FROM ext e WHERE e.reference = i.reference AND coalesce(e.stage, i.stage) = i.stage
              AND e.date >= i.requested AND (i.responded IS NULL OR e.date <= i.responded)) ELSE 0 END AS extended,
         CASE WHEN i.has_ext THEN
           (SELECT e.until FROM ext e WHERE e.reference = i.reference AND coalesce(e.stage, i.stage) = i.stage
              AND e.date >= i.requested AND (i.responded IS NULL OR e.date <= i.responded)
              ORDER BY e.seq DESC LIMIT 1) END AS until
  FROM (
    SELECT s.reference, s.stage, s.requested, CASE WHEN s.packed & 2 THEN 'corporate' ELSE 'statutory' END AS proc,
           s.packed & 1 AS accepted, ev.closed_on,
           substr(CASE s.stage WHEN 1 THEN ev.r1 WHEN 2 THEN ev.r2 WHEN 3 THEN ev.r3 END, 1, 10) AS responded,
           substr(CASE s.stage WHEN 1 THEN ev.r1 WHEN 2 THEN ev.r2 WHEN 3 THEN ev.r3 END, 11) AS finding,
           CASE s.stage WHEN 1 THEN ev.o1 END AS outcomes,
           coalesce(ev.escalated_to > s.stage, 0) AS escalated,
           CASE WHEN s.stage = 2 AND ev.statement >= s.requested THEN ev.statement END AS statement,
           ev.has_ext
    FROM st s LEFT JOIN evs ev ON ev.reference = s.reference) i
  -- a stage answered, withdrawn or closed before the first year neither counts nor waits
  WHERE (i.responded IS NULL OR i.responded >= :start) AND (i.closed_on IS NULL OR i.closed_on >= :start))
SELECT b.stage, b.proc, b.accepted, b.requested, b.responded, b.closed_on, {fy_stage} AS fy, b.statement, b.until,
       b.extended > 0 AS extended, b.finding, b.escalated, b.outcomes
FROM sb b
"""


def per_stage(basis: str) -> str:
    """The statement counting one row per complaint stage, on ``basis`` received or resolved."""
    return _PER_STAGE.format(overrides=_OVERRIDES, since=_SINCE[basis], since_decisions=_STAGE_SINCE[basis],
                             fy_stage=_fy(_STAGE_FY[basis]))


LGSCO = """
SELECT event, CAST(substr(date, 1, 4) AS INTEGER) - (substr(date, 6, 2) < '04') AS fy,
       CASE event WHEN 'lgsco_referral' THEN referral_type ELSE outcome END AS a,
       count(*) AS n,
       -- referrals with no decision by the end of the year they were received in
       sum(event = 'lgsco_referral' AND NOT EXISTS (
             SELECT 1 FROM event_codes x WHERE x.reference = e.reference AND x.event = 'lgsco_decision'
               AND x.date >= e.date
               AND x.date < printf('%04d-04-01', CAST(substr(e.date, 1, 4) AS INTEGER) + (substr(e.date, 6, 2) >= '04'))
           )) AS awaiting
FROM event_codes e
WHERE event IN ('lgsco_referral', 'lgsco_decision') AND date BETWEEN :start AND :end
GROUP BY event, fy, a
"""


# Each action agreed (action_codes), with what became of it and the case's service (from its
# latest decision) and received date (its first). Actions are few (a handful per upheld
# complaint), so the tables group these rows in Python. ``improvement`` is the text of an
# agreed service improvement, checked for names and contact details when it was recorded.
ACTIONS = """
SELECT a.reference, a.action_id, a.agreed, a.source, a.remedy, a.due, a.completed, a.dropped, a.improvement,
       (SELECT d.service FROM decision_codes d WHERE d.reference = a.reference ORDER BY d.seq DESC LIMIT 1) AS service,
       (SELECT d.received_date FROM decision_codes d WHERE d.reference = a.reference ORDER BY d.seq LIMIT 1) AS received
FROM (
  SELECT reference, action_id,
         max(CASE WHEN event = 'action_agreed' THEN date END) AS agreed,
         max(CASE WHEN event = 'action_agreed' THEN source END) AS source,
         max(CASE WHEN event = 'action_agreed' THEN remedy END) AS remedy,
         max(CASE WHEN event = 'action_agreed' THEN due END) AS due,
         max(CASE WHEN event = 'action_agreed' THEN improvement END) AS improvement,
         max(CASE WHEN event = 'action_completed' THEN date END) AS completed,
         max(CASE WHEN event = 'action_dropped' THEN date END) AS dropped
  FROM action_codes GROUP BY reference, action_id) a
WHERE a.agreed IS NOT NULL
ORDER BY a.agreed, a.action_id
"""
