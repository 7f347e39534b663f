"""The log's code tables: the coded fields of every decision and event, for counting.

``decision_codes`` holds one row per decision (same ``seq``), ``event_codes`` one row per
event (keyed by reference, then ``seq``, so one reference's events sit together on disk) and
``action_codes`` one row per action event (the same keys).
Each row is written by a trigger in the same transaction as the record it comes from, and,
like every table in the log, is never changed or deleted. They hold codes, taxonomy labels,
dates and the equality answers only: no names, contact details, summaries or other free
text, so whatever counts from them (the annual report) cannot show personal data.

They exist for speed. The annual report over a million decisions spent most of its time
reading each decision's stored JSON (a few kilobytes) to find ten short fields; from these
narrow tables the same counts take half the time (bench/README.md, "Annual report").

A log created before these tables existed gets them, filled from its records, the first
time it is opened (``backfill``). ``triage log verify`` re-derives every row and reports
any that no longer match their record (``mismatches``).
"""

from __future__ import annotations

# column: (type, the expression over the source row). ``{row}`` is ``NEW.`` in the trigger
# and nothing in a backfill. Copied columns first, then fields read from the stored JSON,
# which have no declared type so that a value is kept exactly as extracted.
DECISION_CODES: dict[str, tuple[str, str]] = {
    "seq": ("INTEGER PRIMARY KEY", "{row}seq"),
    "reference": ("TEXT", "{row}reference"),
    "received_date": ("TEXT", "{row}received_date"),
    "representation_type": ("TEXT", "{row}representation_type"),
    "procedure": ("TEXT", "{row}procedure"),
    "disposition": ("TEXT", "{row}disposition"),
    "reason": ("TEXT", "{row}reason"),
    "stage": ("INTEGER", "{row}stage"),
    "received_via": ("", "json_extract({row}representation, '$.received_via')"),
    "relationship": ("", "json_extract({row}representation, '$.complainant.relationship')"),
    "age_unclear": ("", "json_extract({row}representation, '$.complainant.age_unclear')"),
    "service": ("", "json_extract({row}representation, '$.about.service')"),
    "natures": ("", "json_extract({row}representation, '$.about.natures')"),
    "gender": ("", "json_extract({row}representation, '$.complainant.equality.gender')"),
    "age_band": ("", "json_extract({row}representation, '$.complainant.equality.age_band')"),
    "disability": ("", "json_extract({row}representation, '$.complainant.equality.disability')"),
    "ethnicity": ("", "json_extract({row}representation, '$.complainant.equality.ethnicity')"),
    "sexual_orientation": ("", "json_extract({row}representation, '$.complainant.equality.sexual_orientation')"),
    "advocacy_offer": ("", "json_extract({row}decision, '$.advocacy_offer')"),
}
EVENT_CODES: dict[str, tuple[str, str]] = {
    "reference": ("TEXT NOT NULL", "{row}reference"),
    "seq": ("INTEGER NOT NULL", "{row}seq"),
    "event": ("TEXT", "{row}event"),
    "date": ("TEXT", "{row}date"),
    "stage": ("INTEGER", "{row}stage"),
    "finding": ("", "json_extract({row}payload, '$.finding')"),
    "actual_outcomes": ("", "json_extract({row}payload, '$.actual_outcomes')"),
    "to_stage": ("", "json_extract({row}payload, '$.to_stage')"),
    "until": ("", "json_extract({row}payload, '$.until')"),
    "referral_type": ("", "json_extract({row}payload, '$.referral_type')"),
    "outcome": ("", "json_extract({row}payload, '$.outcome')"),
}
# The action events (action_agreed, action_completed, action_dropped): the learning register
# and the report's "Learning and service improvement" count from these. ``improvement`` is
# the text of an agreed service improvement (source learning, or an Ombudsman remedy of a
# service improvement), which the annual report prints: the workflow refuses one that names
# the complainant or the child or holds an email address or phone number. No other free
# text (evidence, reasons, other actions' text) is copied here.
ACTION_CODES: dict[str, tuple[str, str]] = {
    "reference": ("TEXT NOT NULL", "{row}reference"),
    "seq": ("INTEGER NOT NULL", "{row}seq"),
    "event": ("TEXT", "{row}event"),
    "date": ("TEXT", "{row}date"),
    "action_id": ("", "json_extract({row}payload, '$.action_id')"),
    "source": ("", "json_extract({row}payload, '$.source')"),
    "owner": ("", "json_extract({row}payload, '$.owner')"),
    "due": ("", "json_extract({row}payload, '$.due')"),
    "remedy": ("", "json_extract({row}payload, '$.remedy')"),
    "amount": ("", "json_extract({row}payload, '$.amount')"),
    "improvement": ("", "CASE WHEN json_extract({row}payload, '$.source') = 'learning' "
                        "OR json_extract({row}payload, '$.remedy') = 'service_improvement' "
                        "THEN json_extract({row}payload, '$.what') END"),
}
# table: (the records it is read from, its columns, what follows the column list)
TABLES: dict[str, tuple[str, dict[str, tuple[str, str]], str]] = {
    "decision_codes": ("decisions", DECISION_CODES, ")"),
    "event_codes": ("events", EVENT_CODES, ", PRIMARY KEY (reference, seq)) WITHOUT ROWID"),
    "action_codes": ("events", ACTION_CODES, ", PRIMARY KEY (reference, seq)) WITHOUT ROWID"),
}
# Indexes on the code tables (name: the statement making it), made with the tables and added
# to a log made before them when it is opened. The Ombudsman's table of the annual report
# reads only the referral and decision events, about 1% of them: without this index it read
# all of ``event_codes`` (a second on a million decisions). A partial index holds just those
# events, so a record of any other event costs nothing more to write.
INDEXES: dict[str, str] = {
    "event_codes_lgsco": ("CREATE INDEX IF NOT EXISTS event_codes_lgsco ON event_codes (event, date) "
                          "WHERE event IN ('lgsco_referral', 'lgsco_decision')"),
}
# Which records of the source a table holds (every one where absent).
WHERE: dict[str, str] = {
    "action_codes": "{row}event IN ('action_agreed', 'action_completed', 'action_dropped')",
}


