"""The tables of the annual report, row by row as the seeds lay them out (seed 000 appendix
tables 1-20, seed 001 tables 1-3), from the grouped counts ``report._Builder`` collected."""

from __future__ import annotations

from datetime import date
from typing import Any

from .labels import (
    EQUALITY,
    FINDINGS,
    METHOD_ORDER,
    RELATIONSHIP_TOTALS,
    UNKNOWN_SERVICE,
    YP_METHOD_ORDER,
    by_taxonomy,
    equality_label,
    label_in,
    ordered,
)
from .table import Table, _sum, mean

OTHER_REPRESENTATIONS = [
    ("Area initiated complaint", ()),
    ("Pre-complaint", ("pre_complaint",)),
    ("Professional to Professional Complaint", ("professional_complaint",)),
    ("HSCP", ("hscp",)),
    ("LGSCO", ("lgsco_enquiry",)),
    ("Local Response / case concern", ("case_concern",)),
    ("Compliment", ("compliment",)),
    ("GDPR, FOI or SAR", ("information_request",)),
    ("Ad hoc", ("ad_hoc", "safeguarding_referral", "member_enquiry")),
    ("Call back requests", ("call_back_request",)),
]

REFUSAL_LABELS = {
    "court_proceedings": "Court Proceedings", "criminal_proceedings": "Criminal Proceedings",
    "no_parental_responsibility": "No PR",
    "not_in_best_interest_or_no_consent": "Not in Best Interest of Child/YP and/or no consent",
    "out_of_time": "Out of Time", "repeat_complaint": "Repeat Complaint", "tribunal": "Tribunal",
    "not_providing_information": "Complainant not providing information",
    "disciplinary_proceedings": "Disciplinary Proceedings",
}
# Seed 000 table 1's order for each procedure; rows after the seed's own are added for
# reasons the seed never used, and shown only when counted.
REFUSAL_ORDER = {
    "statutory": ["court_proceedings", "criminal_proceedings", "no_parental_responsibility",
                  "not_in_best_interest_or_no_consent", "out_of_time", "outside_remit", "repeat_complaint",
                  "tribunal", "not_providing_information"],
    "corporate": ["no_parental_responsibility", "not_in_best_interest_or_no_consent", "outside_remit",
                  "out_of_time", "repeat_complaint", "tribunal", "court_proceedings", "not_providing_information"],
}
REFUSAL_EXTRA = ["criminal_proceedings", "disciplinary_proceedings", None]

ALL_COMPLAINTS = "Every complaint once (accepted, refused or withdrawn), by its latest decision."
YOUNG = (" Young people: children, young people and care leavers complaining, and advocates (who act for "
         "children and young people).")

LGSCO_TYPES = [("education_non_social_care", "Education / Non Social Care (LGSCO Complaint)"),
               ("social_care", "Social Care (LGSCO Complaint)"), ("not_known", "Not Known")]


def all_tables(b: Any) -> list[Table]:
    """Every table of docs/reference.md, "The annual report", in the order the seeds print them."""
    return [representations(b), refusals(b), timescales(b), escalations(b),
            methods(b, "methods", "Method used to make complaints (received from initial stage of complaint)",
                    METHOD_ORDER),
            methods(b, "young_people_methods", "Method used to make complaints: young people's complaints",
                    YP_METHOD_ORDER),
            complainants(b),
            natures(b, "statutory"), natures(b, "corporate"), services(b, "statutory"), services(b, "corporate"),
            outcomes(b), actual_outcomes(b), lgsco(b), learning(b), advocacy(b),
            *[equality(b, id_) for id_ in EQUALITY]]


def representations(b: Any) -> Table:
    """Seed 001 table 1: CSC and corporate complaints, refused, withdrawn; every other type."""
    t = b.table("representations", "Representations by type")
    s = b.refs.series("representations", label=lambda k: (k[1], k[2]))
    totals = []
    for proc, group in (("statutory", "CSC representations"), ("corporate", "Corporate representations")):
        parts = [t.add(group, label, s.get((cat, proc), {}))
                 for cat, label in (("complaint", "Complaint"), ("refused", "Refused"), ("withdrawn", "Withdrawn"))]
        totals.append(t.total(group, "Total", parts))
    other = [t.add("Other representations", label, _sum(*[v for (cat, _), v in s.items() if cat in types]))
             for label, types in OTHER_REPRESENTATIONS]
    totals.append(t.total("Other representations", "Total other representations", other))
    t.total(None, "Total representations", totals)
    return t


