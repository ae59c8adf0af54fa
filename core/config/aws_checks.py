"""AWS settings checked offline, before any request: the region exists, the profile exists.

botocore knows every region of every partition from the endpoint data it ships, and reads
the profiles from the local AWS config and credentials files: neither needs the network,
so a typo fails at once instead of after Port was set up, or as a DNS error minutes later.
botocore is imported when a check runs, not with this module.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from difflib import get_close_matches

from core.config.settings import InstallSettings


@functools.cache
def known_regions() -> frozenset[str]:
    """Every region botocore knows CloudFormation in, over all partitions (aws, aws-cn, ...)."""
    import botocore.session

    session = botocore.session.Session()
    regions: set[str] = set()
    for partition in session.get_available_partitions():
        regions.update(session.get_available_regions("cloudformation", partition_name=partition))
    return frozenset(regions)


def region_problems(regions: Iterable[str], flag: str) -> list[str]:
    """A problem for each region botocore does not know (`flag` says where to fix it)."""
    known = known_regions()
    unknown = [region for region in regions if region not in known]
    if not unknown or not known:
        return []
    some = "s" if len(unknown) > 1 else ""
    close = sorted({match for region in unknown for match in get_close_matches(region, known, 3, 0.75)})
    choices = (f"did you mean {' or '.join(close)}?" if close else
               "use a region code such as us-east-1 or eu-west-1 (`aws account list-regions` lists yours)")
    return [f"AWS region{some} {', '.join(map(repr, unknown))} do{'' if some else 'es'} not exist; "
            f"{choices} ({flag})"]


def profile_problems(profile: str | None) -> list[str]:
    """A problem when the named profile is in neither the AWS config nor the credentials file."""
    if not profile:
        return []
    import botocore.session

    if profile in botocore.session.Session().available_profiles:
        return []
    return [f"AWS profile {profile!r} is not in your AWS config; list profiles with "
            "`aws configure list-profiles` (--aws-profile or AWS_PROFILE)"]


def offline_aws_problems(settings: InstallSettings) -> list[str]:
    """What is wrong with the AWS settings that can be known without a request."""
    problems = region_problems([settings.aws_region], "--aws-region")
    problems += region_problems(settings.regions, "--regions")
    problems += profile_problems(settings.aws_profile)
    return problems
