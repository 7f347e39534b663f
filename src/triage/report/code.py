"""The Complaint Handling Code report: the annual complaints performance and service
improvement report the LGSCO Complaint Handling Code (2024) section 8.1 asks each council for.

    import triage.report.code as code
    data = code.build(log, rules, year="2024-25")            # the JSON
    code.write(data, "html", "code-report.html", rules)      # json, md, html or csv

It holds, for the year: the performance figures the log can compute, each against the
Code's standard (corporate complaints: acknowledged within 5 working days, stage 1 answered
within 10 working days of the acknowledgement, stage 2 within 20, extensions of at most 10
and 20 with a reason recorded, the escalation rate, refusals by reason); the actions and
service improvements of the annual report's "Learning and service improvement"; the
council's self-assessment (``code-self-assessment.yaml`` in the rules folder), with the
provisions the log can evidence filled in where the council left them blank; every finding of
non-compliance, in plain words; and the Ombudsman's annual letter, as the file names it.

``write_self_assessment`` writes a copy of the self-assessment with the computable provisions
filled from the log: `triage code-assessment`, and `triage init` for a new council folder.
Like the annual report, nothing a person wrote about a case reaches it: only counts, codes,
taxonomy labels and the improvements' text, which is checked for names when it is recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from triage.contract.errors import UsageError

from .table import FinancialYear, parse_year, percent

FILE = "code-self-assessment.yaml"
COMPLIES = ("yes", "no", "partly")
PROVISION_KEYS = ("provision", "section", "requirement", "complies", "evidence", "commentary", "computed")
LETTER_KEYS = ("title", "url", "path")
MAX_LETTER_BYTES = 500_000
# The Code's timescales (working days) for each stage: acknowledge from receipt, respond from
# the acknowledgement, and the longest extension without good reason (CHC 6.2-6.4; stage 2 likewise).
CODE_STAGES = {1: (5, 10, 10), 2: (5, 20, 20)}
REASON_LABELS = {
    "court_proceedings": "Court proceedings", "criminal_proceedings": "Criminal proceedings",
    "disciplinary_proceedings": "Disciplinary proceedings", "tribunal": "A tribunal can decide it",
    "no_parental_responsibility": "No standing to complain (no parental responsibility or sufficient interest)",
    "not_in_best_interest_or_no_consent": "Not in the child's best interest, or no consent",
    "out_of_time": "Out of time (more than 12 months)", "repeat_complaint": "Repeat complaint",
    "outside_remit": "Outside the procedure's remit (another route of appeal or review)",
    "not_providing_information": "The complainant did not provide the information needed",
}


@dataclass
class Measure:
    """One figure of the Code report: ``met`` of ``of`` met the Code's standard (None: a figure
    with no standard to meet)."""

    id: str
    provision: str
    measure: str
    standard: str
    met: int
    of: int
    complies: bool | None
    finding: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "provision": self.provision, "measure": self.measure, "standard": self.standard,
                "count": self.met, "of": self.of, "percent": percent(self.met, self.of) if self.of else None,
                "meets_code": self.complies, "finding": self.finding}


# ---------------------------------------------------------------------------- the file


def path_for(rules: Any) -> Path:
    """The self-assessment file of a rules folder (``RuleSet.directory``)."""
    return Path(rules.directory) / FILE


def read_self_assessment(path: Path) -> dict[str, Any]:
    """Read and check a self-assessment file (UsageError, naming the file and field, when wrong)."""
    import yaml

    from triage.contract.hints import suggest
    from triage.rules.ruleset import yaml_loader

    where = str(path)
    if not path.is_file():
        raise UsageError(f"{where}: no Code self-assessment file; copy rules/{FILE} from triage into the council's "
                         "rules folder, or write one with `triage code-assessment --out`")
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml_loader())
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise UsageError(f"{where}: cannot read it as YAML: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("provisions"), list) or not data["provisions"]:
        raise UsageError(f"{where}: needs a list `provisions:` (see rules/{FILE} in triage)")
    problems = []
    for key in set(data) - {"code", "ombudsman_letter", "provisions"}:
        problems.append(f"unknown key {key!r}{suggest(key, ['code', 'ombudsman_letter', 'provisions'])}")
    letter = data.get("ombudsman_letter") or {}
    if not isinstance(letter, dict):
        problems.append("ombudsman_letter: give title, url and/or path")
        letter = {}
    for key in set(letter) - set(LETTER_KEYS):
        problems.append(f"ombudsman_letter.{key}: unknown key{suggest(key, LETTER_KEYS)} (keys: {', '.join(LETTER_KEYS)})")
    seen: set[str] = set()
    for i, p in enumerate(data["provisions"]):
        at = f"provisions[{i}]"
        if not isinstance(p, dict):
            problems.append(f"{at}: each provision is a mapping with {', '.join(PROVISION_KEYS[:3])}")
            continue
        for key in set(p) - set(PROVISION_KEYS):
            problems.append(f"{at}.{key}: unknown key{suggest(key, PROVISION_KEYS)}")
        for key in ("provision", "section", "requirement"):
            if not str(p.get(key) or "").strip():
                problems.append(f"{at}.{key}: required; give the Code's {key}")
        name = str(p.get("provision") or "")
        if name in seen:
            problems.append(f"{at}.provision: {name!r} is listed twice")
        seen.add(name)
        # YAML reads a bare yes or no as true or false
        raw = p.get("complies")
        value = p["complies"] = "yes" if raw is True else "no" if raw is False else raw
        if value not in (None, "") and str(value).lower() not in COMPLIES:
            problems.append(f"{at}.complies: {value!r} is not yes, no or partly (leave it empty while not assessed)")
        if p.get("computed") is not None and p["computed"] not in MEASURES:
            problems.append(f"{at}.computed: {p['computed']!r} is not a figure triage computes"
                            f"{suggest(p['computed'], MEASURES)} (one of: {', '.join(MEASURES)})")
    if problems:
        raise UsageError(f"{where}: " + "; ".join(problems))
    return data


def letter(data: dict[str, Any], directory: Path) -> dict[str, Any] | None:
    """The Ombudsman's annual letter as the file names it: a link, attached text, or both."""
    spec = data.get("ombudsman_letter") or {}
    url, rel, title = (str(spec.get(k) or "").strip() for k in ("url", "path", "title"))
    if not url and not rel:
        return None
    if url and not url.startswith(("https://", "http://")):
        raise UsageError(f"{directory / FILE}: ombudsman_letter.url: {url!r} is not a web address (https://...)")
    text = None
    if rel:
        path = (directory / rel).resolve()
        if not path.is_file():
            raise UsageError(f"{directory / FILE}: ombudsman_letter.path: no file {path}; give a text or Markdown "
                             "file relative to the rules folder, or leave path empty and give url")
        raw = path.read_bytes()
        if len(raw) > MAX_LETTER_BYTES:
            raise UsageError(f"{directory / FILE}: ombudsman_letter.path: {path} is over {MAX_LETTER_BYTES:,} bytes; "
                             "attach the letter's text, not a scan")
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise UsageError(f"{directory / FILE}: ombudsman_letter.path: {path} is not UTF-8 text; save the "
                             "letter as text or Markdown (a PDF goes at a url)") from None
    return {"title": title or "The Ombudsman's annual letter", "url": url or None, "text": text}


