"""One describer per resource kind: list them all in a region, or describe one (boto3).

The single implementation for `port-aws-wizard sync` (core/operations/sync.py lists) and the Lambda
(core/lambda_code/forwarder.py describes the resource an event names): core.lambda_code.inlining appends
this module to the forwarder's inline code, so it needs only the standard library and
boto3 (which the Lambda runtime provides), imported by the caller.
A document is {"Type": kind, "Properties": {...}}: the fields of the service's answer
that the blueprints use (.port/resources/port-app-config.yml reads them), with its tags,
top-level keys in PascalCase as Port's aws-v3 integration has them. `c` is a function
giving a boto3 client for a service in the region; `pmap` maps calls (maybe in threads).

What is dropped, and why: everything a kind does not list in its `keep`. Port keeps the
payloads it ingests, and an answer can carry credentials: a Lambda function's Environment
(where functions keep database passwords and API tokens; the forwarder's own once held
the webhook key), a container's ImageConfig command line, an EKS connector's
ActivationCode, an account's e-mail address. Lambda is read with ListFunctions /
GetFunctionConfiguration and ListTags, never GetFunction (its Code.Location is a link
to download the function's code). To map another field, add it to the kind's `keep`.
"""

from __future__ import annotations

import contextlib
import re
from datetime import date
from typing import Any

_GONE = re.compile(r"NotFound|NoSuch|NonExistent|DoesNotExist|ResourceNotFound")


def _code(exc: Exception) -> str:
    return str((getattr(exc, "response", None) or {}).get("Error", {}).get("Code", ""))


def is_gone(exc: Exception) -> bool:
    """True when an AWS error says the resource does not exist."""
    return bool(_GONE.search(_code(exc)))


def _json(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items() if k != "ResponseMetadata"}
    if isinstance(value, list):
        return [_json(v) for v in value]
    return value.isoformat() if isinstance(value, date) else value


def _pascal(item: dict) -> dict:
    return {k[:1].upper() + k[1:]: v for k, v in item.items()}


def _partition(region: str) -> str:
    return "aws-cn" if region.startswith("cn-") else (
        "aws-us-gov" if region.startswith("us-gov-") else "aws")


def _pages(client: Any, operation: str, key: str, page: dict | None = None, **kwargs: Any) -> list:
    """Every item; with page {"token", "size"} the next `size` items from `token` only, and
    page["next"] where the following ones start (None after the last): a resync piece."""
    paginator = client.get_paginator(operation)
    if page is None:
        return [x for p in paginator.paginate(**kwargs) for x in p.get(key) or []]
    config = {**kwargs.pop("PaginationConfig", {}), "MaxItems": page["size"],
              "StartingToken": page.get("token")}
    if "PageSize" in config:
        config["PageSize"] = min(config["PageSize"], page["size"])
    found = paginator.paginate(**kwargs, PaginationConfig=config).build_full_result()
    page["next"] = found.get("NextToken")
    return found.get(key) or []


def _skip_gone(function: Any) -> Any:
    """function, answering None for a resource deleted between listing and describing."""
    def call(item: Any) -> Any:
        try:
            return function(item)
        except Exception as exc:
            if is_gone(exc):
                return None
            raise
    return call


def _each(pmap: Any, function: Any, items: list) -> list:
    return [doc for doc in pmap(_skip_gone(function), items) if doc is not None]


# ---- EC2 instances: identifier InstanceId; a terminated instance counts as gone ---------
def _instances(reservations: list, account: str, region: str) -> list:
    arn = f"arn:{_partition(region)}:ec2:{region}:"
    return [{**i, "InstanceArn": f"{arn}{r.get('OwnerId') or account}:instance/{i['InstanceId']}"}
            for r in reservations for i in r.get("Instances") or []
            if i["State"]["Name"] != "terminated"]


def _ec2_list(c: Any, account: str, region: str, pmap: Any, page: dict | None = None) -> list:
    pages = _pages(c("ec2"), "describe_instances", "Reservations", page,
                   PaginationConfig={"PageSize": 1000})
    return _instances(pages, account, region)


def _ec2_get(c: Any, account: str, region: str, ident: str) -> dict | None:
    found = c("ec2").describe_instances(InstanceIds=[ident])["Reservations"]
    return next(iter(_instances(found, account, region)), None)


