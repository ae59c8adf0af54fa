"""boto3 sessions and clients for an install, and AWS errors turned into actionable messages.

The standard AWS environment is honoured as boto3 does (AWS_PROFILE, AWS_REGION,
AWS_ENDPOINT_URL...), so the same command runs against AWS or a local endpoint.
"""

from __future__ import annotations

from typing import Any

import boto3
import botocore.exceptions
from botocore.config import Config

from core.config.settings import InstallSettings
from core.errors import AwsAccessError, InputError

CLIENT_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5},
                       connect_timeout=10, read_timeout=60)


def make_session(settings: InstallSettings) -> boto3.Session:
    try:
        session = boto3.Session(profile_name=settings.aws_profile or None, region_name=settings.aws_region)
    except botocore.exceptions.ProfileNotFound:
        raise InputError(
            f"AWS profile {settings.aws_profile!r} is not in your AWS config; list profiles with "
            "`aws configure list-profiles` (--aws-profile or AWS_PROFILE)"
        ) from None
    if not settings.aws_endpoint_url:
        known = set(session.get_available_regions("cloudformation"))
        known |= set(session.get_available_regions("cloudformation", partition_name="aws-us-gov"))
        known |= set(session.get_available_regions("cloudformation", partition_name="aws-cn"))
        if known and settings.aws_region not in known:
            raise InputError(
                f"AWS region {settings.aws_region!r} does not exist; use one of: "
                + ", ".join(sorted(known)) + " (--aws-region)"
            )
    return session


def make_client(session: boto3.Session, service: str, settings: InstallSettings) -> Any:
    return session.client(service, endpoint_url=settings.aws_endpoint_url or None, config=CLIENT_CONFIG)


def explain_aws_error(error: Exception, doing: str) -> AwsAccessError:
    """An AWS exception as a message saying what failed and what to do."""
    if isinstance(error, botocore.exceptions.NoCredentialsError):
        return AwsAccessError(
            f"no AWS credentials found while trying to {doing}: run `aws configure`, "
            "set AWS_PROFILE, or export AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY"
        )
    if isinstance(error, botocore.exceptions.EndpointConnectionError):
        return AwsAccessError(f"could not reach AWS to {doing}: {error}. Check --aws-region and your network")
    if isinstance(error, botocore.exceptions.ClientError):
        code = error.response.get("Error", {}).get("Code", "")
        message = error.response.get("Error", {}).get("Message", "")
        if code in ("AccessDenied", "AccessDeniedException", "UnauthorizedOperation"):
            return AwsAccessError(
                f"AWS denied permission to {doing}: {message}. Grant the identity the permissions "
                "listed in README.md (Required AWS permissions)"
            )
        if code in ("ExpiredToken", "ExpiredTokenException", "InvalidClientTokenId",
                    "UnrecognizedClientException", "SignatureDoesNotMatch"):
            return AwsAccessError(f"AWS rejected the credentials while trying to {doing} ({code}): "
                                  "refresh them (e.g. `aws sso login`) and run again")
        return AwsAccessError(f"AWS refused to {doing}: {code}: {message}")
    if isinstance(error, botocore.exceptions.BotoCoreError):
        return AwsAccessError(f"AWS call failed while trying to {doing}: {error}")
    return AwsAccessError(f"failed to {doing}: {error}")
