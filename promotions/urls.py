from django.urls import path

from . import views

urlpatterns = [
    path("promotions/plans/", views.PlansView.as_view(), name="promotion-plans"),
    path("promotions/", views.PromotionsView.as_view(), name="promotions"),
    path("payments/webhook/<str:provider>/", views.WebhookView.as_view(), name="payments-webhook"),
    path("payments/<str:pk>/", views.PaymentView.as_view(), name="payment-detail"),
    path(
        "business/<uuid:pk>/subscription/",
        views.SubscriptionView.as_view(),
        name="business-subscription",
    ),
]
