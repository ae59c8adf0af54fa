"""CloudFormation models moto 5.2.5 lacks, for the sandbox's moto extension (moto_fidelity).

moto skips resource types it has no model for without an error, so a stack "deploys"
without them. The template's webhook secret and alarms need these:

- ``AWS::SecretsManager::Secret``: created from ``SecretString`` (Name, Description,
  KmsKeyId, Tags too) with moto's secretsmanager backend; an update puts the new value
  (a new Name replaces the secret); a delete removes it at once. Ref is the ARN, as in
  CloudFormation; GetAtt Id is the ARN too.
- ``AWS::CloudWatch::Alarm``: a metric alarm in moto's cloudwatch backend (name, metric,
  dimensions, threshold, actions); an update rewrites it; Ref is the alarm name.

moto finds models through ``CloudFormationModel.__subclasses__()`` behind a cache: the
classes exist once this module is imported, and ``register()`` clears that cache (once).
"""

from __future__ import annotations

import json
import threading
import uuid
from typing import Any

from moto.cloudformation import parsing
from moto.cloudwatch.models import cloudwatch_backends
from moto.core.common_models import CloudFormationModel
from moto.secretsmanager.models import secretsmanager_backends

_lock = threading.Lock()
_registered: list[type] = []


def register() -> None:
    """Make moto's CloudFormation create, update and delete these types (once per process)."""
    with _lock:
        if _registered:
            return
        _registered.extend((_Secret, _Alarm))
        parsing.get_model_map.cache_clear()
        parsing.get_name_type_map.cache_clear()


class _Secret(CloudFormationModel):
    """A Secrets Manager secret made by a stack."""

    def __init__(self, arn: str, name: str) -> None:
        self.arn, self.name = arn, name

    @property
    def physical_resource_id(self) -> str:
        return self.arn

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::SecretsManager::Secret"

    @staticmethod
    def cloudformation_name_type() -> str:
        return "Name"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr == "Id"

    def get_cfn_attribute(self, attribute_name: str) -> str:
        return self.arn

    def is_created(self) -> bool:
        return True

    @classmethod
    def create_from_cloudformation_json(cls, resource_name: str, cloudformation_json: dict[str, Any],
                                        account_id: str, region_name: str, **kwargs: Any) -> _Secret:
        properties = cloudformation_json.get("Properties") or {}
        if "SecretString" not in properties:
            raise ValueError("sandbox: only SecretString is modelled for AWS::SecretsManager::Secret")
        answer = secretsmanager_backends[account_id][region_name].create_secret(
            name=resource_name, secret_string=properties["SecretString"], secret_binary=None,
            description=properties.get("Description"), tags=properties.get("Tags") or [],
            kms_key_id=properties.get("KmsKeyId"), client_request_token=None,
            replica_regions=[], force_overwrite=False)
        return cls(json.loads(answer)["ARN"], resource_name)

    @classmethod
    def update_from_cloudformation_json(cls, original_resource: _Secret, new_resource_name: str,
                                        cloudformation_json: dict[str, Any], account_id: str,
                                        region_name: str) -> _Secret:
        properties = cloudformation_json.get("Properties") or {}
        if properties.get("Name") and properties["Name"] != original_resource.name:
            original_resource.delete(account_id, region_name)
            return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json,
                                                       account_id, region_name)
        backend = secretsmanager_backends[account_id][region_name]
        current = backend.get_secret_value(original_resource.arn, None, None)
        if current.get("SecretString") != properties.get("SecretString"):
            backend.update_secret(original_resource.arn, secret_string=properties.get("SecretString"),
                                  description=properties.get("Description"),
                                  client_request_token=str(uuid.uuid4()))  # as the SDKs do
        return original_resource

    def delete(self, account_id: str, region_name: str) -> None:
        secretsmanager_backends[account_id][region_name].delete_secret(
            self.arn, recovery_window_in_days=None, force_delete_without_recovery=True)


class _Alarm(CloudFormationModel):
    """A CloudWatch metric alarm made by a stack."""

    def __init__(self, name: str) -> None:
        self.name = name

    @property
    def physical_resource_id(self) -> str:
        return self.name

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::CloudWatch::Alarm"

    @staticmethod
    def cloudformation_name_type() -> str:
        return "AlarmName"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr == "Arn"

    def is_created(self) -> bool:
        return True

    @classmethod
    def create_from_cloudformation_json(cls, resource_name: str, cloudformation_json: dict[str, Any],
                                        account_id: str, region_name: str, **kwargs: Any) -> _Alarm:
        p = cloudformation_json.get("Properties") or {}
        cloudwatch_backends[account_id][region_name].put_metric_alarm(
            name=resource_name, namespace=p.get("Namespace"), metric_name=p.get("MetricName"),
            comparison_operator=p["ComparisonOperator"],
            evaluation_periods=int(p["EvaluationPeriods"]), period=int(p.get("Period") or 60),
            threshold=float(p.get("Threshold") or 0), statistic=p.get("Statistic"),
            description=p.get("AlarmDescription"), dimensions=p.get("Dimensions") or [],
            alarm_actions=p.get("AlarmActions") or [], ok_actions=p.get("OKActions") or [],
            datapoints_to_alarm=p.get("DatapointsToAlarm"),
            treat_missing_data=p.get("TreatMissingData"),
            actions_enabled=p.get("ActionsEnabled", True) not in (False, "false"))
        return cls(resource_name)

    @classmethod
    def update_from_cloudformation_json(cls, original_resource: _Alarm, new_resource_name: str,
                                        cloudformation_json: dict[str, Any], account_id: str,
                                        region_name: str) -> _Alarm:
        name = (cloudformation_json.get("Properties") or {}).get("AlarmName") or original_resource.name
        if name != original_resource.name:
            original_resource.delete(account_id, region_name)
        return cls.create_from_cloudformation_json(name, cloudformation_json, account_id, region_name)

    def delete(self, account_id: str, region_name: str) -> None:
        cloudwatch_backends[account_id][region_name].delete_alarms([self.name])
