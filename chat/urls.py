from django.urls import path

from . import views

urlpatterns = [
    path("chat/threads/", views.ThreadsView.as_view(), name="chat-threads"),
    path("chat/threads/<str:pk>/messages/", views.MessagesView.as_view(), name="chat-messages"),
    path("chat/threads/<str:pk>/read/", views.ReadView.as_view(), name="chat-read"),
    path("chat/threads/<str:pk>/block/", views.BlockView.as_view(), name="chat-block"),
]
