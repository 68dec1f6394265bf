"""Legal consents: GET/POST /me/consents/, their history, and `consent_required` in /me/."""

import ipaddress
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from django.conf import LazySettings
from rest_framework.test import APIClient

from accounts.models import Consent, User
from accounts.tests.factories import UserFactory
from tests.helpers import assert_error

from .conftest import CONSENTS, ME, PHONE, bearer

pytestmark = pytest.mark.django_db

KINDS = ["offer_agreement", "personal_data_processing", "marketing_communications"]


def states(client: APIClient) -> dict[str, dict[str, Any]]:
    response = client.get(CONSENTS)
    assert response.status_code == 200
    body = response.json()
    assert isinstance(body, list)
    return {state["kind"]: state for state in body}


def decide(client: APIClient, kind: str, accepted: Any, **extra: Any) -> Any:
    return client.post(CONSENTS, {"kind": kind, "accepted": accepted}, format="json", **extra)


def new_version(settings: LazySettings, kind: str, version: str) -> None:
    settings.LEGAL_DOCUMENTS = {
        **settings.LEGAL_DOCUMENTS,
        kind: {**settings.LEGAL_DOCUMENTS[kind], "version": version},
    }


def test_a_user_who_never_decided_sees_three_open_documents(me_client: APIClient) -> None:
    current = states(me_client)

    assert list(current) == KINDS
    for state in current.values():
        assert set(state) >= {"kind", "accepted", "version", "accepted_at"}
        assert state["accepted"] is False
        assert state["version"] is None
        assert state["accepted_at"] is None


def test_the_consents_given_at_signup_are_listed(login: Callable[..., Any]) -> None:
    body = login(PHONE, {"offer_agreement": True, "personal_data_processing": True})

    current = states(bearer(body["access"]))

    assert current["offer_agreement"]["accepted"] is True
    assert current["offer_agreement"]["version"] == "2026-01"
    assert datetime.fromisoformat(current["offer_agreement"]["accepted_at"]).tzinfo is not None
    assert current["personal_data_processing"]["accepted"] is True
    assert current["marketing_communications"]["accepted"] is False


def test_a_decision_is_recorded_and_answered(user: User, me_client: APIClient) -> None:
    response = decide(me_client, "marketing_communications", True)

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["kind"], body["accepted"], body["version"]) == (
        "marketing_communications",
        True,
        "2026-01",
    )
    assert body["accepted_at"] is not None
    assert states(me_client)["marketing_communications"]["accepted"] is True


def test_accepting_then_refusing_marketing_keeps_both_decisions(
    user: User, me_client: APIClient
) -> None:
    decide(me_client, "marketing_communications", True)

    response = decide(me_client, "marketing_communications", False)

    assert response.status_code == 201
    history = Consent.objects.filter(user=user, kind="marketing_communications").order_by("id")
    assert [decision.accepted for decision in history] == [True, False]
    assert states(me_client)["marketing_communications"]["accepted"] is False


@pytest.mark.parametrize("kind", ["offer_agreement", "personal_data_processing"])
def test_refusing_a_required_document_is_refused_and_not_recorded(
    user: User, me_client: APIClient, kind: str
) -> None:
    decide(me_client, kind, True)

    response = decide(me_client, kind, False)

    assert_error(response, 400, "consent_required")
    assert list(
        Consent.objects.filter(user=user, kind=kind).values_list("accepted", flat=True)
    ) == [True]
    assert states(me_client)[kind]["accepted"] is True


@pytest.mark.parametrize(
    "body",
    [
        {"kind": "cookies", "accepted": True},
        {"kind": "marketing_communications", "accepted": "maybe"},
        {"kind": "marketing_communications"},
        {"accepted": True},
        {"kind": ["offer_agreement"], "accepted": True},
    ],
    ids=["unknown-kind", "not-a-bool", "no-decision", "no-kind", "list-kind"],
)
def test_a_malformed_decision_is_a_validation_error(
    user: User, me_client: APIClient, body: dict[str, Any]
) -> None:
    response = me_client.post(CONSENTS, body, format="json")

    assert_error(response, 400, "invalid")["fields"]
    assert not Consent.objects.filter(user=user).exists()


