"""Pages outside the API: the `test` provider's checkout (it answers only with DEBUG on)."""

from django.urls import path

from . import views

urlpatterns = [
    path(
        "payments/test-checkout/<uuid:pk>/",
        views.TestCheckoutView.as_view(),
        name="payments-test-checkout",
    ),
]
