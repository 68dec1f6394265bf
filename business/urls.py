from django.urls import path

from . import views

urlpatterns = [
    path("business/", views.BusinessCreateView.as_view(), name="business-create"),
    path("business/plans/", views.PlansView.as_view(), name="business-plans"),
    path("business/<uuid:pk>/", views.BusinessView.as_view(), name="business-detail"),
    path("business/<uuid:pk>/logo/", views.LogoView.as_view(), name="business-logo"),
    path("business/<uuid:pk>/members/", views.MembersView.as_view(), name="business-members"),
    path(
        "business/<uuid:pk>/members/<uuid:user_id>/",
        views.MemberView.as_view(),
        name="business-member",
    ),
    path(
        "business/<uuid:pk>/invitations/",
        views.InvitationsView.as_view(),
        name="business-invitations",
    ),
    path(
        "business/<uuid:pk>/invitations/<uuid:invitation_id>/",
        views.InvitationView.as_view(),
        name="business-invitation",
    ),
    path("me/invitations/", views.MyInvitationsView.as_view(), name="my-invitations"),
    path(
        "me/invitations/<uuid:pk>/accept/",
        views.AcceptInvitationView.as_view(),
        name="my-invitation-accept",
    ),
    path(
        "me/invitations/<uuid:pk>/decline/",
        views.DeclineInvitationView.as_view(),
        name="my-invitation-decline",
    ),
]
