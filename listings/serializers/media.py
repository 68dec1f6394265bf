"""A listing's media item as the API shows it."""

from typing import Any

from rest_framework import serializers

from ..cards import CardBuilder, Row, media_row
from ..models import ListingMedia


# A media item's shape, for the schema; `media_item` builds it.
class MediaSerializer(serializers.ModelSerializer):
    url = serializers.URLField(read_only=True)
    poster_url = serializers.URLField(allow_null=True, read_only=True)
    thumbnail_url = serializers.URLField(allow_null=True, read_only=True)
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

    def to_representation(self, instance: ListingMedia) -> dict[str, Any]:
        return media_item(media_row(instance), CardBuilder(self.context["request"]))


def media_item(row: Row, builder: CardBuilder) -> dict[str, Any]:
    """A media item (a row of `MEDIA_COLUMNS`) as the API shows it, in plain code: DRF's
    per-field machinery cost a listing's answer more than reading it."""
    storage = builder.media_storage
    return {
        "id": str(row["id"]),
        "kind": row["kind"],
        # The H.264 rendition, once made, is what every client can play.
        "url": str(builder.url(storage, row["rendition"] or row["file"])),
        "poster_url": builder.url(storage, row["poster"]),
        "thumbnail_url": builder.url(storage, row["thumbnail"]),
        "duration_s": None if row["duration_s"] is None else float(row["duration_s"]),
        "position": row["position"],
        "processing": row["processing"],
    }
