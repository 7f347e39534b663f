"""The shipped configuration with a council's folder on top.

A council folder (``triage init DIR`` writes one) holds only what the council changes:

- ``settings.yaml``: the settings it overrides, with the shipped keys; a key set there
  replaces the shipped value (mappings merge key by key, a list is replaced whole);
- ``council.yaml``: the council's details, which replace the shipped example values whole;
- ``taxonomy.yaml``: labels added to the shipped lists (an entry with a shipped label
  replaces it), ``replace: [services, ...]`` for lists it replaces whole;
- ``templates/letters/``: its own wording of any letter (searched before the shipped ones);
- ``scenarios/``: its own scenarios, run against the effective rules.

Upgrading `triage` replaces the shipped layer and never touches these files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from triage.contract.errors import RuleError

from . import config
from .config import COUNCIL, COUNCIL_TAXONOMY, SETTINGS, TAXONOMY, YamlFile
from .taxonomy import normalise


class Layers:
    """Reads and checks one file of each kind from the shipped rules and the council folder,
    appending every problem to ``errors``."""

    def __init__(self, shipped: Path, council: Path | None, errors: list[RuleError]) -> None:
        self.shipped, self.council_dir, self.errors = shipped, council, errors
        self.taxonomy_file = str(shipped / "taxonomy.yaml")

    def _read(self, path: Path) -> YamlFile | None:
        source = config.read_yaml(path, self.errors)
        if source is not None and source.data is not None and not isinstance(source.data, dict):
            self.errors.append(config.ConfigError("must be a mapping of keys at the top level", file=str(path),
                                                  line=1))
            return None
        if source is not None and source.data is None:
            source.data = {}
        return source

    def _shipped(self, name: str) -> YamlFile | None:
        path = self.shipped / name
        if not path.is_file():
            self.errors.append(config.ConfigError("missing: every rules directory needs this file", file=str(path)))
            return None
        return self._read(path)

    def _layer(self, name: str) -> YamlFile | None:
        if self.council_dir is None or not (self.council_dir / name).is_file():
            return None
        return self._read(self.council_dir / name)

    def settings(self) -> tuple[dict[str, Any], dict[str, str]]:
        """The effective settings (normalised) and the file each came from."""
        base, layer = self._shipped("settings.yaml"), self._layer("settings.yaml")
        if base is None:
            return {}, {}
        found = config.check(base.data, SETTINGS, base, str(base.path))
        if layer is not None:
            found += config.check(layer.data, SETTINGS, layer, str(layer.path), partial=True)
        if found:
            self.errors.extend(found)
            return {}, {}
        merged, sources = config.merge(base.data, layer.data if layer else {}, str(base.path),
                                       str(layer.path) if layer else "")
        by_name = {str(base.path): base, **({str(layer.path): layer} if layer else {})}

        def origin(path: config.KeyPath) -> tuple[YamlFile | None, str]:
            name = next((sources[p] for p in sources if p[:len(path)] == path), str(base.path))
            return by_name.get(name), name

        found = config.check(merged, SETTINGS, None, "", origin=origin)
        for path, message in config.settings_relations(merged):
            src, name = origin(path)
            found.append(config.ConfigError(message, file=name, line=src.line(path) if src else None, path=path))
        self.errors.extend(found)
        return config.normalise_settings(merged), {config.dotted(p): f for p, f in sources.items()}

    def council(self) -> dict[str, Any]:
        """The council's details: the council folder's council.yaml, else the shipped example."""
        source = self._layer("council.yaml") or self._shipped("council.yaml")
        if source is None:
            return {}
        found = config.check(source.data, COUNCIL, source, str(source.path))
        logo = (source.data.get("council") or {}).get("logo") if isinstance(source.data.get("council"), dict) else None
        if isinstance(logo, str) and logo.strip() and not (source.path.parent / logo).is_file():
            found.append(config.ConfigError(f"no image at {source.path.parent / logo} (the path is relative to "
                                            "the folder holding council.yaml)", file=str(source.path),
                                            line=source.line(("council", "logo")), path=("council", "logo")))
        self.errors.extend(found)
        data = dict(source.data)
        if isinstance(logo, str) and logo.strip():
            data["council"] = {**data["council"], "logo": str((source.path.parent / logo).resolve())}
        return data

    def taxonomy(self) -> dict[str, Any]:
        """The effective taxonomy: the shipped lists with the council's additions and replacements."""
        base, layer = self._shipped("taxonomy.yaml"), self._layer("taxonomy.yaml")
        if base is None:
            return {}
        found = config.check(base.data, TAXONOMY, base, str(base.path))
        if layer is not None:
            found += config.check(layer.data, COUNCIL_TAXONOMY, layer, str(layer.path), partial=True)
            self.taxonomy_file = f"{base.path} with {layer.path}"
        self.errors.extend(found)
        if found or layer is None:
            return base.data if not found else {}
        return merge_taxonomy(base.data, layer.data)

    def letter_dirs(self, shipped: Path) -> list[Path]:
        """Letter template folders in search order: the council's, then the shipped ones."""
        own = self.council_dir / "templates" / "letters" if self.council_dir is not None else None
        return ([own] if own is not None and own.is_dir() else []) + [shipped]


def merge_taxonomy(base: dict[str, Any], layer: dict[str, Any]) -> dict[str, Any]:
    """The council's taxonomy on the shipped one (see the module's docstring)."""
    replace = set(layer.get("replace") or ())
    out = dict(base)
    for kind in ("services", "natures", "actual_outcomes", "lgsco_outcomes"):
        if kind not in layer:
            continue
        if kind in replace:
            out[kind] = list(layer[kind])
            continue

        def key(item: Any) -> str:
            return normalise(item["label"] if isinstance(item, dict) else str(item))

        merged = {key(item): item for item in base.get(kind) or []}
        for item in layer[kind]:
            merged[key(item)] = item  # a shipped label is replaced in place, a new one added
        out[kind] = list(merged.values())
    for kind in ("methods", "relationships"):
        if kind in layer:
            out[kind] = dict(layer[kind]) if kind in replace else {**(base.get(kind) or {}), **layer[kind]}
    return out

