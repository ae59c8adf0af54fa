"""The jq mapping engine applies webhook mappings the way Port's ingest does."""

from __future__ import annotations

from core.port.mapping_engine import (
    MAX_ITEMS_TO_PARSE,
    EntityAction,
    _compile,
    _compile_batch,
    evaluate_webhook_mappings,
)

EC2_EVENT = {
    "metadata": {
        "source": "aws.ec2",
        "detailType": "EC2 Instance State-change Notification",
        "account": "123456789012",
        "region": "us-east-1",
        "eventId": "evt-1",
    },
    "event": {"detail": {"instance-id": "i-0abc", "state": "running"}},
}

EC2_MAPPING = {
    "blueprint": "ec2Instance",
    "filter": '.body.metadata.source == "aws.ec2"',
    "entity": {
        "identifier": ".body.event.detail[\"instance-id\"]",
        "title": '.body.event.detail["instance-id"] + " (" + .body.metadata.region + ")"',
        "icon": '"EC2"',
        "team": '["platform"]',
        "properties": {
            "state": ".body.event.detail.state",
            "region": ".body.metadata.region",
            "missing": ".body.event.detail.nothingHere",
        },
        "relations": {"account": ".body.metadata.account"},
    },
}


def test_create_mapping_builds_the_entity_from_the_body() -> None:
    outcome = evaluate_webhook_mappings([EC2_MAPPING], EC2_EVENT)

    assert outcome.rejections == []
    assert outcome.actions == [
        EntityAction(
            blueprint="ec2Instance",
            operation="create",
            identifier="i-0abc",
            title="i-0abc (us-east-1)",
            icon="EC2",
            team=["platform"],
            properties={"state": "running", "region": "us-east-1", "missing": None},
            relations={"account": "123456789012"},
            mapping_index=0,
        )
    ]


def test_filter_rejection_names_mapping_blueprint_and_filter() -> None:
    s3_event = {**EC2_EVENT, "metadata": {**EC2_EVENT["metadata"], "source": "aws.s3"}}

    outcome = evaluate_webhook_mappings([EC2_MAPPING], s3_event)

    assert outcome.actions == []
    [rejection] = outcome.rejections
    assert rejection.mapping_index == 0
    assert rejection.blueprint == "ec2Instance"
    assert EC2_MAPPING["filter"] in rejection.reason


def test_only_matching_mappings_produce_actions() -> None:
    other = {**EC2_MAPPING, "blueprint": "s3Bucket", "filter": '.body.metadata.source == "aws.s3"'}

    outcome = evaluate_webhook_mappings([other, EC2_MAPPING], EC2_EVENT)

    assert [a.mapping_index for a in outcome.actions] == [1]
    assert [(r.mapping_index, r.blueprint) for r in outcome.rejections] == [(0, "s3Bucket")]


def test_missing_filter_means_true() -> None:
    mapping = {"blueprint": "b", "entity": {"identifier": '"x"'}}

    outcome = evaluate_webhook_mappings([mapping], {})

    assert [(a.identifier, a.operation) for a in outcome.actions] == [("x", "create")]


def test_headers_are_lower_cased_and_query_params_exposed() -> None:
    mapping = {
        "blueprint": "b",
        "filter": '.headers["x-github-event"] == "push"',
        "entity": {"identifier": ".queryParams.id", "properties": {"ua": '.headers["user-agent"]'}},
    }

    outcome = evaluate_webhook_mappings(
        [mapping], {}, headers={"X-GitHub-Event": "push", "User-Agent": "ua/1"},
        query_params={"id": "q-1"},
    )

    assert [(a.identifier, a.properties) for a in outcome.actions] == [("q-1", {"ua": "ua/1"})]