# ---------------------------------------------------------------------------- the figures

MEASURES = ("refusals_with_reason", "late_complaints_decided", "channels_used", "stage1_acknowledged",
            "stage1_answered", "stage1_extensions", "actions_tracked", "escalation_rate", "stage2_acknowledged",
            "stage2_answered", "stage2_extensions", "remedies_on_time", "annual_report", "improvements_made")


def measures(log: Any, rules: Any, year: FinancialYear, annual: dict[str, Any], today: date,
             refused: dict[tuple[str, str, str], int] | None = None) -> list[Measure]:
    """The figures the log can compute for ``year``, each against the Code's standard. Stages
    count in the year they started; a step not yet done counts only once its time has passed.
    ``refused`` (when given) is filled with the complaints refused or deferred that year, by
    procedure, service and reason: the summary of what was refused (CHC 8.1)."""
    from triage.clock.deadlines import Clock
    from triage.clock.timeline import build_state

    clock = Clock(rules)
    first, last = year.first, year.last
    as_of = min(today, date.fromordinal(last.toordinal() + 366))
    refs = [r["reference"] for r in log.query(
        "SELECT DISTINCT reference FROM decision_codes WHERE received_date BETWEEN :a AND :b ORDER BY reference",
        {"a": first.isoformat(), "b": last.isoformat()})]
    tally: dict[str, list[int]] = {k: [0, 0] for k in ("ack1", "ans1", "ext1", "ack2", "ans2", "ext2", "esc", "why")}
    channels: set[str] = set()
    late_yes = late_no = 0
    for ref in refs:
        logged = log.find(reference=ref)
        state = build_state(logged, log.events(ref), log.overrides(ref))
        if state.decision.get("representation_type") == "complaint":
            channels.add(str(logged[0].representation.get("received_via")))
            if refused is not None and state.decision.get("disposition") in ("refused", "deferred") \
                    and first.isoformat() <= str(logged[0].representation.get("received_date")) <= last.isoformat():
                label = (logged[0].representation.get("about") or {}).get("service")
                entry = rules.taxonomy.services.get(label) if label else None
                key = (str(state.decision.get("procedure") or "statutory"), entry.label if entry else "Service not recorded",
                       REASON_LABELS.get(str(state.decision.get("reason")), "Reason not recorded"))
                refused[key] = refused.get(key, 0) + 1
        for e in state.events:
            if e["event"] == "officer_decision" and e.get("question") == "accept_out_of_time" and \
                    first.isoformat() <= e["date"] <= last.isoformat():
                late_yes, late_no = late_yes + bool(e.get("answer")), late_no + (not e.get("answer"))
        for st in state.stages.values():
            if st.procedure != "corporate" or st.disposition != "accepted" or st.number not in CODE_STAGES:
                continue
            n = st.number
            if n == 1 and st.responded and first <= st.responded <= last:
                tally["esc"][1] += 1
                tally["esc"][0] += 2 in state.stages
            if not first <= st.requested <= last:
                continue
            ack_days, respond_days, extension = CODE_STAGES[n]
            ack_due = clock.add(clock.start(st.requested), ack_days, corporate=True)
            acked = st.acknowledged or st.responded
            if acked or as_of > ack_due:
                tally[f"ack{n}"][1] += 1
                tally[f"ack{n}"][0] += bool(acked and acked <= ack_due)
            base = st.acknowledged or ack_due
            due = clock.add(base, respond_days, corporate=True)
            if st.responded or as_of > due:
                tally[f"ans{n}"][1] += 1
                tally[f"ans{n}"][0] += bool(st.responded and st.responded <= due)
            if st.extended_on:
                latest = clock.add(base, respond_days + extension, corporate=True)
                if st.responded or as_of > latest:
                    tally[f"ext{n}"][1] += 1
                    tally[f"ext{n}"][0] += bool(st.responded and st.responded <= latest)
                reasons = [e for e in state.events if e["event"] == "extended" and st.requested.isoformat() <= e["date"]
                           and (st.responded is None or e["date"] <= st.responded.isoformat())]
                tally["why"][1] += 1
                tally["why"][0] += all(str(e.get("reason") or "").strip() for e in reasons)
    tables = {t["id"]: t for t in annual["tables"]}
    y = annual["years"][0]

    def cell(table: str, group: str | None, label: str) -> int:
        row = next((r for r in tables[table]["rows"] if r["group"] == group and r["label"] == label), None)
        value = row["counts"].get(y) if row else 0
        return value if isinstance(value, int) else 0

    refusals = cell("refusals", None, "Total Refusals")
    remedies = cell("learning", "Ombudsman remedies due in the year", "Remedies due")
    on_time = cell("learning", "Ombudsman remedies due in the year", "Met on time")
    improvements = len(annual["improvements"])
    # actions agreed in the year (by the date agreed), and those past their due date undone
    actions = next(iter(log.query(
        "SELECT count(*) AS agreed, coalesce(sum(NOT done AND due < :today), 0) AS overdue FROM ("
        "SELECT max(CASE WHEN event = 'action_agreed' THEN due END) AS due, "
        "max(CASE WHEN event = 'action_agreed' THEN date END) AS agreed, "
        "max(event IN ('action_completed', 'action_dropped')) AS done FROM action_codes GROUP BY reference, action_id) "
        "WHERE agreed BETWEEN :a AND :b",
        {"today": as_of.isoformat(), "a": first.isoformat(), "b": last.isoformat()})))
    agreed, overdue = int(actions["agreed"]), int(actions["overdue"])

    def rated(id_: str, provision: str, what: str, standard: str, key: str, unmet: str) -> Measure:
        met, of = tally[key]
        ok = None if not of else met == of
        finding = "" if ok in (None, True) else unmet.format(missed=of - met, of=of, pct=percent(of - met, of))
        return Measure(id_, provision, what, standard, met, of, ok, finding)

    out = [
        Measure("refusals_with_reason", "2.1", "Complaints refused or deferred, each with its reason recorded",
                "every refusal evidenced with a reason", refusals, refusals, True if refusals else None),
        Measure("late_complaints_decided", "2.2", "Late complaints decided by an officer: accepted at discretion "
                f"(refused: {late_no})", "discretion considered for every late complaint", late_yes, late_yes + late_no,
                None),
        Measure("channels_used", "3", "Ways complaints were made this year", "several channels, accessibly",
                len(channels), len(channels), None),
        rated("stage1_acknowledged", "6.2", "Corporate stage 1 complaints acknowledged within 5 working days",
              "within 5 working days of receipt", "ack1",
              "{missed} of {of} corporate stage 1 complaints ({pct}) were not acknowledged within 5 working days."),
        rated("stage1_answered", "6.3", "Corporate stage 1 complaints answered within 10 working days of the "
              "acknowledgement", "within 10 working days of the acknowledgement", "ans1",
              "{missed} of {of} corporate stage 1 responses ({pct}) took more than 10 working days from the "
              "acknowledgement."),
        rated("stage1_extensions", "6.4", "Extended corporate stage 1 complaints answered within the 10 further "
              "working days", "an extension of at most 10 working days", "ext1",
              "{missed} of {of} extended corporate stage 1 complaints ({pct}) went beyond a 10 working day extension."),
        Measure("actions_tracked", "6.6", "Actions agreed this year still open after their due date",
                "outstanding actions tracked and done promptly", overdue, agreed, None if not agreed else overdue == 0,
                "" if not overdue else f"{overdue} of {agreed} actions agreed this year are past their due date "
                                       "and not done."),
        Measure("escalation_rate", "6.8", "Corporate stage 1 responses escalated to stage 2",
                "the escalation route given with every stage 1 response", tally["esc"][0], tally["esc"][1], None),
        rated("stage2_acknowledged", "6 (stage 2 acknowledgement)", "Corporate stage 2 requests acknowledged "
              "within 5 working days", "within 5 working days of the request", "ack2",
              "{missed} of {of} corporate stage 2 requests ({pct}) were not acknowledged within 5 working days."),
        rated("stage2_answered", "6 (stage 2 response)", "Corporate stage 2 complaints answered within 20 working "
              "days of the acknowledgement", "within 20 working days of the acknowledgement", "ans2",
              "{missed} of {of} corporate stage 2 responses ({pct}) took more than 20 working days from the "
              "acknowledgement."),
        rated("stage2_extensions", "6 (stage 2 extension)", "Extended corporate stage 2 complaints answered within "
              "the 20 further working days", "an extension of at most 20 working days", "ext2",
              "{missed} of {of} extended corporate stage 2 complaints ({pct}) went beyond a 20 working day extension."),
        Measure("remedies_on_time", "7", "Ombudsman remedies due this year carried out on time",
                "every remedy by the date agreed", on_time, remedies, None if not remedies else on_time == remedies,
                "" if on_time == remedies else f"{remedies - on_time} of {remedies} Ombudsman remedies due this year "
                                               f"({percent(remedies - on_time, remedies)}) were not carried out on time."),
        Measure("annual_report", "8.1", "This report: the Code's contents for the year", "an annual report", 1, 1, True),
        Measure("improvements_made", "9", "Service improvements from complaints implemented this year",
                "learning used to improve services", improvements, improvements, None),
    ]
    extension_reasons = tally["why"]
    if extension_reasons[1]:
        out.insert(6, Measure("extension_reasons", "6.4", "Extensions with their reason recorded",
                              "the reason for every extension explained", extension_reasons[0], extension_reasons[1],
                              extension_reasons[0] == extension_reasons[1],
                              "" if extension_reasons[0] == extension_reasons[1] else
                              f"{extension_reasons[1] - extension_reasons[0]} extensions have no reason recorded."))
    return out


