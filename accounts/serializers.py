from rest_framework import serializers

from .models import ConsentKind


class LegalDocumentSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ConsentKind.choices)
    version = serializers.CharField()
    title = serializers.CharField()
    url = serializers.URLField()
    is_required = serializers.BooleanField(source="required")