def refusals(b: Any) -> Table:
    """Seed 000 table 1: refusals (deferrals included) by reason, at every stage."""
    t = b.table("refusals", "Complaint refusals by reason (all complaint stages)")
    s = b.refs.series("refusals", label=lambda k: (k[1], k[2]))
    totals = []
    for proc, group, total_label in (("statutory", "Social Care Refusals", "Total social care refusals"),
                                     ("corporate", "Corporate Refusals", "Total corporate refusals")):
        parts = []
        reasons = REFUSAL_ORDER[proc] + [r for r in REFUSAL_EXTRA if r not in REFUSAL_ORDER[proc]]
        for reason in reasons:
            counts = s.get((proc, reason), {})
            if reason not in REFUSAL_ORDER[proc] and not any(counts.values()):
                continue
            if reason == "outside_remit":
                label = "Outside of Remit" if proc == "statutory" else "Out of Remit"
            else:
                label = REFUSAL_LABELS.get(reason or "", "Reason not recorded")
            parts.append(t.add(group, label, counts))
        totals.append(t.total(group, total_label, parts))
    t.total(None, "Total Refusals", totals)
    return t


def _bands(b: Any, proc: str, stage: int) -> tuple[int, int]:
    """The council's standard and maximum in working days for a stage (N and M)."""
    s = b.settings
    if proc == "statutory":
        st = s["statutory"]
        if stage == 3:
            n = sum(int(st["stage3"][k]) for k in ("panel", "report", "response"))
            return n, n
        return int(st[f"stage{stage}"]["respond"]), int(st[f"stage{stage}"]["latest"])
    # Counted from the stage's start (docs/reference.md, "The annual report"); where the council's clock runs from
    # the acknowledgement, the standard from the start includes the days to acknowledge.
    cs = s["corporate"][f"stage{stage}"]
    n = int(cs["respond"]) + (int(cs["acknowledge"]) if cs.get("from", "acknowledgement") == "acknowledgement" else 0)
    return n, n + int(cs["extension"])


STAGE_GROUPS = [("statutory", 1, "Social Care Complaints Stage 1"), ("statutory", 2, "Social Care Complaints Stage 2"),
                ("statutory", 3, "Social Care Complaints Stage 3"), ("corporate", 1, "Corporate complaints Stage 1"),
                ("corporate", 2, "Corporate complaints Stage 2")]


def timescales(b: Any) -> Table:
    """Seed 000 table 2: responses within the standard, up to the maximum, beyond it; the
    average; those answered within an agreed extension; those still awaiting a response."""
    t = b.table("timescales", "Timescale compliance",
                "Working days from the start of the stage (stage 1: received; statutory stage 2: the agreed "
                "statement, else the request; stage 3 and corporate stage 2: the request) to the response. "
                "Corporate standards are the council's (rules/settings.yaml), counted from the start.")
    rows = b.stages.data.get("timescales", {})
    waiting = b.stages.data.get("awaiting", {})
    for proc, stage, group in STAGE_GROUPS:
        n, m = _bands(b, proc, stage)
        total: dict[int, int] = {}
        within: dict[int, int] = {}
        between: dict[int, int] = {}
        over: dict[int, int] = {}
        day_sum: dict[int, int] = {}
        extension: dict[int, int] = {}
        for (fy, p, st, days, extended, until_days), count in rows.items():
            if p != proc or st != stage:
                continue
            days = int(days or 0)
            total[fy] = total.get(fy, 0) + count
            day_sum[fy] = day_sum.get(fy, 0) + days * count
            band = within if days <= n else between if days <= m else over
            band[fy] = band.get(fy, 0) + count
            if extended and days <= (until_days if until_days is not None else m):
                extension[fy] = extension.get(fy, 0) + count
        answered = t.add(group, "Total number of complaints", total)
        bands = [t.add(group, f"in {n} working days", within, total)]
        if m > n:
            bands.append(t.add(group, f"in between {n} and {m} working days", between, total))
        bands.append(t.add(group, f"in over {m} working days", over, total))
        t.relate(answered, bands)
        t.add(group, "average time to complete (days)", {fy: mean(day_sum[fy], c) for fy, c in total.items()},
              kind="average")
        if not (proc == "statutory" and stage == 3):
            t.add(group, "resolved within an agreed extension", extension, total)
        t.add(group, "awaiting response", {fy: c for (fy, p, st, *_), c in waiting.items() if p == proc and st == stage})
    return t


