from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from .selectors import legal_documents_in_force
from .serializers import LegalDocumentSerializer


class LegalDocumentsView(APIView):
    permission_classes = (AllowAny,)
    authentication_classes = ()

    @extend_schema(responses=LegalDocumentSerializer(many=True), operation_id="legal_documents")
    def get(self, request: Request) -> Response:
        return Response(LegalDocumentSerializer(legal_documents_in_force(), many=True).data)
