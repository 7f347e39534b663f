"""`triage schema` and /v1/schema: what a form built from them sends, triage accepts."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from conftest import EXAMPLES, ROOT, RULES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st


@pytest.fixture(scope="module")
def shipped() -> dict[str, Any]:
    import triage

    return triage.schema(RULES)


def _validator(schema: dict[str, Any]) -> Any:
    return jsonschema.Draft202012Validator(schema)


def test_schema_lists_the_taxonomy_labels_as_enums(shipped: dict[str, Any], rules: Any) -> None:
    """about.service and about.natures are enums of the effective taxonomy's labels, with the matching rule."""
    about = shipped["$defs"]["About"]["properties"]
    assert about["service"]["anyOf"] == [{"type": "string", "enum": rules.taxonomy.services.labels()}, {"type": "null"}]
    assert about["natures"]["anyOf"][0]["items"] == {"type": "string", "enum": rules.taxonomy.natures.labels()}
    assert "CAST" in about["service"]["anyOf"][0]["enum"]
    assert "Labels match ignoring case, spacing and punctuation ('MASH / CRT' is 'MASH/CRT'" in about["service"]["description"]


def test_schema_says_null_means_omitted_for_optional_fields(shipped: dict[str, Any]) -> None:
    """Every optional property accepts null and says that null means omitted; required ones do not."""
    complainant = shipped["$defs"]["Complainant"]["properties"]
    assert complainant["has_parental_responsibility"] == {
        "title": "Has Parental Responsibility", "default": False, "anyOf": [{"type": "boolean"}, {"type": "null"}],
        "description": "Optional: null means the same as leaving the field out (its default applies)."}
    assert "anyOf" not in complainant["relationship"]
    for name, model in [("", shipped), *shipped["$defs"].items()]:
        for prop, schema in model["properties"].items():
            if prop not in model.get("required", ()):
                assert {"type": "null"} in schema["anyOf"], (name, prop)
                assert schema["description"].endswith("null means the same as leaving the field out (its default "
                                                      "applies)."), (name, prop)


def test_every_example_validates_against_the_schema(shipped: dict[str, Any]) -> None:
    """Every shipped example case is valid under the schema (the schema accepts what triage accepts)."""
    validator = _validator(shipped)
    for path in sorted(EXAMPLES.glob("*.json")):
        errors = [e.message for e in validator.iter_errors(json.loads(path.read_text()))]
        assert errors == [], path.name


def test_schema_refuses_a_label_triage_refuses(shipped: dict[str, Any], case: dict[str, Any]) -> None:
    """A service that is not in the taxonomy fails the schema, as it fails `triage assess`."""
    case["about"]["service"] = "Parking"
    assert not _validator(shipped).is_valid(case)
    case["about"]["service"] = None
    assert _validator(shipped).is_valid(case)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_labels_the_schema_allows_are_accepted(data: Any, shipped: dict[str, Any], case: dict[str, Any]) -> None:
    """Any service and natures a form picks from the schema's enums pass triage's validation."""
    import triage

    about = shipped["$defs"]["About"]["properties"]
    case["about"]["service"] = data.draw(st.sampled_from(about["service"]["anyOf"][0]["enum"]))
    case["about"]["natures"] = data.draw(st.lists(st.sampled_from(about["natures"]["anyOf"][0]["items"]["enum"]),
                                                  min_size=1, max_size=4, unique=True))
    case["about"].pop("function", None)
    assert _validator(shipped).is_valid(case)
    triage.decide(case, rules=RULES)


def test_schema_follows_the_councils_taxonomy(run: Any, tmp_path: Path) -> None:
    """A council's own taxonomy (--rules DIR) is what `triage schema` lists."""
    shutil.copytree(RULES, tmp_path / "rules")
    shutil.copytree(ROOT / "templates", tmp_path / "templates")
    taxonomy = tmp_path / "rules" / "taxonomy.yaml"
    taxonomy.write_text(taxonomy.read_text().replace("services:\n", "services:\n  - {label: \"Virtual School\"}\n", 1))
    enum = run(f"--rules={tmp_path / 'rules'}", "schema").json()["$defs"]["About"]["properties"]["service"]["anyOf"][0]
    assert enum["enum"][0] == "Virtual School" and "CAST" in enum["enum"]


def test_http_schema_and_openapi_carry_the_same_taxonomy(shipped: dict[str, Any]) -> None:
    """GET /v1/schema is the library schema for the served rules; the OpenAPI document lists the same labels."""
    import tempfile

    from starlette.testclient import TestClient

    from triage.log.store import DecisionLog
    from triage.server.app import create_app
    from triage.server.auth import key_hash, key_prefix, new_api_key
    from triage.server.tables import ServerTables

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "t.db"
        key = new_api_key()
        ServerTables(DecisionLog(db)).add_key("t", key_hash(key), key_prefix(key))
        with TestClient(create_app(db, RULES)) as client:
            auth = {"Authorization": f"Bearer {key}"}
            assert client.get("/v1/schema", headers=auth).json() == json.loads(json.dumps(shipped))
            doc = client.get("/v1/openapi.json", headers=auth).json()
    about = doc["components"]["schemas"]["About"]["properties"]
    assert about["service"]["anyOf"][0]["enum"] == shipped["$defs"]["About"]["properties"]["service"]["anyOf"][0]["enum"]
    event = doc["components"]["schemas"]["Event"]["properties"]
    assert "Apology" in event["actual_outcomes"]["anyOf"][0]["items"]["enum"]
