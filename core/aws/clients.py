"""boto3 sessions and clients for an install, and AWS errors turned into actionable messages.

The standard AWS environment is honoured as boto3 does (AWS_PROFILE, AWS_REGION,
AWS_ENDPOINT_URL...), so the same command runs against AWS or a local endpoint.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import boto3
import botocore.exceptions
from botocore.config import Config
from botocore.parsers import ResponseParserError

from core.aws.call_log import log_calls
from core.config.aws_checks import region_problems
from core.config.settings import InstallSettings
from core.errors import AwsAccessError, InputError

# ResponseParserError: an endpoint answered something botocore cannot parse (seen on local endpoints)
AWS_ERRORS = (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError, ResponseParserError)
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
        problems = region_problems([settings.aws_region], "--aws-region")
        if problems:
            raise InputError(problems)
    log_calls(session)
    return session


def make_client(session: boto3.Session, service: str, settings: InstallSettings,
                config: Config | None = None, region: str | None = None) -> Any:
    """The one way a boto3 client is made: the settings' endpoint, CLIENT_CONFIG (+ `config`)."""
    merged = CLIENT_CONFIG.merge(config) if config is not None else CLIENT_CONFIG
    return session.client(service, region_name=region, endpoint_url=settings.aws_endpoint_url or None,
                          config=merged)


def attempts(count: int) -> Config:
    """A client config with `count` attempts in all (interactive checks should not wait long)."""
    return Config(retries={"mode": "standard", "max_attempts": count})


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


def error_code(error: botocore.exceptions.ClientError) -> str:
    """The AWS error code of a ClientError ("" when the answer had none)."""
    return str(error.response.get("Error", {}).get("Code", ""))


@contextmanager
def aws_errors(doing: str) -> Iterator[None]:
    """Turn any boto3/botocore error raised inside into an AwsAccessError saying what failed:
    `with aws_errors("deploy stack X"): ...` instead of a hand-written except block."""
    try:
        yield
    except AWS_ERRORS as error:
        raise explain_aws_error(error, doing) from None


class AwsClients:
    """boto3 clients for one install's settings on one session, made once per service, config
    variant and region; thread-safe (the sync lists regions and kinds in parallel)."""

    def __init__(self, settings: InstallSettings, session: boto3.Session | None = None,
                 config: Config | None = None) -> None:
        self.settings = settings
        self._session = session
        self._config = config
        self._clients: dict[tuple[str, str, str | None], Any] = {}
        self._lock = threading.Lock()

    @property
    def session(self) -> boto3.Session:
        with self._lock:
            if self._session is None:
                self._session = make_session(self.settings)
            return self._session

    def __call__(self, service: str, config: Config | None = None, variant: str = "",
                 region: str | None = None) -> Any:
        """The client for `service` (in `region`); a `config` needs a `variant` name to cache it under."""
        key = (service, variant, region)
        session = self.session
        with self._lock:
            if key not in self._clients:
                merged = self._config.merge(config) if self._config and config else self._config or config
                self._clients[key] = make_client(session, service, self.settings, merged, region)
            return self._clients[key]

    def for_region(self, region: str) -> Callable[[str], Any]:
        """`service -> client` in `region` (what the describers take)."""
        return lambda service: self(service, region=region)
