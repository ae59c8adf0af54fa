"""`port-aws-wizard sync` and enriched events, on moto and the Port emulator (real HTTP).

Resources are created in moto before anything is sent; Port is set up as the install does
(core.port.setup: blueprints, integration, signed webhook). Each test uses a region of
its own: moto's state lives for the whole session.
"""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest

from core.lambda_code import forwarder
from core.lambda_code.ingest_batches import MAX_BATCH_ITEMS, batches
from core.operations.sync import SyncProgress
from core.port.resources import load_blueprints
from tests.support.sync_world import ACCOUNT, World, cloudtrail, deliver
from wizard.cli.sync import main

BLUEPRINTS = {b["identifier"]: b for b in load_blueprints()}
EVENT_ONLY = {"lastAwsEvent", "lastAwsEventTime"}  # written by events, never by documents


@dataclass
class Estate:
    """What a test created in moto, by blueprint: the Port identifier of each resource."""

    region: str
    instance_id: str
    ids: dict[str, str]


def create_estate(client: Callable[..., Any], region: str) -> Estate:
    """One resource of every kind, with tags and non-default settings, in the region."""
    tag = uuid.uuid4().hex[:6]
    ec2 = client("ec2", region)
    image = ec2.describe_images()["Images"][0]["ImageId"]
    instance = ec2.run_instances(
        ImageId=image, MinCount=1, MaxCount=1, InstanceType="t3.micro",
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "web"}]}],
    )["Instances"][0]["InstanceId"]
    bucket = f"sync-{tag}"
    s3 = client("s3", region)
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": "team", "Value": "data"}]})
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    queue_url = client("sqs", region).create_queue(
        QueueName=f"orders-{tag}", Attributes={"VisibilityTimeout": "45"}, tags={"team": "shop"})["QueueUrl"]
    role = client("iam").create_role(RoleName=f"role-{tag}", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return None\n")
    function = client("lambda", region).create_function(
        FunctionName=f"fn-{tag}", Runtime="python3.12", Role=role, Handler="index.handler",
        Code={"ZipFile": code.getvalue()}, MemorySize=256, Tags={"team": "shop"})["FunctionArn"]
    database = client("rds", region).create_db_instance(
        DBInstanceIdentifier=f"db-{tag}", DBInstanceClass="db.t3.micro", Engine="postgres",
        AllocatedStorage=20, MasterUsername="admin", MasterUserPassword="password123",
        Tags=[{"Key": "env", "Value": "prod"}])["DBInstance"]["DBInstanceArn"]
    ecs = client("ecs", region).create_cluster(
        clusterName=f"ecs-{tag}", tags=[{"key": "team", "value": "ops"}])["cluster"]["clusterArn"]
    eks = client("eks", region).create_cluster(
        name=f"eks-{tag}", roleArn=role, resourcesVpcConfig={}, tags={"team": "ops"})["cluster"]["arn"]
    return Estate(region, instance, {
        "ec2Instance": instance, "s3Bucket": f"arn:aws:s3:::{bucket}",
        "sqsQueue": f"arn:aws:sqs:{region}:{ACCOUNT}:orders-{tag}", "lambdaFunction": function,
        "rdsDbInstance": database, "ecsCluster": ecs, "eksCluster": eks, "queueUrl": queue_url,
    })


_JSON_TYPES = {"string": str, "number": (int, float), "boolean": bool, "array": list,
               "object": dict}


def check_value(blueprint: str, name: str, schema: dict[str, Any], value: Any) -> None:
    """The value has its property's type and format (moto's queue URLs are plain http)."""
    where = f"{blueprint}.{name} = {value!r}"
    if value is None:
        return
    assert isinstance(value, _JSON_TYPES[schema["type"]]), where
    assert value in schema.get("enum", [value]), where
    if schema.get("format") == "date-time":
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    if schema.get("format") == "url":
        assert value.startswith(("https://", "http://127.0.0.1")), where


def described(entity: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in entity["properties"].items() if k not in EVENT_ONLY}


# ---- sync ------------------------------------------------------------------------------
def test_sync_fills_every_blueprint_property_of_resources_created_before_the_install(
        world: World) -> None:
    estate = create_estate(world.client, "ca-central-1")
    events: list[SyncProgress] = []

    result = world.sync(estate.region, progress=events.append)

    assert result.errors == []
    for blueprint in ("ec2Instance", "s3Bucket", "sqsQueue", "lambdaFunction", "rdsDbInstance",
                      "ecsCluster", "eksCluster"):
        entity = world.entity(blueprint, estate.ids[blueprint])
        assert entity is not None, blueprint
        schema = BLUEPRINTS[blueprint]["schema"]["properties"]
        assert set(schema) - set(entity["properties"]) == EVENT_ONLY, blueprint
        for name, value in entity["properties"].items():
            check_value(blueprint, name, schema[name], value)
        assert entity["relations"] == {"account": ACCOUNT}
        assert entity["properties"]["region"] == estate.region
    instance = world.entity("ec2Instance", estate.instance_id)["properties"]
    assert instance["state"] == "running" and instance["instanceType"] == "t3.micro"
    assert instance["tags"] == [{"Key": "Name", "Value": "web"}]
    assert instance["arn"] == f"arn:aws:ec2:{estate.region}:{ACCOUNT}:instance/{estate.instance_id}"
    bucket = world.entity("s3Bucket", estate.ids["s3Bucket"])["properties"]
    assert bucket["versioningStatus"] == "Enabled"
    assert bucket["tags"] == [{"Key": "team", "Value": "data"}]
    queue = world.entity("sqsQueue", estate.ids["sqsQueue"])["properties"]
    assert (queue["visibilityTimeout"], queue["fifoQueue"], queue["tags"]) == (45, False, {"team": "shop"})
    assert world.entity("lambdaFunction", estate.ids["lambdaFunction"])["properties"]["memorySize"] == 256
    assert world.entity("rdsDbInstance", estate.ids["rdsDbInstance"])["properties"]["engine"] == "postgres"
    assert world.entity("ecsCluster", estate.ids["ecsCluster"])["properties"]["tags"] == [
        {"key": "team", "value": "ops"}]
    assert world.entity("eksCluster", estate.ids["eksCluster"])["properties"]["status"] == "ACTIVE"
    assert world.entity("awsAccount", ACCOUNT) is not None
    assert result.counts["AWS::EC2::Instance"] == 1 and result.total == 8
    assert events[-1].units_done == events[-1].units_total == 8 and events[-1].sent == 8
    assert result.ingest_requests == 8  # one batch per kind here


def test_sync_prune_deletes_only_what_aws_no_longer_has_in_this_account_and_region(
        world: World) -> None:
    estate = create_estate(world.client, "sa-east-1")
    other = create_estate(world.client, "eu-north-1")
    world.sync(estate.region)
    world.sync(other.region)
    world.port.upsert_entity("ec2Instance", {"identifier": "i-0another0account", "properties": {
        "region": estate.region}, "relations": {"account": "210987654321"}})
    world.client("ec2", estate.region).terminate_instances(InstanceIds=[estate.instance_id])
    world.client("sqs", estate.region).delete_queue(QueueUrl=estate.ids["queueUrl"])

    plain = world.sync(estate.region)
    assert world.entity("ec2Instance", estate.instance_id) is not None  # no --prune: kept
    assert plain.pruned == {}

    pruned = world.sync(estate.region, prune=True)

    assert pruned.pruned == {"ec2Instance": 1, "sqsQueue": 1}
    assert world.entity("ec2Instance", estate.instance_id) is None
    assert world.entity("sqsQueue", estate.ids["sqsQueue"]) is None
    assert world.entity("s3Bucket", estate.ids["s3Bucket"]) is not None
    assert world.entity("ec2Instance", other.instance_id) is not None  # another region
    assert world.entity("ec2Instance", "i-0another0account") is not None  # another account


def test_sync_command_prints_counts_and_reads_the_webhook_from_port(
        world: World, port_env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    estate = create_estate(world.client, "ap-northeast-2")
    environ = {**port_env, "AWS_ENDPOINT_URL": world.aws_endpoint}

    code = main(["--regions", estate.region, "--event-sources", "aws.ec2,aws.s3"], environ=environ)

    out = capsys.readouterr()
    assert code == 0, out.err
    assert "Synced 3 resource(s) in 1 region(s) (ap-northeast-2)" in out.out
    assert "AWS::EC2::Instance" in out.out and "AWS::Lambda::Function" not in out.out
    assert world.entity("ec2Instance", estate.instance_id) is not None
    assert world.entity("lambdaFunction", estate.ids["lambdaFunction"]) is None


def test_batches_stay_within_ports_ingest_limits() -> None:
    items = [b"x" * 1000] * 1200 + [b"y" * 300_000] * 3
    groups = list(batches(items, max_bytes=500_000))
    assert [len(item) for group in groups for item in group] == [len(i) for i in items]
    assert all(len(group) <= MAX_BATCH_ITEMS for group in groups)
    assert all(sum(len(i) + 1 for i in group) <= 500_000 for group in groups)


# ---- enriched events (the Lambda's handler in-process, its boto3 on moto) --------------
def ec2_state(instance_id: str, state: str, region: str) -> dict[str, Any]:
    return {"version": "0", "id": uuid.uuid4().hex, "source": "aws.ec2", "account": ACCOUNT,
            "detail-type": "EC2 Instance State-change Notification", "region": region,
            "time": "2026-11-25T00:00:00Z", "resources": [], "detail": {
                "instance-id": instance_id, "state": state}}


def test_an_enriched_event_fills_the_same_properties_as_the_sync(
        lambda_env: World, capsys: pytest.CaptureFixture[str]) -> None:
    world = lambda_env
    estate = create_estate(world.client, "ap-south-1")
    world.sync(estate.region)
    synced = {b: described(world.entity(b, estate.ids[b])) for b in ("ec2Instance", "s3Bucket")}
    world.port.delete_entity("ec2Instance", estate.instance_id)
    world.port.delete_entity("s3Bucket", estate.ids["s3Bucket"])

    bucket = estate.ids["s3Bucket"].rsplit(":", 1)[-1]
    assert deliver(ec2_state(estate.instance_id, "running", estate.region), estate.region) == {
        "batchItemFailures": []}
    assert deliver(cloudtrail("s3", "PutBucketEncryption", estate.region, {"bucketName": bucket}),
                   estate.region) == {"batchItemFailures": []}

    instance = world.entity("ec2Instance", estate.instance_id)
    assert described(instance) == synced["ec2Instance"]
    assert instance["properties"]["lastAwsEvent"] == "EC2 Instance State-change Notification"
    assert described(world.entity("s3Bucket", estate.ids["s3Bucket"])) == synced["s3Bucket"]
    logs = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["enriched"] for line in logs] == ["AWS::EC2::Instance", "AWS::S3::Bucket"]


def test_an_event_about_a_resource_that_no_longer_exists_deletes_its_entity(
        lambda_env: World) -> None:
    world = lambda_env
    estate = create_estate(world.client, "eu-west-3")
    world.sync(estate.region)
    world.client("ec2", estate.region).terminate_instances(InstanceIds=[estate.instance_id])
    world.client("sqs", estate.region).delete_queue(QueueUrl=estate.ids["queueUrl"])

    # A "running" notification that arrives after the instance was terminated.
    assert deliver(ec2_state(estate.instance_id, "running", estate.region), estate.region) == {
        "batchItemFailures": []}
    tagged = cloudtrail("sqs", "TagQueue", estate.region, {"queueUrl": estate.ids["queueUrl"]})
    assert deliver(tagged, estate.region) == {"batchItemFailures": []}

    assert world.entity("ec2Instance", estate.instance_id) is None
    assert world.entity("sqsQueue", estate.ids["sqsQueue"]) is None
    assert world.entity("lambdaFunction", estate.ids["lambdaFunction"]) is not None


def test_without_enrichment_or_aws_access_the_event_mappings_still_apply(
        lambda_env: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    world = lambda_env
    region = "us-west-1"
    monkeypatch.setenv("PORT_ENRICH", "false")
    assert deliver(ec2_state("i-0000000000000aaaa", "stopped", region), region) == {
        "batchItemFailures": []}

    def no_aws(_region: str) -> Any:
        raise ImportError("No module named 'boto3'")

    monkeypatch.setenv("PORT_ENRICH", "true")
    monkeypatch.setattr(forwarder, "_client_factory", no_aws)
    assert deliver(ec2_state("i-0000000000000bbbb", "stopped", region), region) == {
        "batchItemFailures": []}

    for instance in ("i-0000000000000aaaa", "i-0000000000000bbbb"):
        properties = world.entity("ec2Instance", instance)["properties"]
        assert properties["state"] == "stopped" and "instanceType" not in properties
    logs = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert "enriched" not in logs[0] and "boto3" in logs[1]["enriched"]
