"""The council's recording taxonomy (rules/taxonomy.yaml): services, natures, methods, relationships.

Labels match ignoring case, spacing and punctuation (docs/reference.md, "A representation"), so "MASH / CRT"
is the entry "MASH/CRT". Unknown labels are errors with the nearest labels as suggestions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from triage.contract.hints import nearest

_NOT_ALNUM = re.compile(r"[^0-9a-z]+")


def normalise(label: str) -> str:
    """The matching key of a label: lower case letters and digits only."""
    return _NOT_ALNUM.sub("", label.casefold())


@dataclass(frozen=True)
class Entry:
    """One service or nature: its canonical label, the function it implies, its tags."""

    label: str
    function: str | None = None
    tags: tuple[str, ...] = ()


@dataclass
class LabelList:
    """A list of labels matched by their normalised form."""

    kind: str
    entries: dict[str, Entry] = field(default_factory=dict)

    def add(self, entry: Entry) -> str | None:
        """Add an entry; return the label it clashes with, if any."""
        key = normalise(entry.label)
        if key in self.entries:
            return self.entries[key].label
        self.entries[key] = entry
        return None

    def get(self, label: str) -> Entry | None:
        return self.entries.get(normalise(label))

    def suggest(self, label: str, n: int = 3) -> list[str]:
        """The nearest canonical labels to an unknown one."""
        keys = nearest(normalise(label), list(self.entries), n=n)
        return [self.entries[k].label for k in keys]

    def labels(self) -> list[str]:
        return [e.label for e in self.entries.values()]


@dataclass
class Taxonomy:
    services: LabelList
    natures: LabelList
    methods: dict[str, str]
    relationships: dict[str, dict[str, str]]
    actual_outcomes: LabelList = field(default_factory=lambda: LabelList("actual_outcomes"))
    lgsco_outcomes: LabelList = field(default_factory=lambda: LabelList("lgsco_outcomes"))

    @classmethod
    def from_data(cls, data: dict[str, Any], problems: list[str]) -> "Taxonomy":
        """Build from the parsed YAML, appending a message to ``problems`` for each fault."""
        lists = {}
        for kind in ("services", "natures"):
            label_list = LabelList(kind)
            for i, raw in enumerate(data.get(kind) or []):
                if not isinstance(raw, dict) or not isinstance(raw.get("label"), str):
                    problems.append(f"{kind}[{i}]: each entry needs a `label` (text)")
                    continue
                unknown = set(raw) - {"label", "function", "tags"}
                if unknown:
                    problems.append(f"{kind}[{i}] ({raw['label']}): unknown keys {sorted(unknown)}; "
                                    "allowed: label, function, tags")
                entry = Entry(raw["label"], raw.get("function"), tuple(raw.get("tags") or ()))
                clash = label_list.add(entry)
                if clash:
                    problems.append(f"{kind}: '{entry.label}' is the same label as '{clash}' "
                                    "(labels match ignoring case, spacing and punctuation)")
            lists[kind] = label_list
        outcome_lists = {}
        for kind in ("actual_outcomes", "lgsco_outcomes"):
            label_list = LabelList(kind)
            for label in data.get(kind) or []:
                clash = label_list.add(Entry(str(label)))
                if clash:
                    problems.append(f"{kind}: '{label}' is the same label as '{clash}'")
            outcome_lists[kind] = label_list
        return cls(lists["services"], lists["natures"], dict(data.get("methods") or {}),
                   dict(data.get("relationships") or {}), outcome_lists["actual_outcomes"],
                   outcome_lists["lgsco_outcomes"])
