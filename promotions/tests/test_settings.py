"""Payment settings: production refuses the test provider unless allowed, and its secret."""

from tests.test_settings import PRODUCTION_ENV, run_django

SECRET = "a-payments-webhook-secret-of-enough-length-0123456789"


def test_production_runs_with_no_payment_provider_configured() -> None:
    result = run_django(PRODUCTION_ENV, "diffsettings")

    assert result.returncode == 0, result.stderr
    assert "PAYMENT_PROVIDERS = []" in result.stdout


def test_production_refuses_the_test_provider_unless_allowed() -> None:
    env = {**PRODUCTION_ENV, "PAYMENT_PROVIDERS": "test", "PAYMENTS_WEBHOOK_SECRET": SECRET}

    refused = run_django(env, "check")
    allowed = run_django({**env, "PAYMENTS_ALLOW_TEST_PROVIDER": "true"}, "check")

    assert refused.returncode != 0
    assert "PAYMENTS_ALLOW_TEST_PROVIDER" in refused.stderr
    assert allowed.returncode == 0, allowed.stderr


def test_production_refuses_the_test_provider_without_a_long_secret() -> None:
    env = {**PRODUCTION_ENV, "PAYMENT_PROVIDERS": "test", "PAYMENTS_ALLOW_TEST_PROVIDER": "true"}

    missing = run_django(env, "check")
    short = run_django({**env, "PAYMENTS_WEBHOOK_SECRET": "short"}, "check")

    assert missing.returncode != 0
    assert "PAYMENTS_WEBHOOK_SECRET is required" in missing.stderr
    assert short.returncode != 0
    assert "PAYMENTS_WEBHOOK_SECRET must be at least 32 characters" in short.stderr


def test_an_unknown_provider_or_default_stops_the_process() -> None:
    unknown = run_django({**PRODUCTION_ENV, "PAYMENT_PROVIDERS": "paypal"}, "check")
    default = run_django(
        {
            **PRODUCTION_ENV,
            "PAYMENT_PROVIDERS": "test",
            "PAYMENTS_ALLOW_TEST_PROVIDER": "true",
            "PAYMENTS_WEBHOOK_SECRET": SECRET,
            "PAYMENT_DEFAULT_PROVIDER": "freedompay",
        },
        "check",
    )

    assert unknown.returncode != 0
    assert "PAYMENT_PROVIDERS" in unknown.stderr
    assert default.returncode != 0
    assert "PAYMENT_DEFAULT_PROVIDER" in default.stderr


def test_local_settings_enable_the_test_provider_with_a_development_secret() -> None:
    result = run_django({"DJANGO_SETTINGS_MODULE": "marketplace.settings.local"}, "diffsettings")

    assert result.returncode == 0, result.stderr
    assert "PAYMENT_PROVIDERS = ['test']" in result.stdout
    assert "PAYMENT_DEFAULT_PROVIDER = 'test'" in result.stdout


def test_production_with_freedompay_needs_its_merchant_account() -> None:
    env = {**PRODUCTION_ENV, "PAYMENT_PROVIDERS": "freedompay"}
    account = {
        "FREEDOMPAY_MERCHANT_ID": "545454",
        "FREEDOMPAY_SECRET_KEY": "a-merchant-secret",
        "FREEDOMPAY_RESULT_URL": "https://360.kg/api/v1/payments/webhook/freedompay/",
    }

    missing = run_django({**env, **account, "FREEDOMPAY_SECRET_KEY": ""}, "check")
    complete = run_django({**env, **account}, "check")

    assert missing.returncode != 0
    assert "FREEDOMPAY_SECRET_KEY" in missing.stderr
    assert complete.returncode == 0, complete.stderr
