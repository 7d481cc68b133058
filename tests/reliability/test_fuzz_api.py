"""Schemathesis against openapi.yaml, every route, through the gateway's WSGI app.

For each operation, schema-valid (positive) and schema-violating (negative) requests are
generated; each answer must not be a 5xx and must conform to the spec: a documented status,
its content type, headers and body schema, and a schema-valid request must not be rejected.
Not checked: that every schema-violating request is rejected - the functions are lenient by
design (case-insensitive enums, `?limit=` meaning the default), see docs/reliability.md.
Runs once on SQLite and once on PostgreSQL, over bugs of all three sources.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from shared.gateway import create_app
from tests.functions.conftest import cicd, deployment, runtime

SPEC = Path(__file__).resolve().parents[2] / "openapi.yaml"
EXAMPLES = 70  # per operation and mode: 9 operations x 2 modes x 70 + health > 1,000 cases
MIN_CASES = 1000
EXCLUDED = [schemathesis.checks.negative_data_rejection]
# A schema-valid request these two may refuse with 422 because of the bug it names, not its
# shape (DESIGN.md: CI/CD and deployment bugs are not auto-repairable).
SOURCE_RULES = {"POST /api/v1/tasks/{id}/claim": ("id", "only runtime bugs can be claimed"),
                "PATCH /api/v1/bugs/{id}/status": ("status", "PENDING_FIX is only for runtime bugs")}


# A schema-valid text made only of what validation strips (NUL, lone surrogates: PostgreSQL
# text cannot hold them) is empty once cleaned; JSON Schema's `pattern` cannot say so in a
# way every generator honours, so a required field may then be refused.
CLEANED_EMPTY = ("POST /api/v1/logs/report", "must not be empty")
# An envelope's framing (header line, item headers, lengths) and its DSN key cannot be said
# in a schema: a schema-valid body is any string, and nearly every one is refused (400).
FRAMED_BODIES = {"POST /api/{sentry_id}/envelope/"}


def business_rule_422(label: str, response) -> bool:  # noqa: ANN001
    if response.status_code != 422:
        return False
    details = response.json()["error"].get("details") or []
    if label == CLEANED_EMPTY[0]:
        return bool(details) and all(d["issue"] == CLEANED_EMPTY[1] for d in details)
    return label in SOURCE_RULES and [(d["field"], d["issue"]) for d in details] == [SOURCE_RULES[label]]


def seed_bugs(client) -> None:  # noqa: ANN001
    for i in range(12):
        assert client.post("/api/v1/logs/report", json=runtime(line=i, type_=f"E{i % 4}")).status_code in (200, 201)
    for i in range(4):
        assert client.post("/api/v1/logs/report", json=cicd(job=f"j{i}")).status_code in (200, 201)
        assert client.post("/api/v1/logs/report", json=deployment(deploy=f"d{i}")).status_code in (200, 201)


def test_schemathesis_finds_no_5xx_and_no_spec_mismatch(db_url, tmp_path):
    app = create_app(web_dist=tmp_path / "no-dist")
    seed_bugs(app.test_client())
    schema = schemathesis.openapi.from_path(SPEC)
    schema.app = app

    cases: Counter = Counter()
    without_inputs: set[str] = set()
    failures: dict[tuple, str] = {}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 9

    for operation in operations:
        has_inputs = bool(operation.body or list(operation.iter_parameters()))
        if not has_inputs:
            without_inputs.add(operation.label)
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            if mode is GenerationMode.NEGATIVE and not has_inputs:
                continue  # nothing to make invalid

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(max_examples=EXAMPLES, deadline=None, database=None,
                      suppress_health_check=list(HealthCheck))
            def run(case) -> None:  # noqa: ANN001
                cases[operation.label] += 1
                try:
                    response = case.call()
                    excluded = EXCLUDED
                    if operation.label in FRAMED_BODIES:
                        excluded = EXCLUDED + [schemathesis.checks.positive_data_acceptance]
                    if mode is GenerationMode.POSITIVE and business_rule_422(operation.label, response):
                        excluded = EXCLUDED + [schemathesis.checks.positive_data_acceptance]
                    case.validate_response(response, excluded_checks=excluded)
                except BaseException as exc:  # schemathesis raises a FailureGroup (a BaseExceptionGroup)
                    if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                        raise
                    key = (operation.label, mode.value, str(exc).strip().splitlines()[0] if str(exc) else type(exc).__name__)
                    failures.setdefault(key, str(exc)[:3000])

            run()  # called in this iteration: `operation` and `mode` are the current ones

    total = sum(cases.values())
    print(f"schemathesis on {db_url.split(':')[0]}: {total} cases, {dict(cases)}")
    assert not failures, "\n\n".join(f"{k}:\n{v}" for k, v in list(failures.items())[:5])
    assert total >= MIN_CASES, cases
    # An operation without inputs has one distinct request (hypothesis does not repeat it).
    assert all(n >= EXAMPLES for label, n in cases.items() if label not in without_inputs), cases


def test_every_enum_value_of_every_query_parameter_is_accepted(db_url, tmp_path):
    """Hypothesis rarely draws every member of an enum (and schemathesis narrows enums from
    the 422 messages it sees), so each documented value is also sent once, on purpose."""
    import yaml

    spec = yaml.safe_load(SPEC.read_text())
    client = create_app(web_dist=tmp_path / "no-dist").test_client()
    sent = 0
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue  # path-level `parameters` (or a summary): not an operation
            for param in operation.get("parameters", []):
                if "$ref" in param:
                    param = spec["components"]["parameters"][param["$ref"].rsplit("/", 1)[1]]
                if param["in"] != "query" or "enum" not in param["schema"]:
                    continue
                for value in param["schema"]["enum"]:
                    r = client.open(path, method=method.upper(), query_string={param["name"]: value})
                    assert r.status_code == 200, (method, path, param["name"], value, r.get_json())
                    sent += 1
    assert sent >= 8