def escalations(b: Any) -> Table:
    """Stage escalation rates: of the responses at a stage, how many asked for the next."""
    t = b.table("escalations", "Complaints escalated to the next stage")
    rows = b.stages.data.get("escalations", {})
    for proc, group, stages in (("statutory", "Social Care Complaints", (1, 2)), ("corporate", "Corporate complaints", (1,))):
        for stage in stages:
            answered: dict[int, int] = {}
            escalated: dict[int, int] = {}
            for (fy, p, st, esc, _, _), count in rows.items():
                if p == proc and st == stage:
                    answered[fy] = answered.get(fy, 0) + count
                    if esc:
                        escalated[fy] = escalated.get(fy, 0) + count
            t.add(group, f"Stage {stage} responses", answered)
            t.add(group, f"Escalated to stage {stage + 1}", escalated, answered)
    return t


def methods(b: Any, id_: str, title: str, order: list[str]) -> Table:
    """Seed 000 tables 3 and 4: how complaints were received (every complaint, once)."""
    t = b.table(id_, title, ALL_COMPLAINTS + (YOUNG if id_ == "young_people_methods" else ""))
    s = b.refs.series(id_, label=lambda k: b.tax.methods.get(k[1] or "", "Other"))
    seed_order = [b.tax.methods[code] for code in order if code in b.tax.methods]
    labels = ordered(list(dict.fromkeys(b.tax.methods.values())), seed_order)
    labels += [x for x in s if x not in labels]
    total = _sum(*s.values())
    t.total(None, "Total", [t.add(None, label, s.get(label, {}), total) for label in labels], base="self")
    return t


def complainants(b: Any) -> Table:
    """Seed 000 table 5: who complained, by the taxonomy's groups, with group totals."""
    t = b.table("complainants", "Who makes complaints (received from initial stage of complaint)", ALL_COMPLAINTS)
    rel = b.tax.relationships
    unknown = {"group": "Unknown", "label": "Unknown"}
    s = b.refs.series("complainants", label=lambda k: (rel.get(k[1] or "unknown", unknown)["group"],
                                                       rel.get(k[1] or "unknown", unknown)["label"]))
    total = _sum(*s.values())
    groups: dict[str, list[str]] = {}
    for entry in list(rel.values()) + [k for k in [unknown] if (k["group"], k["label"]) in s]:
        labels = groups.setdefault(entry["group"], [])
        if entry["label"] not in labels:
            labels.append(entry["label"])
    every = []
    for group, labels in groups.items():
        rows = [t.add(group, label, s.get((group, label), {}), total) for label in labels]
        if labels != [group]:
            t.total(group, RELATIONSHIP_TOTALS.get(group, f"Total {group}"), rows, total)
        every += rows
    t.total(None, "Total", every, base="self")
    return t


def natures(b: Any, proc: str) -> Table:
    """Seed 000 tables 6 and 7: the nature of complaints (a complaint may give several)."""
    name = "Social Care" if proc == "statutory" else "Corporate"
    t = b.table(f"natures_{'social_care' if proc == 'statutory' else 'corporate'}", f"{name} complaints - complaint nature",
                "A complaint can have more than one nature; the percentage is of all natures recorded.")
    s = b.refs.series("natures", match=lambda k: k[1] == proc,
                      label=lambda k: "Blank Data" if k[2] is None else label_in(b.tax.natures, k[2], "Unknown"))
    total = _sum(*s.values())
    t.total(None, "Total", [t.add(None, label, s[label], total) for label in by_taxonomy(s, b.tax.natures)],
            base="self")
    return t


def services(b: Any, proc: str) -> Table:
    """Seed 000 tables 8 and 9: the main service each complaint was about."""
    name = "Social Care complaints - service" if proc == "statutory" else "Corporate complaints - service involved"
    t = b.table(f"services_{'social_care' if proc == 'statutory' else 'corporate'}", name)
    unknown = UNKNOWN_SERVICE[proc]
    s = b.refs.series("services", match=lambda k: k[1] == proc, label=lambda k: label_in(b.tax.services, k[2], unknown))
    total = _sum(*s.values())
    t.total(None, "Total", [t.add(None, label, s[label], total) for label in by_taxonomy(s, b.tax.services)],
            base="self")
    return t


