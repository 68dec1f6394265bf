import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def test_legal_documents_in_force_are_public_and_localized(settings: object) -> None:
    response = APIClient().get("/api/v1/legal/documents/", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    documents = {document["kind"]: document for document in response.json()}
    assert list(documents) == [
        "offer_agreement",
        "personal_data_processing",
        "marketing_communications",
    ]
    assert documents["offer_agreement"]["title"] == "Public offer agreement"
    assert documents["offer_agreement"]["is_required"] is True
    assert documents["marketing_communications"]["is_required"] is False


def test_a_new_version_in_settings_is_served(settings: object) -> None:
    settings.LEGAL_DOCUMENTS = {  # type: ignore[attr-defined]
        **settings.LEGAL_DOCUMENTS,  # type: ignore[attr-defined]
        "offer_agreement": {"version": "2027-02", "url": "https://360.kg/o2", "required": True},
    }

    response = APIClient().get("/api/v1/legal/documents/", HTTP_ACCEPT_LANGUAGE="ru")

    offer = response.json()[0]
    assert (offer["version"], offer["url"]) == ("2027-02", "https://360.kg/o2")
    assert offer["title"] == "Публичная оферта"
