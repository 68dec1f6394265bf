import uuid
from datetime import timedelta

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.utils import timezone

import business.models


def start_periods(apps, schema_editor):
    """Businesses made before subscriptions existed: a trial runs 14 days from creation, and a
    lapsed one is past due from now (its grace period starts today)."""
    Business = apps.get_model("business", "Business")
    for row in Business.objects.filter(current_period_end__isnull=True):
        row.current_period_end = row.created_at + timedelta(days=14)
        if row.subscription_status == "past_due":
            row.past_due_since = timezone.now()
        row.save(update_fields=("current_period_end", "past_due_since"))


class Migration(migrations.Migration):
    dependencies = [
        ("business", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Invitation",
            fields=[
                (
                    "id",
                    models.UUIDField(
                        default=uuid.uuid4, editable=False, primary_key=True, serialize=False
                    ),
                ),
                ("phone", models.CharField(max_length=16, verbose_name="phone")),
                (
                    "role",
                    models.CharField(
                        choices=[("admin", "Admin"), ("seller", "Seller")],
                        max_length=8,
                        verbose_name="role",
                    ),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("pending", "Pending"),
                            ("accepted", "Accepted"),
                            ("declined", "Declined"),
                            ("revoked", "Revoked"),
                        ],
                        default="pending",
                        max_length=16,
                        verbose_name="status",
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="created at")),
                ("expires_at", models.DateTimeField(verbose_name="expires at")),
                (
                    "decided_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="decided at"),
                ),
            ],
            options={
                "verbose_name": "invitation",
                "verbose_name_plural": "invitations",
                "ordering": ("-created_at",),
            },
        ),
        migrations.CreateModel(
            name="SubscriptionOrder",
            fields=[
                (
                    "id",
                    models.UUIDField(
                        default=uuid.uuid4, editable=False, primary_key=True, serialize=False
                    ),
                ),
                ("months", models.PositiveSmallIntegerField(verbose_name="months")),
                ("payment_id", models.UUIDField(unique=True, verbose_name="payment")),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("pending", "Pending payment"),
                            ("paid", "Paid"),
                            ("failed", "Failed"),
                            ("canceled", "Canceled"),
                            ("refunded", "Refunded"),
                        ],
                        default="pending",
                        max_length=16,
                        verbose_name="status",
                    ),
                ),
                (
                    "period_start",
                    models.DateTimeField(blank=True, null=True, verbose_name="period start"),
                ),
                (
                    "period_end",
                    models.DateTimeField(blank=True, null=True, verbose_name="period end"),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="created at")),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="updated at")),
            ],
            options={
                "verbose_name": "subscription order",
                "verbose_name_plural": "subscription orders",
                "ordering": ("-created_at",),
            },
        ),
        migrations.CreateModel(
            name="SubscriptionPlan",
            fields=[
                (
                    "code",
                    models.SlugField(
                        max_length=32, primary_key=True, serialize=False, verbose_name="code"
                    ),
                ),
                ("name", models.CharField(max_length=100, verbose_name="name (Russian)")),
                (
                    "name_ky",
                    models.CharField(blank=True, max_length=100, verbose_name="name (Kyrgyz)"),
                ),
                (
                    "name_en",
                    models.CharField(blank=True, max_length=100, verbose_name="name (English)"),
                ),
                ("months", models.PositiveSmallIntegerField(verbose_name="months")),
                (
                    "price",
                    models.DecimalField(decimal_places=2, max_digits=12, verbose_name="price"),
                ),
                (
                    "currency",
                    models.CharField(
                        choices=[("KZT", "KZT"), ("KGS", "KGS"), ("USD", "USD")],
                        max_length=3,
                        verbose_name="currency",
                    ),
                ),
                ("is_active", models.BooleanField(default=True, verbose_name="on sale")),
                ("position", models.PositiveSmallIntegerField(default=0, verbose_name="position")),
            ],
            options={
                "verbose_name": "subscription plan",
                "verbose_name_plural": "subscription plans",
                "ordering": ("position", "months"),
            },
        ),
        migrations.AddField(
            model_name="business",
            name="city",
            field=models.CharField(blank=True, max_length=100, verbose_name="city"),
        ),
        migrations.AddField(
            model_name="business",
            name="current_period_end",
            field=models.DateTimeField(blank=True, null=True, verbose_name="current period end"),
        ),
        migrations.AddField(
            model_name="business",
            name="description",
            field=models.TextField(blank=True, max_length=5000, verbose_name="description"),
        ),
        migrations.AddField(
            model_name="business",
            name="logo",
            field=models.FileField(
                blank=True, upload_to=business.models.logo_upload_to, verbose_name="logo"
            ),
        ),
        migrations.AddField(
            model_name="business",
            name="past_due_since",
            field=models.DateTimeField(blank=True, null=True, verbose_name="past due since"),
        ),
        migrations.AddField(
            model_name="business",
            name="trial_user",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="trial taken by",
            ),
        ),
        migrations.AddConstraint(
            model_name="membership",
            constraint=models.CheckConstraint(
                condition=models.Q(("role__in", ["admin", "seller"])), name="membership_role_valid"
            ),
        ),
        migrations.AddField(
            model_name="invitation",
            name="business",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="invitations",
                to="business.business",
            ),
        ),
        migrations.AddField(
            model_name="invitation",
            name="decided_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="decided by",
            ),
        ),
        migrations.AddField(
            model_name="invitation",
            name="invited_by",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="invited by",
            ),
        ),
        migrations.AddField(
            model_name="subscriptionorder",
            name="business",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="subscription_orders",
                to="business.business",
            ),
        ),
        migrations.AddField(
            model_name="subscriptionorder",
            name="buyer",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddConstraint(
            model_name="subscriptionplan",
            constraint=models.CheckConstraint(
                condition=models.Q(("months__gt", 0)), name="subscription_plan_months_positive"
            ),
        ),
        migrations.AddConstraint(
            model_name="subscriptionplan",
            constraint=models.CheckConstraint(
                condition=models.Q(("price__gt", 0)), name="subscription_plan_price_positive"
            ),
        ),
        migrations.AddField(
            model_name="subscriptionorder",
            name="plan",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="orders",
                to="business.subscriptionplan",
            ),
        ),
        migrations.AddField(
            model_name="business",
            name="subscription_plan",
            field=models.ForeignKey(
                blank=True,
                help_text="The plan last paid for; empty during the trial.",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="business.subscriptionplan",
                verbose_name="subscription plan",
            ),
        ),
        migrations.RunPython(start_periods, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="business",
            index=models.Index(
                condition=models.Q(("subscription_status__in", ("trial", "active"))),
                fields=["current_period_end"],
                name="business_running_period_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="business",
            index=models.Index(
                condition=models.Q(("subscription_status", "past_due")),
                fields=["past_due_since"],
                name="business_past_due_idx",
            ),
        ),
        migrations.AddConstraint(
            model_name="business",
            constraint=models.UniqueConstraint(
                fields=("trial_user",), name="business_one_trial_per_user"
            ),
        ),
        migrations.AddConstraint(
            model_name="business",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("subscription_status__in", ["trial", "active", "past_due", "canceled"])
                ),
                name="business_subscription_status_valid",
            ),
        ),
        migrations.AddConstraint(
            model_name="business",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("subscription_status", "past_due"), _negated=True),
                    ("past_due_since__isnull", False),
                    _connector="OR",
                ),
                name="business_past_due_has_since",
            ),
        ),
        migrations.AddIndex(
            model_name="invitation",
            index=models.Index(
                condition=models.Q(("status", "pending")),
                fields=["phone", "expires_at"],
                name="invitation_pending_phone_idx",
            ),
        ),
        migrations.AddConstraint(
            model_name="invitation",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status", "pending")),
                fields=("business", "phone"),
                name="invitation_one_pending_per_phone",
            ),
        ),
        migrations.AddConstraint(
            model_name="invitation",
            constraint=models.CheckConstraint(
                condition=models.Q(("status__in", ["pending", "accepted", "declined", "revoked"])),
                name="invitation_status_valid",
            ),
        ),
        migrations.AddConstraint(
            model_name="invitation",
            constraint=models.CheckConstraint(
                condition=models.Q(("role__in", ["admin", "seller"])), name="invitation_role_valid"
            ),
        ),
        migrations.AddConstraint(
            model_name="subscriptionorder",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("status__in", ["pending", "paid", "failed", "canceled", "refunded"])
                ),
                name="subscription_order_status_valid",
            ),
        ),
        migrations.AddConstraint(
            model_name="subscriptionorder",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("status__in", ("paid", "refunded")), _negated=True),
                    models.Q(
                        ("period_end__gt", models.F("period_start")),
                        ("period_start__isnull", False),
                    ),
                    _connector="OR",
                ),
                name="subscription_order_period_when_paid",
            ),
        ),
    ]