def outcomes(b: Any) -> Table:
    """Seed 001 table 3: the finding of each stage 1 response; later stages in their own groups."""
    t = b.table("outcomes", "Outcome of complaints")
    rows = b.stages.data.get("outcomes", {})
    for proc, stage, group in [("statutory", 1, "Statutory Social Care complaints"), ("corporate", 1, "Corporate complaints"),
                               ("statutory", 2, "Statutory Social Care complaints Stage 2"),
                               ("statutory", 3, "Statutory Social Care complaints Stage 3"),
                               ("corporate", 2, "Corporate complaints Stage 2")]:
        by: dict[str, dict[int, int]] = {}
        for (fy, p, st, finding, _, _), count in rows.items():
            if p == proc and st == stage:
                cell = by.setdefault(finding if finding in FINDINGS else "no_finding", {})
                cell[fy] = cell.get(fy, 0) + count
        total = _sum(*by.values())
        t.total(group, "Total", [t.add(group, label, by.get(code, {}), total) for code, label in FINDINGS.items()],
                base="self")
    return t


def actual_outcomes(b: Any) -> Table:
    """Seed 000 table 11: what each stage 1 response did (a response may record several)."""
    t = b.table("actual_outcomes", "Social care and corporate complaints - actual outcome (stage 1)")
    rows = b.stages.data.get("actual_outcomes", {})
    by: dict[tuple[str, str], dict[int, int]] = {}
    for (fy, proc, _, raw, _, _), count in rows.items():
        label = label_in(b.tax.actual_outcomes, raw, "Other")
        cell = by.setdefault((proc, label), {})
        cell[fy] = cell.get(fy, 0) + count
    order = {label: i for i, label in enumerate(b.tax.actual_outcomes.labels())}
    labels = sorted({label for _, label in by}, key=lambda x: (order.get(x, len(order)), x))
    placed: dict[str, list[int]] = {}  # each group's rows, its total last
    for group, procs in (("Social Care Stage 1", ("statutory",)), ("Corporate Stage 1", ("corporate",)),
                         ("Total", ("statutory", "corporate"))):
        placed[group] = [t.add(group, label, _sum(*[by.get((p, label), {}) for p in procs])) for label in labels]
        placed[group].append(t.total(group, "Total", placed[group]))
    for social_care, corporate, both in zip(placed["Social Care Stage 1"], placed["Corporate Stage 1"], placed["Total"]):
        t.relate(both, [social_care, corporate])
    return t


def lgsco(b: Any) -> Table:
    """Seed 000 table 12: Ombudsman referrals and final decisions received in each year."""
    t = b.table("lgsco", "Complaints received by Children's Services from the LGSCO",
                "Counted in the year the referral or decision was received, on either basis; awaiting outcome: "
                "referrals with no decision by the end of that year.")
    refs = b.lgsco.series("lgsco_referral", label=lambda k: k[1])
    decisions = b.lgsco.series("lgsco_decision", label=lambda k: label_in(b.tax.lgsco_outcomes, k[1], "Outcome not recognised"))
    group = "LGSCO Referrals Received"
    referrals = t.add(group, "Number of referrals received by CSCT from LGSCO in period", _sum(*refs.values()))
    finals = t.add(group, "Number of final decisions received from LGSCO in period", _sum(*decisions.values()))
    t.relate(referrals, [t.add("Type of LGSCO referral", label, refs.get(code, {})) for code, label in LGSCO_TYPES])
    t.relate(finals, [t.add("Outcome", label, decisions.get(label, {})) for label in
                      b.tax.lgsco_outcomes.labels() + [x for x in decisions if x not in b.tax.lgsco_outcomes.labels()]])
    t.add("Outcome", "Awaiting outcome", b.lgsco.series("awaiting", label=lambda k: "x").get("x", {}))
    return t


def advocacy(b: Any) -> Table:
    """GBFC 5.6.2: advocacy offered (Children Act 1989 s.26A) and complaints through an advocate."""
    t = b.table("advocacy", "Advocacy", ALL_COMPLAINTS + " Advocacy offered: the decision offered help to get "
                "an advocate (Children Act 1989 s.26A).")
    s = b.refs.series("advocacy")
    for key, label in (("young_people", "Complaints from children and young people (including through an advocate)"),
                       ("advocate", "Complaints made through an advocate"),
                       ("offered", "Advocacy offered"),
                       ("age_unclear", "Advocacy signposted where the complainant's age was unclear")):
        t.add("Advocacy", label, s.get(key, {}))
    return t


def equality(b: Any, id_: str) -> Table:
    """Seed 000 tables 13-20: the equality profile of every complaint's complainant."""
    title, labels = EQUALITY[id_]
    t = b.table(id_, title, ALL_COMPLAINTS + " Free-text answers are matched to this list; others are counted "
                "as Not recognised; no answer as Not Stated.")
    s = b.refs.series(id_, label=lambda k: equality_label(k[1], labels))
    t.total(None, "Total", [t.add(None, label, s.get(label, {})) for label in labels + [x for x in s if x not in labels]])
    return t