def test_a_new_version_of_a_required_document_asks_for_consent_again(
    login: Callable[..., Any], settings: LazySettings
) -> None:
    client = bearer(login(PHONE)["access"])
    assert client.get(ME).json()["consent_required"] is False

    new_version(settings, "offer_agreement", "2026-07")

    assert client.get(ME).json()["consent_required"] is True
    assert states(client)["offer_agreement"]["version"] == "2026-01"
    response = decide(client, "offer_agreement", True)
    assert response.json()["version"] == "2026-07"
    assert client.get(ME).json()["consent_required"] is False


def test_a_new_version_of_an_optional_document_asks_for_nothing(
    login: Callable[..., Any], settings: LazySettings
) -> None:
    client = bearer(login(PHONE)["access"])

    new_version(settings, "marketing_communications", "2026-07")

    assert client.get(ME).json()["consent_required"] is False


def test_a_user_who_never_accepted_must_consent(
    me_client: APIClient,
) -> None:
    assert me_client.get(ME).json()["consent_required"] is True

    decide(me_client, "offer_agreement", True)
    assert me_client.get(ME).json()["consent_required"] is True
    decide(me_client, "personal_data_processing", True)

    assert me_client.get(ME).json()["consent_required"] is False


def test_each_decision_stores_the_address_and_user_agent(user: User, me_client: APIClient) -> None:
    decide(
        me_client,
        "marketing_communications",
        True,
        REMOTE_ADDR="203.0.113.7",
        HTTP_USER_AGENT="360-app/2.1 (Android 14)",
    )

    decision = Consent.objects.get(user=user)
    assert decision.ip_address == "203.0.113.7"
    assert decision.user_agent == "360-app/2.1 (Android 14)"


def test_a_forwarded_address_is_stored_only_from_a_trusted_proxy(
    user: User, me_client: APIClient, settings: LazySettings
) -> None:
    decide(
        me_client,
        "marketing_communications",
        True,
        REMOTE_ADDR="203.0.113.7",
        HTTP_X_FORWARDED_FOR="198.51.100.1",
    )
    settings.TRUSTED_PROXIES = [ipaddress.ip_network("10.0.0.0/8")]
    decide(
        me_client,
        "marketing_communications",
        False,
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="198.51.100.9",
    )

    addresses = list(Consent.objects.filter(user=user).order_by("id").values_list("ip_address"))
    assert addresses == [("203.0.113.7",), ("198.51.100.9",)]


def test_a_very_long_user_agent_is_cut_not_refused(user: User, me_client: APIClient) -> None:
    response = decide(me_client, "marketing_communications", True, HTTP_USER_AGENT="u" * 1000)

    assert response.status_code == 201
    assert Consent.objects.get(user=user).user_agent == "u" * 300


def test_a_users_decisions_are_his_own(client_for: Callable[[User], APIClient]) -> None:
    alice, bob = UserFactory(), UserFactory()
    alice_client, bob_client = client_for(alice), client_for(bob)
    decide(alice_client, "marketing_communications", True)

    decide(bob_client, "offer_agreement", True)

    assert states(bob_client)["marketing_communications"]["accepted"] is False
    assert states(alice_client)["offer_agreement"]["accepted"] is False
    assert list(Consent.objects.filter(user=alice).values_list("kind", flat=True)) == [
        "marketing_communications"
    ]
    assert list(Consent.objects.filter(user=bob).values_list("kind", flat=True)) == [
        "offer_agreement"
    ]


def test_the_documents_in_force_are_public_and_match_what_is_recorded(
    user: User, me_client: APIClient, settings: LazySettings
) -> None:
    new_version(settings, "personal_data_processing", "2026-09")

    documents = APIClient().get("/api/v1/legal/documents/").json()
    decide(me_client, "personal_data_processing", True)

    assert [document["kind"] for document in documents] == KINDS
    for document in documents:
        assert set(document) >= {"kind", "version", "title", "url"}
        assert document["url"].startswith("https://")
    in_force = {document["kind"]: document["version"] for document in documents}
    assert in_force["personal_data_processing"] == "2026-09"
    assert Consent.objects.get(user=user).version == "2026-09"


@pytest.mark.parametrize("method", ["get", "post"])
def test_consents_need_a_logged_in_caller(method: str) -> None:
    response = getattr(APIClient(), method)(CONSENTS)

    assert_error(response, 401, "not_authenticated")