# ---------------------------------------------------------------------------- the report


def _assessed(provisions: list[dict[str, Any]], figures: dict[str, Measure]) -> list[dict[str, Any]]:
    """The council's rows, with a computable provision it left blank filled from the figures."""
    out = []
    for p in provisions:
        m = figures.get(str(p.get("computed") or ""))
        complies = str(p.get("complies") or "").lower() or None
        evidence = str(p.get("evidence") or "")
        from_log = False
        if m is not None and complies is None and m.complies is not None:
            complies, from_log = ("yes" if m.complies else "no"), True
        if m is not None and not evidence:
            evidence = _evidence(m)
        out.append({"provision": str(p["provision"]), "section": str(p["section"]), "requirement": str(p["requirement"]),
                    "complies": complies, "evidence": evidence, "commentary": str(p.get("commentary") or ""),
                    "computed": p.get("computed"), "from_log": from_log})
    return out


def _evidence(m: Measure) -> str:
    if not m.of:
        return f"From the decision log: {m.measure.lower()}: none this year."
    if m.complies is None and m.met == m.of:
        return f"From the decision log: {m.measure.lower()}: {m.met}."
    return f"From the decision log: {m.measure.lower()}: {m.met} of {m.of} ({percent(m.met, m.of)})."


def build(log: Any, rules: Any, year: str | FinancialYear = "2024-25", today: date | None = None) -> dict[str, Any]:
    """The Code report for ``year`` as JSON (see the module's docstring)."""
    from .build import build as annual_report

    fy = parse_year(year)
    data = read_self_assessment(path_for(rules))
    annual = annual_report(log, rules, year=fy, years=1)
    refused: dict[tuple[str, str, str], int] = {}
    figures = measures(log, rules, fy, annual, today or date.today(), refused)
    by_id = {m.id: m for m in figures}
    rows = _assessed(data["provisions"], by_id)
    findings = [{"provision": m.provision, "finding": m.finding, "source": "figures"} for m in figures if m.finding]
    for r in rows:
        m = by_id.get(str(r["computed"] or ""))
        if r["complies"] in ("no", "partly") and not r["from_log"]:
            findings.append({"provision": r["provision"], "source": "self-assessment",
                             "finding": f"The self-assessment says the council {'does not comply' if r['complies'] == 'no' else 'complies only in part'}"
                                        f": {r['requirement']}" + (f" {r['commentary']}" if r["commentary"] else "")})
        elif r["complies"] == "yes" and m is not None and m.complies is False:
            findings.append({"provision": r["provision"], "source": "figures",
                             "finding": f"The self-assessment says yes, but the figures do not bear it out: {m.finding}"})
    tables = {t["id"]: t for t in annual["tables"]}
    council = (getattr(rules, "council", None) or {}).get("council", {})
    return {
        "report": "complaint_handling_code", "code": str(data.get("code") or "LGSCO Complaint Handling Code (2024)"),
        "year": fy.label, "period": {"from": fy.first.isoformat(), "to": fy.last.isoformat()},
        "council": council.get("name"), "service": council.get("service"),
        "performance": [m.to_json() for m in figures],
        "refusals": tables["refusals"],
        "refused_summary": [{"procedure": p, "service": svc, "reason": why, "count": n}
                            for (p, svc, why), n in sorted(refused.items(), key=lambda kv: (-kv[1], kv[0]))],
        "learning": tables["learning"], "improvements": annual["improvements"],
        "self_assessment": rows,
        "non_compliance": findings,
        "ombudsman_letter": letter(data, Path(rules.directory)),
        "notes": [
            "Figures are for corporate complaints, the procedure the Code governs; statutory children's social care "
            "complaints follow SI 2006/1738 and appear in the annual report.",
            "A stage counts in the financial year it started; a step not yet taken counts once its time has passed.",
            "Working days as the council counts them (weekends, bank holidays and, where the council says so, its "
            "closure days excluded); the start is day 0.",
            "Self-assessment rows marked 'from the log' were filled in from these figures where the council left "
            "them blank.",
        ],
    }