# ---- S3 buckets: identifier Arn; one ListBuckets answers name, creation date, region ----
def _bucket(c: Any, bucket: dict, region: str) -> dict:
    s3, name = c("s3"), bucket["Name"]
    region = bucket.get("BucketRegion") or region
    try:
        tags = s3.get_bucket_tagging(Bucket=name)["TagSet"]
    except Exception as exc:
        if "NoSuchTagSet" not in _code(exc):
            raise
        tags = []
    status = s3.get_bucket_versioning(Bucket=name).get("Status")
    return {"BucketName": name, "Arn": f"arn:{_partition(region)}:s3:::{name}",
            "CreationDate": bucket.get("CreationDate"), "LocationConstraint": region,
            "Tags": tags, "VersioningConfiguration": {"Status": status} if status else None}


def _s3_list(c: Any, account: str, region: str, pmap: Any, page: dict | None = None) -> list:
    buckets = _pages(c("s3"), "list_buckets", "Buckets", page, BucketRegion=region)
    return _each(pmap, lambda b: _bucket(c, b, region), buckets)


def _s3_get(c: Any, account: str, region: str, ident: str) -> dict | None:
    name = ident.rsplit(":", 1)[-1]
    for bucket in _pages(c("s3"), "list_buckets", "Buckets", Prefix=name):
        if bucket["Name"] == name:
            return _bucket(c, bucket, region)
    return None


# ---- Lambda functions: identifier FunctionArn (unqualified) -----------------------------
def _lambda_list(c: Any, account: str, region: str, pmap: Any, page: dict | None = None) -> list:
    client = c("lambda")
    return _each(pmap, lambda f: {**f, "Tags": client.list_tags(Resource=f["FunctionArn"])
                                  .get("Tags") or {}},
                 _pages(client, "list_functions", "Functions", page))


def _lambda_get(c: Any, account: str, region: str, ident: str) -> dict | None:
    found = c("lambda").get_function_configuration(FunctionName=ident)
    tags = c("lambda").list_tags(Resource=found["FunctionArn"]).get("Tags") or {}
    return {**found, "Tags": tags}


# ---- SQS queues: identifier QueueArn; attributes as SQS gives them (strings) ------------
def _queue(c: Any, url: str) -> dict:
    sqs = c("sqs")
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    tags = sqs.list_queue_tags(QueueUrl=url).get("Tags") or {}
    return {**attributes, "QueueUrl": url, "QueueName": url.rsplit("/", 1)[-1], "Tags": tags}


def _sqs_list(c: Any, account: str, region: str, pmap: Any, page: dict | None = None) -> list:
    urls = _pages(c("sqs"), "list_queues", "QueueUrls", page, PaginationConfig={"PageSize": 1000})
    return _each(pmap, lambda url: _queue(c, url), urls)


def _sqs_get(c: Any, account: str, region: str, ident: str) -> dict | None:
    owner, name = ident.split(":")[4:6]
    url = c("sqs").get_queue_url(QueueName=name, QueueOwnerAWSAccountId=owner)["QueueUrl"]
    return _queue(c, url)


# ---- RDS DB instances: identifier DBInstanceArn; tags come with the instance ------------
def _rds_list(c: Any, account: str, region: str, pmap: Any, page: dict | None = None) -> list:
    return [{**db, "Tags": db.get("TagList") or []}
            for db in _pages(c("rds"), "describe_db_instances", "DBInstances", page)]


def _rds_get(c: Any, account: str, region: str, ident: str) -> dict | None:
    found = c("rds").describe_db_instances(DBInstanceIdentifier=ident.split(":db:")[-1])
    return next(({**db, "Tags": db.get("TagList") or []} for db in found["DBInstances"]), None)


# ---- ECS clusters: identifier ClusterArn; an INACTIVE cluster is a deleted one ----------
def _clusters(c: Any, arns: list) -> list:
    found = []
    for start in range(0, len(arns), 100):
        answer = c("ecs").describe_clusters(clusters=arns[start:start + 100],
                                            include=["TAGS"])
        found += [_pascal(x) for x in answer["clusters"] if x.get("status") != "INACTIVE"]
    return found


def _ecs_list(c: Any, account: str, region: str, pmap: Any, page: dict | None = None) -> list:
    return _clusters(c, _pages(c("ecs"), "list_clusters", "clusterArns", page))


