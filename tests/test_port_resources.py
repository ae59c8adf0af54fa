"""Schema checks on `.port/resources`: blueprints, the app config and the derived webhook."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jq
import pytest

from core.lambda_code.forwarder import build_body
from core.port.mapping_engine import evaluate_webhook_mappings
from core.port.resources import (
    WEBHOOK_REQUEST_IDENTIFIER_PATH,
    load_app_config,
    load_blueprints,
    webhook_mappings,
)

EVENTS_DIR = Path(__file__).parent / "events"
RESOURCE_BLUEPRINTS = ("s3Bucket", "ec2Instance", "ecsCluster", "rdsDbInstance",
                       "lambdaFunction", "sqsQueue", "eksCluster")
# Identifiers as Port's AWS (aws-v3) integration builds them.
IDENTIFIER_FORMS = {
    "awsAccount": r"^\d{12}$",
    "ec2Instance": r"^i-[0-9a-f]+$",
    "s3Bucket": r"^arn:aws:s3:::[a-z0-9.-]+$",
    "sqsQueue": r"^arn:aws:sqs:[a-z0-9-]+:\d{12}:[A-Za-z0-9_.-]+$",
    "lambdaFunction": r"^arn:aws:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]+$",
    "rdsDbInstance": r"^arn:aws:rds:[a-z0-9-]+:\d{12}:db:[a-z0-9-]+$",
    "ecsCluster": r"^arn:aws:ecs:[a-z0-9-]+:\d{12}:cluster/[A-Za-z0-9_-]+$",
    "eksCluster": r"^arn:aws:eks:[a-z0-9-]+:\d{12}:cluster/[A-Za-z0-9_-]+$",
}


def _blueprints() -> dict[str, dict[str, Any]]:
    return {b["identifier"]: b for b in load_blueprints()}


def _is_event_mapping(mapping: dict[str, Any]) -> bool:
    """Mappings for EventBridge events, as opposed to pre-formatted entity payloads."""
    return ".body.event == null" not in mapping["filter"]


def _corpus_bodies() -> list[tuple[str, Any]]:
    bodies = []
    for path in sorted(EVENTS_DIR.glob("*.json")):
        case = json.loads(path.read_text(encoding="utf-8"))
        payload = case["event"] if "event" in case else case["body"]
        record = {"messageId": "m", "body": json.dumps(payload),
                  "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:q"}
        bodies.append((path.stem, json.loads(build_body(record)[0])))
    return bodies


def test_ships_the_eight_blueprints_each_tied_to_the_account() -> None:
    blueprints = _blueprints()
    assert set(blueprints) == {"awsAccount", *RESOURCE_BLUEPRINTS}
    assert [b["identifier"] for b in load_blueprints()][0] == "awsAccount"  # target first
    for name in RESOURCE_BLUEPRINTS:
        blueprint = blueprints[name]
        assert blueprint["relations"]["account"]["target"] == "awsAccount"
        assert {"arn", "region"} <= set(blueprint["schema"]["properties"]), name


def test_every_mapped_property_and_relation_exists_in_its_blueprint() -> None:
    blueprints = _blueprints()
    for mapping in webhook_mappings():
        assert mapping["blueprint"] in blueprints, mapping["blueprint"]
        blueprint = blueprints[mapping["blueprint"]]
        entity = mapping["entity"]
        unknown = set(entity.get("properties", {})) - set(blueprint["schema"]["properties"])
        assert not unknown, f"{mapping['blueprint']}: unmapped properties {unknown}"
        for relation in entity.get("relations", {}):
            assert relation in blueprint["relations"], (mapping["blueprint"], relation)
            assert blueprint["relations"][relation]["target"] in blueprints


def test_every_blueprint_property_is_written_by_an_event_mapping() -> None:
    written: dict[str, set[str]] = {}
    for mapping in filter(_is_event_mapping, webhook_mappings()):
        written.setdefault(mapping["blueprint"], set()).update(
            mapping["entity"].get("properties", {}))
    for name, blueprint in _blueprints().items():
        missing = set(blueprint["schema"]["properties"]) - written.get(name, set())
        assert not missing, f"{name}: no AWS event writes {missing}"


def test_entity_payload_mappings_cover_each_blueprint_entirely() -> None:
    payload_mappings = {m["blueprint"]: m for m in webhook_mappings()
                        if not _is_event_mapping(m)}
    for name, blueprint in _blueprints().items():
        entity = payload_mappings[name]["entity"]
        assert set(entity["properties"]) == set(blueprint["schema"]["properties"]), name
        assert set(entity["relations"]) == set(blueprint["relations"]), name


def test_webhook_mappings_follow_ports_schema() -> None:
    for mapping in webhook_mappings():
        assert isinstance(mapping["blueprint"], str) and not mapping["blueprint"].startswith('"')
        assert mapping["operation"] in ("create", "delete")
        assert isinstance(mapping["filter"], str)
        jq.compile(mapping["filter"])
        if mapping["operation"] == "delete":  # Port allows only an identifier here
            assert set(mapping["entity"]) == {"identifier"}
        for program in [mapping["entity"]["identifier"],
                        *mapping["entity"].get("properties", {}).values(),
                        *mapping["entity"].get("relations", {}).values()]:
            jq.compile(program)


def test_every_source_has_a_deleting_mapping() -> None:
    deleting = {m["blueprint"] for m in webhook_mappings()
                if m["operation"] == "delete" and _is_event_mapping(m)}
    assert deleting == set(RESOURCE_BLUEPRINTS)


def test_app_config_is_the_integration_config_body() -> None:
    config = load_app_config()
    assert {"deleteDependentEntities", "createMissingRelatedEntities",
            "enableMergeEntity"} <= set(config)
    assert len(config["resources"]) == len(webhook_mappings())
    json.dumps(config)  # sent as JSON on the integration as it is
    for resource in config["resources"]:
        assert {"kind", "selector", "port"} <= set(resource)
        json.loads(resource["port"]["entity"]["mappings"]["blueprint"])  # a jq literal


def test_webhook_mappings_derive_from_a_given_config() -> None:
    config = {"resources": [
        {"kind": "gone", "operation": "delete", "selector": {"query": ".body.gone"},
         "port": {"entity": {"mappings": {"identifier": ".body.id", "title": ".body.t",
                                          "blueprint": '"s3Bucket"'}}}},
        {"kind": "seen", "selector": {"query": "true"}, "port": {
            "itemsToParse": ".body.items",
            "entity": {"mappings": {"identifier": ".item.id", "blueprint": '"s3Bucket"',
                                    "properties": {"arn": ".item.arn"}}}}},
    ]}
    gone, seen = webhook_mappings(config)
    assert gone == {"blueprint": "s3Bucket", "operation": "delete", "filter": ".body.gone",
                    "entity": {"identifier": ".body.id"}}
    assert seen["itemsToParse"] == ".body.items"
    assert seen["entity"] == {"identifier": ".item.id", "properties": {"arn": ".item.arn"},
                              "relations": {}}


@pytest.mark.parametrize("change, message", [
    ({"blueprint": "s3Bucket"}, "jq string literal"),
    ({"blueprint": ".body.blueprint"}, "jq string literal"),
    ({"operation": "upsert"}, "operation"),
])
def test_webhook_mappings_reject_what_a_webhook_cannot_express(
        change: dict[str, str], message: str) -> None:
    mappings: dict[str, Any] = {"identifier": ".body.id", "blueprint": '"s3Bucket"'}
    resource: dict[str, Any] = {"kind": "k", "port": {"entity": {"mappings": mappings}}}
    if "operation" in change:
        resource["operation"] = change["operation"]
    else:
        mappings["blueprint"] = change["blueprint"]
    with pytest.raises(ValueError, match=message):
        webhook_mappings({"resources": [resource]})


def test_request_identifier_path_reads_the_eventbridge_id() -> None:
    for _name, body in _corpus_bodies():
        if "event" in body:
            context = {"body": body, "headers": {}, "queryParams": {}}
            found = jq.compile(WEBHOOK_REQUEST_IDENTIFIER_PATH).input_value(context).first()
            assert found == body["event"]["id"]


def test_identifiers_match_the_aws_v3_integration() -> None:
    seen: set[str] = set()
    for name, body in _corpus_bodies():
        for action in evaluate_webhook_mappings(webhook_mappings(), body).actions:
            assert re.match(IDENTIFIER_FORMS[action.blueprint], action.identifier), (
                name, action.identifier)
            seen.add(action.blueprint)
    assert seen == set(IDENTIFIER_FORMS)


def test_account_is_upserted_exactly_when_another_event_mapping_acts() -> None:
    mappings = webhook_mappings()
    for name, body in _corpus_bodies():
        if "event" not in body:
            continue
        actions = evaluate_webhook_mappings(mappings, body).actions
        account = [a for a in actions if a.blueprint == "awsAccount"]
        others = [a for a in actions if a.blueprint != "awsAccount"]
        assert len(account) == (1 if others else 0), name


def test_corpus_covers_every_documented_event() -> None:
    detail_types: set[str] = set()
    calls: dict[str, set[str]] = {}
    for path in EVENTS_DIR.glob("*.json"):
        case = json.loads(path.read_text(encoding="utf-8"))
        event = case.get("event")
        if event is None:
            continue
        detail_types.add(event["detail-type"])
        if event["detail-type"] == "AWS API Call via CloudTrail":
            outcome = "failed" if "errorCode" in event["detail"] else "ok"
            calls.setdefault(event["detail"]["eventName"], set()).add(outcome)
    assert {"EC2 Instance State-change Notification", "RDS DB Instance Event",
            "ECS Task State Change", "ECS Container Instance State Change",
            "AWS API Call via CloudTrail"} <= detail_types
    for call in ("CreateBucket", "DeleteBucket", "PutBucketTagging", "PutBucketVersioning",
                 "CreateFunction20150331", "UpdateFunctionConfiguration20150331v2",
                 "DeleteFunction20150331", "TagResource20170331v2", "CreateQueue", "DeleteQueue",
                 "SetQueueAttributes", "TagQueue", "CreateDBInstance", "DeleteDBInstance",
                 "ModifyDBInstance", "AddTagsToResource", "CreateCluster", "DeleteCluster",
                 "UpdateClusterSettings", "UpdateClusterConfig", "TagResource"):
        assert "ok" in calls.get(call, set()), call
    failed = {name for name, outcomes in calls.items() if "failed" in outcomes}
    assert {"CreateBucket", "DeleteBucket", "CreateFunction20150331", "DeleteQueue",
            "DeleteDBInstance", "CreateCluster"} <= failed
