from io import StringIO

import pytest
from django.core.management import call_command

from accounts.demo import DEMO_ADMIN_PASSWORD, DEMO_ADMIN_PHONE
from accounts.models import AuditEntry, Role, User

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _small_catalogue(monkeypatch: pytest.MonkeyPatch) -> None:
    # The full generated catalogue has its own test (tests/test_seed_demo.py).
    monkeypatch.setattr("listings.demo.catalogue.CATALOGUE_SIZE", 20)


def snapshot() -> tuple[list[tuple[str, str, bool]], int]:
    users = list(User.objects.order_by("phone").values_list("phone", "role", "is_superuser"))
    return users, AuditEntry.objects.count()


def test_seed_demo_creates_an_admin_and_prints_how_to_log_in() -> None:
    out = StringIO()

    call_command("seed_demo", "--base-url", "http://127.0.0.1:9000", stdout=out)

    admin = User.objects.get(phone=DEMO_ADMIN_PHONE)
    assert admin.role == Role.ADMIN
    assert admin.check_password(DEMO_ADMIN_PASSWORD)
    assert "http://127.0.0.1:9000/admin/" in out.getvalue()
    assert DEMO_ADMIN_PASSWORD in out.getvalue()


def test_running_seed_demo_twice_changes_nothing() -> None:
    call_command("seed_demo", stdout=StringIO())
    before = snapshot()

    call_command("seed_demo", stdout=StringIO())

    assert snapshot() == before