def _ecs_get(c: Any, account: str, region: str, ident: str) -> dict | None:
    return next(iter(_clusters(c, [ident])), None)


# ---- EKS clusters: identifier Arn -------------------------------------------------------
def _eks(c: Any, name: str) -> dict:
    return _pascal(c("eks").describe_cluster(name=name)["cluster"])


def _eks_list(c: Any, account: str, region: str, pmap: Any, page: dict | None = None) -> list:
    return _each(pmap, lambda name: _eks(c, name), _pages(c("eks"), "list_clusters", "clusters", page))


def _eks_get(c: Any, account: str, region: str, ident: str) -> dict | None:
    return _eks(c, ident.rsplit("/", 1)[-1])


# ---- the account: its id, and its name etc. when Organizations answers ------------------
def _account_get(c: Any, account: str, region: str, ident: str = "") -> dict | None:
    properties: dict = {"Id": account}
    with contextlib.suppress(Exception):  # not in an organization or no permission: the id
        properties.update(c("organizations").describe_account(AccountId=account)["Account"])
    return properties


class Kind:
    """A resource kind: its event source, the Properties key naming it, list and get, and
    the top-level keys a document keeps (the rest of the answer is dropped)."""

    def __init__(self, name: str, source: str | None, id_key: str, lister: Any,
                 getter: Any, keep: str) -> None:
        self.name, self.source, self.id_key = name, source, id_key
        self.lister, self.getter = lister, getter
        self.keep = (id_key, "Tags", *keep.split())


KINDS: dict[str, Kind] = {k.name: k for k in (
    Kind("AWS::Account::Info", None, "Id", lambda c, a, r, p, page=None: [_account_get(c, a, r)],
         _account_get, "Name Arn"),
    Kind("AWS::S3::Bucket", "aws.s3", "Arn", _s3_list, _s3_get,
         "BucketName CreationDate LocationConstraint VersioningConfiguration"),
    Kind("AWS::EC2::Instance", "aws.ec2", "InstanceId", _ec2_list, _ec2_get,
         "InstanceArn State InstanceType Placement ImageId LaunchTime PrivateIpAddress "
         "PublicIpAddress VpcId SubnetId"),
    Kind("AWS::ECS::Cluster", "aws.ecs", "ClusterArn", _ecs_list, _ecs_get,
         "ClusterName Status RunningTasksCount PendingTasksCount ActiveServicesCount "
         "RegisteredContainerInstancesCount CapacityProviders"),
    Kind("AWS::RDS::DBInstance", "aws.rds", "DBInstanceArn", _rds_list, _rds_get,
         "DBInstanceIdentifier DBInstanceStatus Engine EngineVersion DBInstanceClass "
         "AllocatedStorage MultiAZ Endpoint"),
    Kind("AWS::Lambda::Function", "aws.lambda", "FunctionArn", _lambda_list, _lambda_get,
         "FunctionName Runtime Handler MemorySize Timeout PackageType Role"),
    Kind("AWS::SQS::Queue", "aws.sqs", "QueueArn", _sqs_list, _sqs_get,
         "QueueName QueueUrl FifoQueue VisibilityTimeout MessageRetentionPeriod DelaySeconds"),
    Kind("AWS::EKS::Cluster", "aws.eks", "Arn", _eks_list, _eks_get,
         "Name Status Version PlatformVersion RoleArn Endpoint"),
)}


def document(kind: str, properties: dict) -> dict:
    """The resource's document: only the keys its kind keeps (see the module docstring)."""
    return {"Type": kind, "Properties": _json({k: properties[k] for k in KINDS[kind].keep
                                               if k in properties})}


def gone_document(kind: str, ident: str) -> dict:
    """What is left of a deleted resource: its identifier, for the mappings that delete."""
    return {"Type": kind, "Properties": {KINDS[kind].id_key: ident}}


def list_documents(kind: str, c: Any, account: str, region: str, pmap: Any = map,
                   page: dict | None = None) -> list:
    """A document for every resource of the kind in the region (with page: one page, see _pages)."""
    return [document(kind, p) for p in KINDS[kind].lister(c, account, region, pmap, page)]