def _where(table: str, row: str, word: str = "WHERE") -> str:
    return f" {word} {WHERE[table].format(row=row)}" if table in WHERE else ""


def _columns(columns: dict[str, tuple[str, str]], row: str) -> str:
    return ", ".join(expr.format(row=row) for _, expr in columns.values())


def create(table: str) -> str:
    """The statement creating ``table`` (then ``backfill``, then its ``trigger``, in one transaction)."""
    _, columns, tail = TABLES[table]
    return f"CREATE TABLE IF NOT EXISTS {table} ({', '.join(f'{c} {t}'.rstrip() for c, (t, _) in columns.items())}{tail}"


def backfill(table: str) -> str:
    """Fill ``table`` from every record already in the log."""
    source, columns, _ = TABLES[table]
    return (f"INSERT INTO {table} ({', '.join(columns)}) SELECT {_columns(columns, '')} FROM {source}"
            f"{_where(table, '')} ORDER BY seq")


def trigger(table: str) -> str:
    """The trigger writing a row of ``table`` with each new record."""
    source, columns, _ = TABLES[table]
    return (f"CREATE TRIGGER IF NOT EXISTS {table}_written AFTER INSERT ON {source}{_where(table, 'NEW.', 'WHEN')} BEGIN "
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({_columns(columns, 'NEW.')}); END")


def mismatches(table: str) -> str:
    """The seqs whose row in ``table`` is missing, extra or differs from its record."""
    source, columns, _ = TABLES[table]
    derived = f"SELECT {_columns(columns, '')} FROM {source}{_where(table, '')}"
    stored = f"SELECT {', '.join(columns)} FROM {table}"
    return (f"SELECT seq FROM ({derived} EXCEPT {stored}) UNION "
            f"SELECT seq FROM ({stored} EXCEPT {derived}) ORDER BY seq")
