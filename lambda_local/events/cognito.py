"""Amazon Cognito user pool Lambda triggers (service ``cognito-idp``).

Every trigger shares one envelope (version, triggerSource, region, userPoolId, userName,
callerContext) around a trigger-specific ``request`` and ``response``.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from ._common import (
    DEFAULT_REGION,
    check_choice,
    check_location,
    given,
    new_uuid,
    random_chars,
    str_map,
)

PRE_SIGN_UP_SOURCES = ("PreSignUp_SignUp", "PreSignUp_AdminCreateUser", "PreSignUp_ExternalProvider")
POST_CONFIRMATION_SOURCES = ("PostConfirmation_ConfirmSignUp", "PostConfirmation_ConfirmForgotPassword")
_POOL_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def _trigger_event(
    *,
    trigger_source: str,
    request: dict[str, Any],
    response: dict[str, Any],
    user_name: str,
    user_pool_id: str | None,
    client_id: str | None,
    sdk_version: str,
    region: str,
    rng: random.Random | None,
) -> dict[str, Any]:
    check_location(region)
    return {
        "version": "1",
        "triggerSource": trigger_source,
        "region": region,
        # Pool ids are the region, an underscore and nine letters or digits.
        "userPoolId": given(user_pool_id, f"{region}_{random_chars(9, rng, _POOL_ID_ALPHABET)}"),
        "userName": user_name,
        "callerContext": {"awsSdkVersion": sdk_version, "clientId": given(client_id, random_chars(26, rng))},
        "request": request,
        "response": response,
    }


def cognito_pre_signup_event(
    *,
    user_name: str = "johndoe",
    user_attributes: Mapping[str, str] | None = None,
    validation_data: Mapping[str, str] | None = None,
    client_metadata: Mapping[str, str] | None = None,
    trigger_source: str = "PreSignUp_SignUp",
    user_pool_id: str | None = None,
    client_id: str | None = None,
    sdk_version: str = "aws-sdk-unknown-unknown",
    region: str = DEFAULT_REGION,
    rng: random.Random | None = None,
) -> dict[str, Any]:
    """The pre sign-up trigger: the function may reject the sign-up or auto-confirm the user.

    ``response`` arrives with every flag false; the function sets them and returns the event.

    >>> event = cognito_pre_signup_event(user_attributes={"email": "ada@example.com"})
    >>> event["triggerSource"], event["response"]["autoConfirmUser"]
    ('PreSignUp_SignUp', False)
    """
    check_choice(trigger_source, PRE_SIGN_UP_SOURCES, "trigger_source")
    request: dict[str, Any] = {
        "userAttributes": str_map(given(user_attributes, {"email": f"{user_name}@example.com"}), "user_attributes"),
        # Cognito sends null when the sign-up carried no validation data.
        "validationData": str_map(validation_data, "validation_data") or None,
    }
    if client_metadata is not None:
        request["clientMetadata"] = str_map(client_metadata, "client_metadata")
    return _trigger_event(
        trigger_source=trigger_source,
        request=request,
        response={"autoConfirmUser": False, "autoVerifyEmail": False, "autoVerifyPhone": False},
        user_name=user_name, user_pool_id=user_pool_id, client_id=client_id, sdk_version=sdk_version,
        region=region, rng=rng,
    )


def cognito_post_confirmation_event(
    *,
    user_name: str = "johndoe",
    user_attributes: Mapping[str, str] | None = None,
    client_metadata: Mapping[str, str] | None = None,
    trigger_source: str = "PostConfirmation_ConfirmSignUp",
    user_sub: str | None = None,
    user_pool_id: str | None = None,
    client_id: str | None = None,
    sdk_version: str = "aws-sdk-unknown-unknown",
    region: str = DEFAULT_REGION,
    rng: random.Random | None = None,
) -> dict[str, Any]:
    """The post confirmation trigger, after a user confirmed sign-up (or a password reset).

    The user is confirmed by now, so the attributes carry ``sub`` and ``cognito:user_status``;
    the ``response`` is empty.

    >>> event = cognito_post_confirmation_event(user_attributes={"email": "ada@example.com"})
    >>> event["request"]["userAttributes"]["cognito:user_status"]
    'CONFIRMED'
    """
    check_choice(trigger_source, POST_CONFIRMATION_SOURCES, "trigger_source")
    attributes = {
        "sub": given(user_sub, new_uuid(rng)),
        "cognito:user_status": "CONFIRMED",
        "email_verified": "true",
        **str_map(given(user_attributes, {"email": f"{user_name}@example.com"}), "user_attributes"),
    }
    request: dict[str, Any] = {"userAttributes": attributes}
    if client_metadata is not None:
        request["clientMetadata"] = str_map(client_metadata, "client_metadata")
    return _trigger_event(
        trigger_source=trigger_source,
        request=request,
        response={},
        user_name=user_name, user_pool_id=user_pool_id, client_id=client_id, sdk_version=sdk_version,
        region=region, rng=rng,
    )
