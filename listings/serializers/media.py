"""A listing's media item as the API shows it."""

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..models import ListingMedia


def absolute(request: Any, field: Any) -> str | None:
    return request.build_absolute_uri(field.url) if field else None


class MediaSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    poster_url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()
    duration_s = serializers.FloatField(allow_null=True, read_only=True)

    class Meta:
        model = ListingMedia
        fields = (
            "id",
            "kind",
            "url",
            "poster_url",
            "thumbnail_url",
            "duration_s",
            "position",
            "processing",
        )
        read_only_fields = fields

    @extend_schema_field(serializers.URLField())
    def get_url(self, media: ListingMedia) -> str:
        # The H.264 rendition, once made, is what every client can play.
        return str(absolute(self.context["request"], media.rendition or media.file))

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_poster_url(self, media: ListingMedia) -> str | None:
        return absolute(self.context["request"], media.poster)

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_thumbnail_url(self, media: ListingMedia) -> str | None:
        return absolute(self.context["request"], media.thumbnail)
