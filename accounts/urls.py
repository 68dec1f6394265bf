from django.urls import path

from . import views

urlpatterns = [
    path("auth/otp/request/", views.OtpRequestView.as_view(), name="otp-request"),
    path("auth/otp/verify/", views.OtpVerifyView.as_view(), name="otp-verify"),
    path("auth/token/refresh/", views.TokenRefreshView.as_view(), name="token-refresh"),
    path("auth/logout/", views.LogoutView.as_view(), name="logout"),
    path("auth/logout-all/", views.LogoutAllView.as_view(), name="logout-all"),
    path("legal/documents/", views.LegalDocumentsView.as_view(), name="legal-documents"),
    path("me/", views.MeView.as_view(), name="me"),
    path("me/avatar/", views.AvatarView.as_view(), name="me-avatar"),
    path("me/consents/", views.ConsentsView.as_view(), name="me-consents"),
    path("me/phone/", views.PhoneChangeView.as_view(), name="me-phone"),
    path("me/phone/verify/", views.PhoneVerifyView.as_view(), name="me-phone-verify"),
    path("me/devices/", views.DevicesView.as_view(), name="me-devices"),
]
