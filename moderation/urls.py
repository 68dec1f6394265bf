from django.urls import path

from . import views

urlpatterns = [
    path("moderation/queue/", views.QueueView.as_view(), name="moderation-queue"),
    path(
        "moderation/listings/<str:pk>/approve/",
        views.ApproveView.as_view(),
        name="moderation-approve",
    ),
    path(
        "moderation/listings/<str:pk>/reject/", views.RejectView.as_view(), name="moderation-reject"
    ),
    path(
        "moderation/listings/<str:pk>/dismiss-reports/",
        views.DismissReportsView.as_view(),
        name="moderation-dismiss-reports",
    ),
    path(
        "moderation/listings/<str:pk>/events/",
        views.HistoryView.as_view(),
        name="moderation-events",
    ),
]
