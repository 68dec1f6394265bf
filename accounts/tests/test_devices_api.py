"""Push devices: POST and DELETE /me/devices/."""

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.models import Device, User
from accounts.tests.factories import UserFactory
from tests.helpers import assert_error

from .conftest import DEVICES

pytestmark = pytest.mark.django_db

TOKEN = "ExponentPushToken[xxxxxxxxxxxxxxxxxxxxxx]"
OTHER_TOKEN = "ExponentPushToken[AbC-123_xyz9]"


def register(client: APIClient, token: Any = TOKEN, platform: Any = "ios") -> Any:
    return client.post(DEVICES, {"expo_push_token": token, "platform": platform}, format="json")


def unregister(client: APIClient, token: Any = TOKEN) -> Any:
    return client.delete(DEVICES, {"expo_push_token": token}, format="json")


def owners(token: str = TOKEN) -> list[Any]:
    return list(Device.objects.filter(expo_push_token=token).values_list("user_id", flat=True))


@pytest.mark.parametrize(("token", "platform"), [(TOKEN, "ios"), (OTHER_TOKEN, "android")])
def test_a_device_is_registered(
    user: User, me_client: APIClient, token: str, platform: str
) -> None:
    response = register(me_client, token, platform)

    assert response.status_code == 201, response.content
    assert response.json() == {"expo_push_token": token, "platform": platform}
    device = Device.objects.get(expo_push_token=token)
    assert (device.user_id, device.platform) == (user.pk, platform)


@pytest.mark.parametrize(
    "token",
    [
        "abc",
        "",
        "ExponentPushToken[]",
        "ExponentPushToken[short]",
        "ExponentPushToken[has space inside]",
        "ExponentPushToken[xxxxxxxxxxxx",
        "fcm:APA91bH-xxxxxxxxxxxxxxxxxxxx",
        " ExponentPushToken[xxxxxxxxxxxx] trailing",
        "ExponentPushToken[" + "x" * 200 + "]",
        None,
        12345678,
        ["ExponentPushToken[xxxxxxxxxxxx]"],
    ],
)
def test_a_malformed_push_token_is_refused(user: User, me_client: APIClient, token: Any) -> None:
    response = register(me_client, token)

    assert "expo_push_token" in assert_error(response, 400, "invalid")["fields"]
    assert not Device.objects.exists()


@pytest.mark.parametrize("platform", ["windows", "", "IOS", None, 1])
def test_an_unknown_platform_is_refused(user: User, me_client: APIClient, platform: Any) -> None:
    response = register(me_client, TOKEN, platform)

    assert set(assert_error(response, 400, "invalid")["fields"]) == {"platform"}
    assert not Device.objects.exists()


def test_registering_the_same_token_again_keeps_one_device(
    user: User, me_client: APIClient
) -> None:
    register(me_client, TOKEN, "ios")

    response = register(me_client, TOKEN, "android")

    assert response.status_code == 201
    assert Device.objects.get(expo_push_token=TOKEN).platform == "android"
    assert Device.objects.count() == 1


def test_a_user_may_have_several_devices(user: User, me_client: APIClient) -> None:
    register(me_client, TOKEN, "ios")
    register(me_client, OTHER_TOKEN, "android")

    assert set(Device.objects.filter(user=user).values_list("expo_push_token", flat=True)) == {
        TOKEN,
        OTHER_TOKEN,
    }


def test_a_token_registered_by_another_user_moves_to_him(
    client_for: Callable[[User], APIClient],
) -> None:
    seller, buyer = UserFactory(), UserFactory()
    register(client_for(seller), TOKEN)

    response = register(client_for(buyer), TOKEN, "android")

    assert response.status_code == 201
    assert owners() == [buyer.pk]


def test_a_device_is_unregistered_and_again_is_fine(user: User, me_client: APIClient) -> None:
    register(me_client)

    first = unregister(me_client)
    second = unregister(me_client)

    assert (first.status_code, second.status_code) == (204, 204)
    assert owners() == []


def test_unregistering_a_token_never_registered_is_fine(me_client: APIClient) -> None:
    assert unregister(me_client, "ExponentPushToken[neverseen123]").status_code == 204


def test_nobody_can_unregister_someone_elses_device(
    client_for: Callable[[User], APIClient],
) -> None:
    owner, intruder = UserFactory(), UserFactory()
    register(client_for(owner), TOKEN)

    response = unregister(client_for(intruder), TOKEN)

    # Answered as if done, so it tells nothing; the owner's device stays.
    assert response.status_code == 204
    assert owners() == [owner.pk]


def test_unregistering_leaves_the_users_other_devices(user: User, me_client: APIClient) -> None:
    register(me_client, TOKEN)
    register(me_client, OTHER_TOKEN)

    unregister(me_client, TOKEN)

    assert owners(OTHER_TOKEN) == [user.pk]


def test_unregistering_without_a_token_is_a_validation_error(me_client: APIClient) -> None:
    response = me_client.delete(DEVICES, {}, format="json")

    assert "expo_push_token" in assert_error(response, 400, "invalid")["fields"]


@pytest.mark.parametrize("method", ["post", "delete"])
def test_devices_need_a_logged_in_caller(method: str) -> None:
    response = getattr(APIClient(), method)(
        DEVICES, {"expo_push_token": TOKEN, "platform": "ios"}, format="json"
    )

    assert_error(response, 401, "not_authenticated")
    assert not Device.objects.exists()
