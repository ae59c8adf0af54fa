"""What leaves the account: resource documents carry what the blueprints use, no secrets.

A Lambda function keeps credentials in its environment (moto); `sync` and an enriched event
about it reach the Port emulator, which keeps every payload it ingests as Port does. Neither
the payloads nor the forwarder's log lines may hold a value of that environment.
"""

from __future__ import annotations

import io
import re
import uuid
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
import yaml

from core.lambda_code import describers
from core.port.resources import load_app_config
from tests.support.sync_world import World, cloudtrail, deliver

DB_PASSWORD = "db-password-" + uuid.uuid4().hex
API_TOKEN = "api-token-" + uuid.uuid4().hex


def function_with_secrets(client: Callable[..., Any], region: str) -> str:
    """A function whose environment holds a database password and an API token; its ARN."""
    tag = uuid.uuid4().hex[:6]
    role = client("iam").create_role(RoleName=f"min-{tag}", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return None\n")
    return client("lambda", region).create_function(
        FunctionName=f"orders-{tag}", Runtime="python3.12", Role=role, Handler="index.handler",
        Code={"ZipFile": code.getvalue()}, Tags={"team": "shop"},
        Environment={"Variables": {"DB_PASSWORD": DB_PASSWORD, "API_TOKEN": API_TOKEN}},
    )["FunctionArn"]


def test_function_secrets_reach_neither_port_nor_the_forwarders_logs(
        lambda_env: World, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    estate = lambda_env
    region = "eu-central-1"
    arn = function_with_secrets(estate.client, region)
    name = arn.rsplit(":", 1)[-1]

    result = estate.sync(region, sources=["aws.lambda"])
    updated = cloudtrail("lambda", "UpdateFunctionConfiguration20150331v2", region,
                         {"functionName": name})
    assert deliver(updated, region) == {"batchItemFailures": []}

    assert result.errors == [] and result.counts["AWS::Lambda::Function"] >= 1
    entity = estate.entity("lambdaFunction", arn)
    assert entity is not None and entity["properties"]["tags"] == {"team": "shop"}
    payloads = [record.body for record in estate.emulator.ingest_log]
    enriched = [body for body in payloads if b'"resource"' in body and name.encode() in body]
    assert len(enriched) >= 2  # the sync batch and the enriched event both described it
    logs = capsys.readouterr()
    for secret in (DB_PASSWORD, API_TOKEN):
        assert not any(secret.encode() in body for body in payloads)
        assert secret not in logs.out and secret not in logs.err
    assert b"Environment" not in b"".join(enriched)


def test_every_property_the_mappings_read_is_kept_in_the_documents() -> None:
    """A field a mapping reads but the describer drops would leave the property empty in Port."""
    for resource in load_app_config()["resources"]:
        query = resource["selector"]["query"]
        kind = re.search(r'resource\.Type == "([^"]+)"', query + (resource["port"].get(
            "itemsToParse") or ""))
        if kind is None:
            continue
        text = yaml.safe_dump(resource["port"]["entity"]["mappings"])
        read = set(re.findall(r"resource\.Properties\.(\w+)", text))
        assert read <= set(describers.KINDS[kind.group(1)].keep), (kind.group(1), read)


def test_a_lambda_document_keeps_no_environment_or_code_location() -> None:
    answer = {"FunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:f",
              "FunctionName": "f", "Runtime": "python3.12",
              "Environment": {"Variables": {"DB_PASSWORD": DB_PASSWORD}},
              "ImageConfigResponse": {"ImageConfig": {"Command": ["--token", API_TOKEN]}},
              "Code": {"Location": "https://awslambda.s3.amazonaws.com/presigned"}}
    properties = describers.document("AWS::Lambda::Function", answer)["Properties"]
    assert properties == {"FunctionArn": answer["FunctionArn"], "FunctionName": "f",
                          "Runtime": "python3.12"}