def test_items_to_parse_creates_one_entity_per_item_and_filters_per_item() -> None:
    mapping = {
        "blueprint": "tag",
        "itemsToParse": ".body.tags",
        "filter": ".item.keep",
        "entity": {"identifier": ".item.name", "properties": {"src": ".body.source"}},
    }
    body = {"source": "aws.ec2", "tags": [
        {"name": "a", "keep": True}, {"name": "b", "keep": False}, {"name": "c", "keep": True},
    ]}

    outcome = evaluate_webhook_mappings([mapping], body)

    assert [(a.identifier, a.properties["src"]) for a in outcome.actions] == [
        ("a", "aws.ec2"), ("c", "aws.ec2")]
    assert len(outcome.rejections) == 1


def test_item_mappings_that_do_not_read_the_body_give_the_same_entities() -> None:
    body = {"source": "sync", "items": [{"id": f"r-{n}", "pad": "x" * 1000} for n in range(500)]}
    item_only = {"blueprint": "r", "itemsToParse": ".body.items",
                 "entity": {"identifier": ".item.id", "properties": {"size": ".item.pad | length"}}}
    with_body = {**item_only, "entity": {**item_only["entity"], "title": ".body.source"}}

    only, both = (evaluate_webhook_mappings([m], body).actions for m in (item_only, with_body))

    assert [(a.identifier, a.properties) for a in only] == [
        (a.identifier, a.properties) for a in both] == [(f"r-{n}", {"size": 1000}) for n in range(500)]
    assert {a.title for a in both} == {"sync"}


def test_items_to_parse_that_is_not_an_array_is_rejected() -> None:
    mapping = {"blueprint": "tag", "itemsToParse": ".body.tags", "entity": {"identifier": ".item"}}

    outcome = evaluate_webhook_mappings([mapping], {"tags": "nope"})

    assert outcome.actions == []
    assert "expected array" in outcome.rejections[0].reason


def test_items_to_parse_is_capped_at_port_limit() -> None:
    mapping = {"blueprint": "n", "itemsToParse": ".body", "entity": {"identifier": ".item"}}

    outcome = evaluate_webhook_mappings([mapping], [str(i) for i in range(MAX_ITEMS_TO_PARSE + 3)])

    assert len(outcome.actions) == MAX_ITEMS_TO_PARSE
    assert "503 items" in outcome.rejections[0].reason


def test_delete_operations_in_every_spec_form() -> None:
    entity = {"identifier": ".body.id", "properties": {"ignored": ".body.x"}}
    mappings = [
        {"blueprint": "b", "operation": "delete", "entity": entity},
        {"blueprint": "b", "operation": {"type": "delete"}, "entity": entity},
        {"blueprint": "b", "operation": {"type": "delete", "deleteDependents": True},
         "entity": entity},
        {"blueprint": "b", "operation": {"type": "create"}, "entity": entity},
    ]

    outcome = evaluate_webhook_mappings(mappings, {"id": "e1", "x": 1})

    assert [(a.operation, a.delete_dependents) for a in outcome.actions] == [
        ("delete", False), ("delete", False), ("delete", True), ("create", False)]
    assert outcome.actions[0].properties == {}
    assert outcome.actions[3].properties == {"ignored": 1}


def test_unknown_operation_is_rejected() -> None:
    mapping = {"blueprint": "b", "operation": "upsert", "entity": {"identifier": '"x"'}}

    outcome = evaluate_webhook_mappings([mapping], {})

    assert outcome.actions == []
    assert "upsert" in outcome.rejections[0].reason


def test_jq_runtime_error_becomes_a_rejection_with_the_jq_message() -> None:
    mapping = {"blueprint": "b", "entity": {"identifier": '"x"', "properties": {"p": ".body.a.b"}}}

    outcome = evaluate_webhook_mappings([mapping], {"a": 5})

    assert outcome.actions == []
    [rejection] = outcome.rejections
    assert "property p" in rejection.reason and "Cannot index number" in rejection.reason


def test_jq_syntax_error_becomes_a_rejection() -> None:
    mapping = {"blueprint": "b", "filter": ".body[", "entity": {"identifier": '"x"'}}

    outcome = evaluate_webhook_mappings([mapping], {})

    assert outcome.actions == []
    assert "syntax error" in outcome.rejections[0].reason