def describe(kind: str, c: Any, account: str, region: str, ident: str) -> dict | None:
    """The resource's document; None when AWS says it no longer exists."""
    try:
        properties = KINDS[kind].getter(c, account, region, ident)
    except Exception as exc:
        if is_gone(exc):
            return None
        raise
    return None if properties is None else document(kind, properties)


# ---- which resource an event names, as (kind, identifier) -------------------------------
# Deleting events are left to the mappings that delete: describing would only race them.
_ECS_EVENTS = ("ECS Task State Change", "ECS Container Instance State Change")
_CLUSTER_CALLS = re.compile(r"(Create|Update)Cluster|PutClusterCapacityProviders$")
_DELETES = re.compile(r"Delete(Bucket|Function\w*|Queue|DBInstance|Cluster)$")


def event_resource(event: dict, account: str, region: str) -> tuple[str, str] | None:
    """The resource an upsert event is about, or None (a delete, a failed call, other)."""
    kind_of = event.get("detail-type")
    d = event.get("detail") or {}
    if kind_of == "EC2 Instance State-change Notification" and d.get("instance-id"):
        return None if d.get("state") == "terminated" else ("AWS::EC2::Instance", d["instance-id"])
    if kind_of == "RDS DB Instance Event" and d.get("SourceType") == "DB_INSTANCE":
        gone = d.get("EventID") == "RDS-EVENT-0003" or not d.get("SourceArn")
        return None if gone else ("AWS::RDS::DBInstance", d["SourceArn"])
    if kind_of in _ECS_EVENTS and ":cluster/" in (d.get("clusterArn") or ""):
        return "AWS::ECS::Cluster", d["clusterArn"]
    name = d.get("eventName") or ""
    if kind_of != "AWS API Call via CloudTrail" or d.get("errorCode") or _DELETES.match(name):
        return None
    region = d.get("awsRegion") or region
    arn = f"arn:{_partition(region)}:%s:{region}:{d.get('recipientAccountId') or account}:%s"
    service = (d.get("eventSource") or "").split(".")[0]
    req, resp = d.get("requestParameters") or {}, d.get("responseElements") or {}
    tagged = req.get("resourceArn") or "" if re.match(r"(Tag|Untag)Resource$", name) else ""
    if service == "s3" and re.match(r"(Create|Put|Delete)Bucket", name) and req.get("bucketName"):
        return "AWS::S3::Bucket", f"arn:{_partition(region)}:s3:::{req['bucketName']}"
    if service == "lambda" and re.match(r"(Create|Update)Function|(Tag|Untag)Resource", name):
        ref = resp.get("functionArn") or req.get("functionName") or req.get("resource") or ""
        base = ref.split(":function:")[-1].split(":")[0]
        if not base or (":" in ref and ":function:" not in ref):
            return None
        head = ref.split(":function:")[0] if ref.startswith("arn:") else (arn % ("lambda", ""))[:-1]
        return "AWS::Lambda::Function", f"{head}:function:{base}"
    if service == "sqs" and name in ("CreateQueue", "SetQueueAttributes", "TagQueue",
                                     "UntagQueue"):
        url = (resp.get("queueUrl") or req.get("queueUrl") or "").split("/")
        return ("AWS::SQS::Queue", f"arn:{_partition(region)}:sqs:{region}:{url[-2]}:{url[-1]}"
                ) if len(url) > 2 else None
    if service == "rds":
        ref = resp.get("dBInstanceArn") or req.get("resourceName") or ""
        if not ref and re.match(r"(Create|Modify|Start|Stop|Reboot)DBInstance$", name):
            ref = arn % ("rds", "db:" + (req.get("dBInstanceIdentifier") or "").lower())
        return ("AWS::RDS::DBInstance", ref) if re.search(":db:.", ref) else None
    if service == "ecs" and (_CLUSTER_CALLS.match(name) or ":cluster/" in tagged):
        ref = (resp.get("cluster") or {}).get("clusterArn") or tagged
        cluster = (req.get("clusterName") or req.get("cluster") or "default").split("/")[-1]
        return "AWS::ECS::Cluster", ref or arn % ("ecs", "cluster/" + cluster)
    if service == "eks" and (_CLUSTER_CALLS.match(name) or ":cluster/" in tagged):
        ref = (resp.get("cluster") or {}).get("arn") or tagged
        return "AWS::EKS::Cluster", ref or arn % ("eks", "cluster/" + (req.get("name") or ""))
    return None
