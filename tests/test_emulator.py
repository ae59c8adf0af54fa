"""The Port API emulator, driven over real HTTP the way our Port client and Lambda use Port."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import yaml

from core.emulator import PortEmulator

CLIENT_ID, CLIENT_SECRET = "test-client", "test-secret-value"
# Port's own spec lives in ../shared beside the checkout (CI clones there too).
SPEC_PATH = Path(os.environ.get("PORT_OPENAPI_SPEC")
                 or Path(__file__).resolve().parents[2] / "shared" / "port-api" / "openapi.yaml")

ACCOUNT = {
    "identifier": "awsAccount", "title": "AWS Account",
    "schema": {"properties": {"region": {"type": "string"}, "state": {"type": "string"}}},
}
INSTANCE = {
    "identifier": "ec2Instance", "title": "EC2 Instance",
    "schema": {"properties": {"state": {"type": "string"}, "region": {"type": "string"}}},
}
ACCOUNT_RELATION = {"account": {"title": "Account", "target": "awsAccount",
                                "required": False, "many": False}}
INSTANCE_MAPPINGS = [
    {
        "blueprint": "ec2Instance",
        "filter": '.body.metadata.source == "aws.ec2" and .body.event.detail.state != "terminated"',
        "entity": {
            "identifier": '.body.event.detail["instance-id"]',
            "title": '.body.event.detail["instance-id"]',
            "properties": {"state": ".body.event.detail.state",
                           "region": ".body.metadata.region"},
            "relations": {"account": ".body.metadata.account"},
        },
    },
    {
        "blueprint": "ec2Instance",
        "operation": {"type": "delete"},
        "filter": '.body.event.detail.state == "terminated"',
        "entity": {"identifier": '.body.event.detail["instance-id"]'},
    },
    {
        "blueprint": "awsAccount",
        "itemsToParse": ".body.metadata.resources",
        "filter": '.item | startswith("arn:aws:iam")',
        "entity": {"identifier": '.item | split(":")[4]', "properties": {"region": '"global"'}},
    },
]
SECURITY = {
    "secret": "s3cr3t", "signatureHeaderName": "x-port-aws-signature",
    "signatureAlgorithm": "sha256", "signaturePrefix": "sha256=",
    "requestIdentifierPath": ".body.metadata.eventId",
}


def ec2_event(instance: str, state: str = "running", event_id: str | None = None,
              resources: list[str] | None = None) -> dict[str, Any]:
    return {
        "metadata": {"source": "aws.ec2", "account": "123456789012", "region": "eu-west-1",
                     "eventId": event_id or f"evt-{instance}-{state}",
                     "resources": resources or []},
        "event": {"detail": {"instance-id": instance, "state": state}},
    }


def signed(body: dict[str, Any], secret: str = "s3cr3t") -> tuple[bytes, dict[str, str]]:
    raw = json.dumps(body).encode()
    digest = hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    return raw, {"x-port-aws-signature": f"sha256={digest}",
                 "content-type": "application/json"}


# ---- fixtures ---------------------------------------------------------------------------
@pytest.fixture
def emu() -> Iterator[PortEmulator]:
    with PortEmulator(client_id=CLIENT_ID, client_secret=CLIENT_SECRET) as emulator:
        yield emulator


def _token(base_url: str) -> str:
    answer = httpx.post(f"{base_url}/v1/auth/access_token",
                        json={"clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET})
    return answer.json()["accessToken"]


@pytest.fixture
def api(emu: PortEmulator) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {_token(emu.base_url)}"}
    with httpx.Client(base_url=emu.base_url, headers=headers) as client:
        yield client


@pytest.fixture
def catalog(api: httpx.Client) -> httpx.Client:
    """Both blueprints, the relation added afterwards (as our installer does)."""
    assert api.post("/v1/blueprints", json=ACCOUNT).status_code == 201
    assert api.post("/v1/blueprints", json=INSTANCE).status_code == 201
    patched = api.patch("/v1/blueprints/ec2Instance", json={"relations": ACCOUNT_RELATION})
    assert patched.status_code == 200
    return api


def make_webhook(api: httpx.Client, **overrides: Any) -> dict[str, Any]:
    body = {"identifier": "aws-events", "title": "AWS events", "enabled": True,
            "mappings": INSTANCE_MAPPINGS, **overrides}
    answer = api.post("/v1/webhooks", json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()["integration"]


# ---- response bodies against Port's OpenAPI spec ------------------------------------------
def _portable_patterns(node: Any) -> Any:
    """The spec's patterns use \\p{L}, which Python's re lacks; \\w is the closest match."""
    if isinstance(node, dict):
        return {k: v.replace(r"\p{L}", r"\w") if k == "pattern" and isinstance(v, str)
                else _portable_patterns(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_portable_patterns(v) for v in node]
    return node


@pytest.fixture(scope="session")
def spec_registry() -> Any:
    if not SPEC_PATH.exists():
        pytest.skip(f"Port OpenAPI spec not found at {SPEC_PATH}")
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT7

    class Loader(yaml.CSafeLoader):
        pass

    # The spec has unquoted "operator: =" which PyYAML reads as its "value" tag.
    Loader.add_constructor("tag:yaml.org,2002:value", lambda ld, node: ld.construct_scalar(node))
    spec = _portable_patterns(yaml.load(SPEC_PATH.read_text(), Loader=Loader))
    return Registry().with_resource("urn:port-spec", Resource(spec, DRAFT7))


@pytest.fixture
def matches_spec(spec_registry: Any) -> Any:
    import jsonschema

    def check(route: str, method: str, answer: httpx.Response) -> None:
        pointer = ("/paths/" + route.replace("~", "~0").replace("/", "~1") +
                   f"/{method}/responses/{answer.status_code}/content/application~1json/schema")
        validator = jsonschema.Draft7Validator({"$ref": "urn:port-spec#" + quote(pointer)},
                                               registry=spec_registry)
        errors = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(answer.json())]
        assert errors == [], f"{method.upper()} {route} {answer.status_code}: {errors}"

    return check


# ---- auth -------------------------------------------------------------------------------
def test_access_token_has_port_shape(emu: PortEmulator, matches_spec: Any) -> None:
    answer = httpx.post(f"{emu.base_url}/v1/auth/access_token",
                        json={"clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET})

    assert answer.status_code == 200
    body = answer.json()
    assert body["ok"] is True and body["tokenType"] == "Bearer" and body["expiresIn"] > 0
    matches_spec("/v1/auth/access_token", "post", answer)
    assert body["accessToken"] != _token(emu.base_url)  # random per issue


def test_bad_credentials_get_401(emu: PortEmulator, matches_spec: Any) -> None:
    answer = httpx.post(f"{emu.base_url}/v1/auth/access_token",
                        json={"clientId": CLIENT_ID, "clientSecret": "wrong"})

    assert answer.status_code == 401
    assert answer.json()["ok"] is False
    matches_spec("/v1/auth/access_token", "post", answer)


def test_missing_credentials_field_is_422(emu: PortEmulator) -> None:
    answer = httpx.post(f"{emu.base_url}/v1/auth/access_token", json={"clientId": CLIENT_ID})

    assert answer.status_code == 422
    assert "clientSecret" in answer.json()["message"]


@pytest.mark.parametrize("authorization", [None, "Bearer not-a-token", "Basic abc"])
def test_api_routes_need_a_valid_bearer_token(
    emu: PortEmulator, matches_spec: Any, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    answer = httpx.get(f"{emu.base_url}/v1/blueprints", headers=headers)

    assert answer.status_code == 401
    matches_spec("/v1/blueprints", "get", answer)


def test_expire_tokens_invalidates_issued_tokens_only(api: httpx.Client, emu: PortEmulator) -> None:
    assert api.get("/v1/blueprints").status_code == 200

    emu.expire_tokens()

    assert api.get("/v1/blueprints").status_code == 401
    fresh = {"Authorization": f"Bearer {_token(emu.base_url)}"}
    assert api.get("/v1/blueprints", headers=fresh).status_code == 200


def test_organization_answers_with_its_id(api: httpx.Client, emu: PortEmulator) -> None:
    answer = api.get("/v1/organization")

    assert answer.status_code == 200
    assert answer.json()["organization"]["id"] == emu.store.org_id


# ---- blueprints -------------------------------------------------------------------------
def test_create_and_get_blueprint_match_spec(api: httpx.Client, matches_spec: Any) -> None:
    created = api.post("/v1/blueprints", json=ACCOUNT)
    fetched = api.get("/v1/blueprints/awsAccount")
    listed = api.get("/v1/blueprints")

    assert created.status_code == 201
    matches_spec("/v1/blueprints", "post", created)
    assert fetched.status_code == 200
    matches_spec("/v1/blueprints/{identifier}", "get", fetched)
    assert fetched.json()["blueprint"]["schema"]["properties"] == ACCOUNT["schema"]["properties"]
    assert [b["identifier"] for b in listed.json()["blueprints"]] == ["awsAccount"]
    matches_spec("/v1/blueprints", "get", listed)


def test_duplicate_blueprint_is_409_taken(api: httpx.Client) -> None:
    api.post("/v1/blueprints", json=ACCOUNT)

    answer = api.post("/v1/blueprints", json=ACCOUNT)

    assert answer.status_code == 409
    assert "taken" in answer.json()["error"]


def test_relation_to_missing_blueprint_is_refused(api: httpx.Client) -> None:
    answer = api.post("/v1/blueprints", json={**INSTANCE, "relations": ACCOUNT_RELATION})

    assert answer.status_code == 404
    assert answer.json()["error"] == "not_found" and "awsAccount" in answer.json()["message"]
    assert api.get("/v1/blueprints/ec2Instance").status_code == 404


def test_patch_adds_relations_and_keeps_the_rest(catalog: httpx.Client) -> None:
    catalog.patch("/v1/blueprints/ec2Instance",
                  json={"schema": {"properties": {"type": {"type": "string"}}}})

    blueprint = catalog.get("/v1/blueprints/ec2Instance").json()["blueprint"]

    assert blueprint["relations"] == ACCOUNT_RELATION
    assert set(blueprint["schema"]["properties"]) == {"state", "region", "type"}
    assert blueprint["title"] == "EC2 Instance"


def test_put_replaces_the_blueprint(catalog: httpx.Client, matches_spec: Any) -> None:
    answer = catalog.put("/v1/blueprints/ec2Instance",
                         json={"identifier": "ec2Instance", "title": "Instance",
                               "schema": {"properties": {}}})

    assert answer.status_code == 200
    matches_spec("/v1/blueprints/{identifier}", "put", answer)
    assert answer.json()["blueprint"]["relations"] == {}
    assert answer.json()["blueprint"]["title"] == "Instance"


@pytest.mark.parametrize("body", [
    {"identifier": "x", "schema": {}},
    {"identifier": "x", "title": "t" * 101, "schema": {}},
    {"identifier": "x", "title": "X"},
    {"identifier": "..", "title": "X", "schema": {}},
    {"identifier": "x", "title": "X", "schema": {}, "relations": {"r": {"target": "x"}}},
])
def test_blueprint_schema_mismatch_is_422(api: httpx.Client, matches_spec: Any,
                                          body: dict[str, Any]) -> None:
    answer = api.post("/v1/blueprints", json=body)

    assert answer.status_code == 422
    matches_spec("/v1/blueprints", "post", answer)
    assert api.get("/v1/blueprints").json()["blueprints"] == []


def test_missing_blueprint_is_404_not_found(api: httpx.Client, matches_spec: Any) -> None:
    answer = api.get("/v1/blueprints/nope")

    assert answer.status_code == 404
    assert answer.json()["error"] == "not_found"
    matches_spec("/v1/blueprints/{identifier}", "get", answer)


def test_blueprint_with_entities_cannot_be_deleted(catalog: httpx.Client) -> None:
    catalog.post("/v1/blueprints/awsAccount/entities?upsert=true", json={"identifier": "1"})

    refused = catalog.delete("/v1/blueprints/awsAccount")
    catalog.delete("/v1/blueprints/awsAccount/entities/1")
    deleted = catalog.delete("/v1/blueprints/awsAccount")

    assert refused.status_code == 422 and refused.json()["error"] == "has_dependents"
    assert deleted.status_code == 200 and deleted.json() == {"ok": True}
    assert catalog.get("/v1/blueprints/awsAccount").status_code == 404


# ---- entities ---------------------------------------------------------------------------
def test_upsert_merge_entity_and_read_it_back(catalog: httpx.Client, emu: PortEmulator,
                                              matches_spec: Any) -> None:
    route = "/v1/blueprints/ec2Instance/entities?upsert=true&merge=true"
    first = catalog.post(route, json={"identifier": "i-1", "title": "i-1",
                                      "properties": {"state": "running", "region": "eu"},
                                      "relations": {"account": "123"}})
    second = catalog.post(route, json={"identifier": "i-1", "properties": {"state": "stopped"}})
    one = catalog.get("/v1/blueprints/ec2Instance/entities/i-1")
    many = catalog.get("/v1/blueprints/ec2Instance/entities")

    assert first.status_code == second.status_code == 201
    matches_spec("/v1/blueprints/{blueprint_identifier}/entities", "post", second)
    assert one.json()["entity"]["properties"] == {"state": "stopped", "region": "eu"}
    assert one.json()["entity"]["relations"] == {"account": "123"}
    matches_spec("/v1/blueprints/{blueprint_identifier}/entities/{entity_identifier}", "get", one)
    assert [e["identifier"] for e in many.json()["entities"]] == ["i-1"]
    matches_spec("/v1/blueprints/{blueprint_identifier}/entities", "get", many)
    assert emu.entities["ec2Instance"]["i-1"]["title"] == "i-1"


def test_upsert_without_merge_replaces_and_without_upsert_conflicts(catalog: httpx.Client) -> None:
    base = "/v1/blueprints/awsAccount/entities"
    catalog.post(f"{base}?upsert=true", json={"identifier": "1", "properties": {"region": "a"}})

    conflict = catalog.post(f"{base}?upsert=false", json={"identifier": "1"})
    catalog.post(f"{base}?upsert=true", json={"identifier": "1", "properties": {"state": "x"}})

    assert conflict.status_code == 409
    assert catalog.get(f"{base}/1").json()["entity"]["properties"] == {"state": "x"}


def test_entity_with_undeclared_property_is_422(catalog: httpx.Client) -> None:
    answer = catalog.post("/v1/blueprints/awsAccount/entities?upsert=true",
                          json={"identifier": "1", "properties": {"color": "red"}})

    assert answer.status_code == 422
    assert "color" in answer.json()["message"]


def test_entity_on_missing_blueprint_is_404(api: httpx.Client) -> None:
    answer = api.post("/v1/blueprints/nope/entities?upsert=true", json={"identifier": "1"})

    assert answer.status_code == 404


def test_deleted_entity_is_gone(catalog: httpx.Client, matches_spec: Any) -> None:
    catalog.post("/v1/blueprints/awsAccount/entities?upsert=true", json={"identifier": "a/b"})
    path = "/v1/blueprints/awsAccount/entities/" + quote("a/b", safe="")

    deleted = catalog.delete(path)
    again = catalog.delete(path)
    fetched = catalog.get(path)

    assert deleted.status_code == 200
    matches_spec("/v1/blueprints/{blueprint_identifier}/entities/{entity_identifier}",
                 "delete", deleted)
    assert again.status_code == fetched.status_code == 404
    assert fetched.json()["error"] == "not_found"


def test_delete_all_entities_can_take_the_blueprint_along(catalog: httpx.Client) -> None:
    for n in range(3):
        catalog.post("/v1/blueprints/awsAccount/entities?upsert=true", json={"identifier": f"{n}"})

    answer = catalog.delete("/v1/blueprints/awsAccount/all-entities?delete_blueprint=true")

    assert answer.status_code == 200
    assert catalog.get("/v1/blueprints/awsAccount").status_code == 404


# ---- integrations -----------------------------------------------------------------------
INTEGRATION = {"installationId": "port-aws-wizard", "installationAppType": "aws-wizard",
               "version": "0.1.0", "config": {"resources": []}}


def test_integration_lifecycle(api: httpx.Client) -> None:
    created = api.post("/v1/integration", json=INTEGRATION)
    duplicate = api.post("/v1/integration", json=INTEGRATION)
    upserted = api.post("/v1/integration?upsert=true", json={**INTEGRATION, "version": "0.2.0"})
    patched = api.patch("/v1/integration/port-aws-wizard", json={"title": "AWS wizard"})
    configured = api.patch("/v1/integration/port-aws-wizard/config",
                           json={"config": {"deleteDependentEntities": True}})
    fetched = api.get("/v1/integration/port-aws-wizard")
    listed = api.get("/v1/integration")
    deleted = api.delete("/v1/integration/port-aws-wizard")

    assert created.status_code == 200 and created.json()["integration"]["version"] == "0.1.0"
    assert duplicate.status_code == 409
    assert upserted.json()["integration"]["version"] == "0.2.0"
    assert patched.json()["integration"]["title"] == "AWS wizard"
    assert configured.json()["integration"]["config"] == {"deleteDependentEntities": True}
    integration = fetched.json()["integration"]
    assert (integration["installationId"], integration["title"], integration["version"]) == (
        "port-aws-wizard", "AWS wizard", "0.2.0")
    assert [i["installationId"] for i in listed.json()["integrations"]] == ["port-aws-wizard"]
    assert deleted.json() == {"ok": True}
    assert api.get("/v1/integration/port-aws-wizard").status_code == 404


def test_integration_schema_mismatch_is_422(api: httpx.Client) -> None:
    assert api.post("/v1/integration", json={"installationAppType": "x"}).status_code == 422
    api.post("/v1/integration", json=INTEGRATION)
    assert api.patch("/v1/integration/port-aws-wizard/config", json={}).status_code == 422


# ---- webhooks ---------------------------------------------------------------------------
def test_create_webhook_answers_key_url_and_secret(api: httpx.Client, emu: PortEmulator) -> None:
    created = make_webhook(api, security=SECURITY)
    fetched = api.get("/v1/webhooks/aws-events")
    listed = api.get("/v1/webhooks")

    assert created["webhookKey"] and created["url"] == f"{emu.base_url}/{created['webhookKey']}"
    assert created["mappings"] == INSTANCE_MAPPINGS
    assert fetched.status_code == 200
    assert fetched.json()["integration"]["security"]["secret"] == "s3cr3t"
    assert [w["identifier"] for w in listed.json()["integrations"]] == ["aws-events"]


@pytest.mark.parametrize("overrides", [
    {"identifier": "x" * 31}, {"title": "t" * 31}, {"enabled": "yes"}, {"unknown": 1},
    {"security": {"signatureAlgorithm": "md5"}},
    {"mappings": [{"blueprint": "b"}]},
    {"mappings": [{"blueprint": "b", "entity": {"identifier": ".x"}, "operation": "merge"}]},
])
def test_webhook_schema_mismatch_is_422(api: httpx.Client, matches_spec: Any,
                                        overrides: dict[str, Any]) -> None:
    body = {"identifier": "w", "title": "W", "enabled": True, **overrides}

    answer = api.post("/v1/webhooks", json=body)

    assert answer.status_code == 422
    matches_spec("/v1/webhooks", "post", answer)


def test_webhook_without_enabled_is_422_as_the_spec_requires(api: httpx.Client) -> None:
    answer = api.post("/v1/webhooks", json={"identifier": "w", "title": "W"})

    assert answer.status_code == 422
    assert "enabled" in answer.json()["message"]


def test_duplicate_webhook_identifier_is_409(api: httpx.Client) -> None:
    make_webhook(api)

    answer = api.post("/v1/webhooks", json={"identifier": "aws-events", "title": "again",
                                            "enabled": True})

    assert answer.status_code == 409


def test_patch_and_put_webhook_keep_the_key(api: httpx.Client) -> None:
    created = make_webhook(api, security=SECURITY)

    patched = api.patch("/v1/webhooks/aws-events", json={"enabled": False})
    put = api.put("/v1/webhooks/aws-events", json={"title": "Renamed", "enabled": True})

    assert patched.json()["integration"]["security"] == SECURITY
    assert patched.json()["integration"]["enabled"] is False
    webhook = put.json()["integration"]
    assert webhook["webhookKey"] == created["webhookKey"]
    assert (webhook["title"], webhook["mappings"], webhook["security"]) == ("Renamed", [], {})


def test_deleted_webhook_stops_ingesting(api: httpx.Client) -> None:
    webhook = make_webhook(api)

    deleted = api.delete("/v1/webhooks/aws-events")

    assert deleted.json() == {"ok": True}
    assert api.get("/v1/webhooks/aws-events").status_code == 404
    assert httpx.post(webhook["url"], json=ec2_event("i-1")).status_code == 404


def test_unknown_route_is_404(api: httpx.Client) -> None:
    answer = api.get("/v1/nothing-here")

    assert answer.status_code == 404 and answer.json()["error"] == "not_found"


# ---- ingest -----------------------------------------------------------------------------
def test_ingest_applies_create_filter_items_and_delete(catalog: httpx.Client,
                                                       emu: PortEmulator) -> None:
    url = make_webhook(catalog)["url"]
    resources = ["arn:aws:ec2:eu-west-1:123456789012:instance/i-1",
                 "arn:aws:iam::210987654321:role/x"]

    created = httpx.post(url, json=ec2_event("i-1", resources=resources))
    httpx.post(url, json=ec2_event("i-2"))
    httpx.post(url, json={**ec2_event("i-3"), "metadata": {"source": "aws.s3"}})

    assert created.status_code == 202 and created.json() == {"ok": True}
    instances = emu.entities["ec2Instance"]
    assert set(instances) == {"i-1", "i-2"}
    assert instances["i-1"]["properties"] == {"state": "running", "region": "eu-west-1"}
    assert instances["i-1"]["relations"] == {"account": "123456789012"}
    assert set(emu.entities["awsAccount"]) == {"210987654321"}

    httpx.post(url, json=ec2_event("i-1", "terminated"))

    assert set(emu.entities["ec2Instance"]) == {"i-2"}
    assert [(c.identifier, c.operation) for c in emu.changes if c.blueprint == "ec2Instance"] == [
        ("i-1", "create"), ("i-2", "create"), ("i-1", "delete")]


def test_ingest_merges_into_existing_entity(catalog: httpx.Client, emu: PortEmulator) -> None:
    catalog.post("/v1/blueprints/ec2Instance/entities?upsert=true",
                 json={"identifier": "i-1", "title": "kept", "properties": {"region": "x"}})
    mapping = {"blueprint": "ec2Instance", "entity": {
        "identifier": ".body.id", "properties": {"state": ".body.state"}}}
    url = make_webhook(catalog, mappings=[mapping])["url"]

    httpx.post(url, json={"id": "i-1", "state": "stopped"})

    entity = emu.entities["ec2Instance"]["i-1"]
    assert entity["title"] == "kept"
    assert entity["properties"] == {"region": "x", "state": "stopped"}


def test_ingest_delete_of_missing_entity_is_ignored(catalog: httpx.Client,
                                                    emu: PortEmulator) -> None:
    url = make_webhook(catalog)["url"]

    answer = httpx.post(url, json=ec2_event("i-9", "terminated"))

    assert answer.status_code == 202
    assert emu.ingest_log[-1].errors == [] and emu.changes == []


def test_ingest_records_entity_errors_without_failing_the_request(
    catalog: httpx.Client, emu: PortEmulator
) -> None:
    mapping = {"blueprint": "ec2Instance", "entity": {
        "identifier": ".body.id", "properties": {"color": '"red"'}}}
    url = make_webhook(catalog, mappings=[mapping])["url"]

    answer = httpx.post(url, json={"id": "i-1"})

    assert answer.status_code == 202
    assert "color" in emu.ingest_log[-1].errors[0]
    assert emu.entities["ec2Instance"] == {}


def test_ingest_unknown_key_is_404(emu: PortEmulator) -> None:
    answer = httpx.post(f"{emu.base_url}/NoSuchKey123", json={})

    assert answer.status_code == 404 and answer.json()["ok"] is False


def test_disabled_webhook_accepts_and_drops(catalog: httpx.Client, emu: PortEmulator) -> None:
    url = make_webhook(catalog, enabled=False)["url"]

    answer = httpx.post(url, json=ec2_event("i-1"))

    assert answer.status_code == 202
    assert emu.entities["ec2Instance"] == {}
    assert emu.ingest_log[-1].status == "dropped"


def test_ingest_over_512_kib_is_413(catalog: httpx.Client, emu: PortEmulator) -> None:
    url = make_webhook(catalog)["url"]
    big = ec2_event("i-1")
    big["padding"] = "x" * (512 * 1024)

    answer = httpx.post(url, json=big)

    assert answer.status_code == 413
    assert emu.entities["ec2Instance"] == {}


def test_signed_ingest_is_accepted(catalog: httpx.Client, emu: PortEmulator) -> None:
    url = make_webhook(catalog, security=SECURITY)["url"]
    raw, headers = signed(ec2_event("i-1"))

    answer = httpx.post(url, content=raw, headers=headers)

    assert answer.status_code == 202
    assert set(emu.entities["ec2Instance"]) == {"i-1"}


@pytest.mark.parametrize("headers", [
    {},  # no signature header
    {"x-port-aws-signature": "sha256=" + "0" * 64},
    {"x-port-aws-signature": hmac.new(b"s3cr3t", b"other", hashlib.sha256).hexdigest()},
])
def test_bad_signature_is_401_and_nothing_applied(catalog: httpx.Client, emu: PortEmulator,
                                                  headers: dict[str, str]) -> None:
    url = make_webhook(catalog, security=SECURITY)["url"]

    answer = httpx.post(url, content=json.dumps(ec2_event("i-1")).encode(), headers=headers)

    assert answer.status_code == 401
    assert answer.json()["ok"] is False and answer.json()["error"]
    assert emu.entities["ec2Instance"] == {} and emu.changes == []


def test_body_changed_after_signing_is_rejected(catalog: httpx.Client, emu: PortEmulator) -> None:
    url = make_webhook(catalog, security=SECURITY)["url"]
    _, headers = signed(ec2_event("i-1"))

    answer = httpx.post(url, content=json.dumps(ec2_event("i-2")).encode(), headers=headers)

    assert answer.status_code == 401
    assert emu.entities["ec2Instance"] == {}


@pytest.mark.parametrize(("algorithm", "prefix", "make"), [
    ("sha1", "", lambda raw: hmac.new(b"k", raw, hashlib.sha1).hexdigest()),
    ("sha256", "v1=", lambda raw: "v1=" + hmac.new(b"k", raw, hashlib.sha256).hexdigest()),
    ("plain", None, lambda raw: "k"),
])
def test_each_signature_algorithm(catalog: httpx.Client, emu: PortEmulator, algorithm: str,
                                  prefix: str | None, make: Any) -> None:
    security = {"secret": "k", "signatureHeaderName": "X-Sig", "signatureAlgorithm": algorithm,
                "signaturePrefix": prefix}
    url = make_webhook(catalog, security=security)["url"]
    raw = json.dumps(ec2_event("i-1")).encode()

    good = httpx.post(url, content=raw, headers={"X-Sig": make(raw)})
    bad = httpx.post(url, content=raw, headers={"X-Sig": make(raw)[:-1] + "?"})

    assert (good.status_code, bad.status_code) == (202, 401)


def test_request_identifier_path_applies_each_event_once(catalog: httpx.Client,
                                                         emu: PortEmulator) -> None:
    url = make_webhook(catalog, security=SECURITY)["url"]
    raw, headers = signed(ec2_event("i-1", event_id="evt-1"))

    answers = [httpx.post(url, content=raw, headers=headers) for _ in range(3)]
    raw2, headers2 = signed(ec2_event("i-1", "stopped", event_id="evt-2"))
    httpx.post(url, content=raw2, headers=headers2)

    assert [a.status_code for a in answers] == [202, 202, 202]
    assert [(c.request_id, c.identifier) for c in emu.changes] == [
        ("evt-1", "i-1"), ("evt-2", "i-1")]
    assert [r.status for r in emu.ingest_log] == ["applied", "duplicate", "duplicate", "applied"]
    assert emu.entities["ec2Instance"]["i-1"]["properties"]["state"] == "stopped"


def test_concurrent_duplicates_are_applied_once(catalog: httpx.Client, emu: PortEmulator) -> None:
    url = make_webhook(catalog, security=SECURITY)["url"]
    raw, headers = signed(ec2_event("i-1", event_id="same"))
    statuses: list[int] = []

    def send() -> None:
        statuses.append(httpx.post(url, content=raw, headers=headers).status_code)

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert statuses == [202] * 8
    assert len(emu.changes) == 1


# ---- switches and recording ---------------------------------------------------------------
def test_requests_are_recorded_without_query(catalog: httpx.Client, emu: PortEmulator) -> None:
    catalog.get("/v1/blueprints/nope?x=1")

    assert emu.requests[-1] == ("GET", "/v1/blueprints/nope", 404)
    assert ("PATCH", "/v1/blueprints/ec2Instance", 200) in emu.requests


def test_fail_next_returns_status_and_headers_then_recovers(api: httpx.Client,
                                                            emu: PortEmulator) -> None:
    emu.fail_next("POST", r"^/v1/blueprints$", 2, 429, headers={"Retry-After": "1"})

    first = api.post("/v1/blueprints", json=ACCOUNT)
    other_method = api.get("/v1/blueprints")
    second = api.post("/v1/blueprints", json=ACCOUNT)
    third = api.post("/v1/blueprints", json=ACCOUNT)

    assert (first.status_code, first.headers["retry-after"]) == (429, "1")
    assert other_method.status_code == 200
    assert second.status_code == 429
    assert third.status_code == 201
    assert [r.status for r in emu.requests if r.path == "/v1/blueprints"] == [429, 200, 429, 201]


def test_injected_failure_does_not_apply_the_request(api: httpx.Client, emu: PortEmulator) -> None:
    emu.fail_next("POST", "/v1/blueprints", 1, 503)

    assert api.post("/v1/blueprints", json=ACCOUNT).status_code == 503
    assert api.get("/v1/blueprints/awsAccount").status_code == 404


def test_set_latency_delays_matching_paths_only(api: httpx.Client, emu: PortEmulator) -> None:
    emu.set_latency(0.3, r"^/v1/blueprints")

    started = time.perf_counter()
    api.get("/v1/blueprints")
    slow = time.perf_counter() - started
    started = time.perf_counter()
    api.get("/v1/webhooks")
    fast = time.perf_counter() - started
    emu.set_latency(0, r"^/v1/blueprints")
    started = time.perf_counter()
    api.get("/v1/blueprints")
    cleared = time.perf_counter() - started

    assert slow >= 0.3
    assert fast < 0.2 and cleared < 0.2


def test_fail_ratio_fails_a_share_and_zero_turns_it_off(api: httpx.Client,
                                                        emu: PortEmulator) -> None:
    emu.fail_ratio(r"^/v1/webhooks$", 0.5, status=502, seed=7)

    statuses = [api.get("/v1/webhooks").status_code for _ in range(60)]
    emu.fail_ratio(r"^/v1/webhooks$", 0)
    after = [api.get("/v1/webhooks").status_code for _ in range(10)]

    assert set(statuses) == {200, 502}
    assert 15 <= statuses.count(502) <= 45
    assert after == [200] * 10
    assert api.get("/v1/blueprints").status_code == 200


def test_thousand_ingests_are_fast(catalog: httpx.Client, emu: PortEmulator) -> None:
    url = make_webhook(catalog)["url"]
    started = time.perf_counter()

    with httpx.Client() as client:
        for n in range(1000):
            client.post(url, json=ec2_event(f"i-{n}"))

    assert len(emu.entities["ec2Instance"]) == 1000
    assert time.perf_counter() - started < 20


# ---- command line ---------------------------------------------------------------------------
def test_module_runs_standalone_and_never_prints_the_secret() -> None:
    env = {**os.environ, "PORT_CLIENT_ID": "cli-id", "PORT_CLIENT_SECRET": "cli-secret-xyz"}
    process = subprocess.Popen(
        [sys.executable, "-m", "core.emulator", "--port", "0"], env=env,
        cwd=Path(__file__).resolve().parents[1], stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )
    try:
        assert process.stdout is not None
        base_url = process.stdout.readline().split()[4]
        token = httpx.post(f"{base_url}/v1/auth/access_token",
                           json={"clientId": "cli-id", "clientSecret": "cli-secret-xyz"})
        assert token.status_code == 200
    finally:
        process.terminate()
        out, err = process.communicate(timeout=10)
    assert "cli-secret-xyz" not in out + err
    assert "POST /v1/auth/access_token 200" in err