def test_identifier_must_be_a_non_empty_string() -> None:
    mappings = [
        {"blueprint": "b", "entity": {"identifier": ".body.missing"}},
        {"blueprint": "b", "entity": {"identifier": '""'}},
        {"blueprint": "b", "entity": {"identifier": ".body.n"}},
        {"blueprint": "b", "entity": {"identifier": {"combinator": "and", "rules": []}}},
    ]

    outcome = evaluate_webhook_mappings(mappings, {"n": 7})

    assert outcome.actions == []
    assert [r.mapping_index for r in outcome.rejections] == [0, 1, 2, 3]
    assert "null" in outcome.rejections[0].reason
    assert "expected a jq string" in outcome.rejections[3].reason


def test_mapping_without_blueprint_is_rejected() -> None:
    outcome = evaluate_webhook_mappings([{"entity": {"identifier": '"x"'}}], {})

    assert outcome.actions == []
    assert outcome.rejections[0].blueprint is None


def test_a_thousand_events_each_get_their_own_entity() -> None:
    events = [
        {**EC2_EVENT, "event": {"detail": {"instance-id": f"i-{n}", "state": "running"}}}
        for n in range(1000)
    ]

    identifiers = [
        evaluate_webhook_mappings([EC2_MAPPING], e).actions[0].identifier for e in events
    ]

    assert identifiers == [f"i-{n}" for n in range(1000)]


def test_one_broken_mapping_does_not_stop_the_others() -> None:
    good = {"blueprint": "b", "entity": {"identifier": '"ok"'}}
    mappings = [
        {"blueprint": "b", "filter": ".body[", "entity": {"identifier": '"x"'}},
        {"blueprint": "b", "filter": 'error("boom")', "entity": {"identifier": '"y"'}},
        good,
    ]

    outcome = evaluate_webhook_mappings(mappings, {})

    assert [(a.mapping_index, a.identifier) for a in outcome.actions] == [(2, "ok")]
    assert [r.mapping_index for r in outcome.rejections] == [0, 1]
    assert "boom" in outcome.rejections[1].reason


def test_jq_comments_and_multiple_outputs_are_handled() -> None:
    mapping = {"blueprint": "b", "filter": "true # every event",
               "entity": {"identifier": ".body.ids[] # first one wins",
                          "properties": {"none": "empty"}}}

    outcome = evaluate_webhook_mappings([mapping], {"ids": ["a", "b"]})

    assert [(a.identifier, a.properties) for a in outcome.actions] == [("a", {"none": None})]


def test_items_with_errors_reject_only_those_items() -> None:
    mapping = {"blueprint": "b", "itemsToParse": ".body",
               "entity": {"identifier": ".item.id", "properties": {"n": ".item.n + 1"}}}

    outcome = evaluate_webhook_mappings([mapping], [{"id": "a", "n": 1}, {"id": "b", "n": "x"}])

    assert [(a.identifier, a.properties) for a in outcome.actions] == [("a", {"n": 2})]
    assert "property n" in outcome.rejections[0].reason


def test_programs_are_compiled_once_not_per_event() -> None:
    """Compiling jq dominates the cost (bench/mapping_engine.py has the figures)."""
    others = [{**EC2_MAPPING, "blueprint": f"bp{n}",
               "filter": f'.body.metadata.source == "aws.svc{n}"'} for n in range(40)]
    mappings = [*others, EC2_MAPPING]
    events = [
        {**EC2_EVENT, "event": {"detail": {"instance-id": f"i-{n}", "state": "running",
                                           "tags": [{"Key": f"k{t}", "Value": "v" * 40}
                                                    for t in range(60)]}}}
        for n in range(1000)
    ]
    _compile.cache_clear()
    _compile_batch.cache_clear()

    outcomes = [evaluate_webhook_mappings(mappings, e) for e in events]

    assert {len(o.actions) for o in outcomes} == {1}
    assert _compile_batch.cache_info().misses <= 2  # the filters batch, then one per matching mapping
    assert _compile.cache_info().misses <= 5