def write_self_assessment(log: Any, rules: Any, out: str | Path, year: str | FinancialYear,
                          today: date | None = None) -> Path:
    """Write a copy of the rules folder's self-assessment with every computable provision the
    council left blank filled from the log (complies and evidence), for a complaints manager to
    complete. The file is written whole or not at all."""
    import yaml

    target = Path(out)
    if not str(out).strip() or not target.name or target.is_dir():
        raise UsageError(f"--out: {str(out)!r} is not a file to write; give a file name such as code-self-assessment.yaml")
    data = read_self_assessment(path_for(rules))
    report = build(log, rules, year, today)
    filled = {r["provision"]: r for r in report["self_assessment"]}
    provisions = []
    for p in data["provisions"]:
        r = filled[str(p["provision"])]
        provisions.append({"provision": r["provision"], "section": r["section"], "requirement": r["requirement"],
                           "complies": r["complies"], "evidence": r["evidence"], "commentary": r["commentary"],
                           **({"computed": r["computed"]} if r["computed"] else {})})
    head = (f"# The council's self-assessment against the {report['code']}, with the provisions the decision log\n"
            f"# evidences filled in from {report['year']} by `triage code-assessment`. Complete the rest\n"
            f"# (complies: yes, no or partly; evidence; commentary) and keep it as rules/{FILE}.\n")
    body = yaml.safe_dump({"code": data.get("code"), "ombudsman_letter": data.get("ombudsman_letter") or
                           {"title": "", "url": "", "path": ""}, "provisions": provisions},
                          sort_keys=False, allow_unicode=True, width=110)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.write_text(head + "\n" + body, encoding="utf-8")
    partial.replace(target)
    return target
