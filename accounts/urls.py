from django.urls import path

from . import views

urlpatterns = [
    path("legal/documents/", views.LegalDocumentsView.as_view(), name="legal-documents"),
]
