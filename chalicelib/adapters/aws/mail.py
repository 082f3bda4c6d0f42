"""Mail to gemeenten: SES (v2) sends it, Cognito knows who gets it.

The recipients are the user pool's members of the group `coordinator` whose `custom:gemeente` is
the gemeente: the same users who sign in to see the run, so there is no second list to keep.
"""

from __future__ import annotations

from collections.abc import Sequence

from chalicelib.domain.identity import Role

GEMEENTE_ATTRIBUTE = "custom:gemeente"


class SesMailer:
    def __init__(self, sesv2, sender: str, configuration_set: str | None = None) -> None:
        self._ses = sesv2
        self._sender = sender
        self._configuration_set = configuration_set

    def send(self, to: Sequence[str], subject: str, body: str) -> str:
        options = {"ConfigurationSetName": self._configuration_set} if self._configuration_set else {}
        response = self._ses.send_email(
            FromEmailAddress=self._sender,
            Destination={"ToAddresses": list(to)},
            Content={
                "Simple": {
                    "Subject": {"Data": subject, "Charset": "UTF-8"},
                    "Body": {"Text": {"Data": body, "Charset": "UTF-8"}},
                }
            },
            **options,
        )
        return str(response["MessageId"])


class CognitoCoordinators:
    def __init__(self, cognito, user_pool_id: str) -> None:
        self._cognito = cognito
        self._pool = user_pool_id

    def addresses(self, gemeente: str) -> list[str]:
        found = []
        pages = self._cognito.get_paginator("list_users_in_group").paginate(
            UserPoolId=self._pool, GroupName=Role.COORDINATOR.value
        )
        for page in pages:
            for user in page.get("Users", []):
                attributes = {a["Name"]: a["Value"] for a in user.get("Attributes", [])}
                if (
                    user.get("Enabled", True)
                    and attributes.get(GEMEENTE_ATTRIBUTE) == gemeente
                    and "email" in attributes
                ):
                    found.append(attributes["email"])
        return sorted(found)