ACTION_SOURCES = [("complaint_finding", "From complaint findings"), ("lgsco_remedy", "Ombudsman remedies"),
                  ("learning", "Wider learning")]


def _fy_of(day: Any) -> int | None:
    if not day:
        return None
    text = str(day)
    return int(text[:4]) - (text[5:7] < "04")


def _action_year(b: Any, a: dict[str, Any]) -> int | None:
    """The year an action counts in: its case's received year (received basis), else the
    year it was agreed (resolved basis)."""
    return _fy_of(a["received"] if b.basis == "received" else a["agreed"])


def learning(b: Any) -> Table:
    """GBFC 2006 5.6.2 "learning and service improvement": actions agreed, implemented and not
    implemented, by source and by service; the Ombudsman's remedies due in each year and
    whether each was met on time, late, or is outstanding."""
    t = b.table("learning", "Learning and service improvement",
                "Each action once: received basis, in the year its case was received; resolved basis, in the "
                "year it was agreed. Implemented: completed; not implemented: dropped, or still open when the "
                "report was made. Ombudsman remedies: in the year each was due, on either basis; outstanding: "
                "not completed by the end of that year (or by today).")
    counted = [(fy, a) for a in b.actions if (fy := _action_year(b, a)) is not None]

    def rows(group: str, chosen: list[tuple[int, dict[str, Any]]]) -> None:
        agreed: dict[int, int] = {}
        done: dict[int, int] = {}
        dropped: dict[int, int] = {}
        still_open: dict[int, int] = {}
        for fy, a in chosen:
            agreed[fy] = agreed.get(fy, 0) + 1
            bucket = done if a["completed"] else dropped if a["dropped"] else still_open
            bucket[fy] = bucket.get(fy, 0) + 1
        total = t.add(group, "Actions agreed", agreed)
        implemented = t.add(group, "Implemented", done, agreed)
        not_done = t.add(group, "Not implemented", _sum(dropped, still_open), agreed)
        t.relate(total, [implemented, not_done])
        t.relate(not_done, [t.add(group, "of which dropped", dropped, agreed),
                            t.add(group, "of which still open", still_open, agreed)])

    for code, group in ACTION_SOURCES:
        rows(group, [(fy, a) for fy, a in counted if a["source"] == code])
    services = sorted({label_in(b.tax.services, a["service"], "Service not recorded") for _, a in counted},
                      key=lambda x: (x == "Service not recorded", x))
    for service in services:
        rows(service, [(fy, a) for fy, a in counted
                       if label_in(b.tax.services, a["service"], "Service not recorded") == service])
    rows("All actions", counted)
    due: dict[str, dict[int, int]] = {k: {} for k in ("due", "on_time", "late", "outstanding", "dropped")}
    today = date.today().isoformat()
    for a in b.actions:
        fy = _fy_of(a["due"])
        if a["source"] != "lgsco_remedy" or fy is None:
            continue
        year_end = min(f"{fy + 1}-03-31", today)
        kind = ("on_time" if a["completed"] and a["completed"] <= a["due"] else
                "late" if a["completed"] and a["completed"] <= year_end else
                "dropped" if a["dropped"] and a["dropped"] <= year_end else "outstanding")
        for key in ("due", kind):
            due[key][fy] = due[key].get(fy, 0) + 1
    group = "Ombudsman remedies due in the year"
    total = t.add(group, "Remedies due", due["due"])
    t.relate(total, [t.add(group, "Met on time", due["on_time"], due["due"]),
                     t.add(group, "Met late", due["late"], due["due"]),
                     t.add(group, "Outstanding", due["outstanding"], due["due"]),
                     t.add(group, "Dropped", due["dropped"], due["due"])])
    return t


def improvements(b: Any) -> list[dict[str, Any]]:
    """The service improvements implemented in the report's year (completed then), oldest first."""
    year = b.years[0]
    first, last = year.first.isoformat(), year.last.isoformat()
    sources = dict(ACTION_SOURCES)
    return [{"service": label_in(b.tax.services, a["service"], "Service not recorded"),
             "source": sources.get(a["source"], a["source"]), "improvement": a["improvement"]}
            for a in sorted(b.actions, key=lambda a: (a["completed"] or "", a["action_id"]))
            if a["improvement"] and a["completed"] and first <= a["completed"] <= last]
