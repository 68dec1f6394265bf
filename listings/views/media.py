"""A listing's media: upload, reorder, delete. Seller side only; 404 for everyone else."""

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import request_user
from accounts.exceptions import ImageTooLarge
from core.api import validated
from core.parsers import JSONParser
from core.schema import error_codes

from ..exceptions import MediaLimitReached, VideoTooLong
from ..models import MediaKind
from ..selectors import listing_get_for_editor
from ..serializers import MediaSerializer
from ..services.media import media_add, media_delete, media_move


class MediaUploadSerializer(serializers.Serializer):
    file = serializers.FileField(
        allow_empty_file=False,
        help_text="Video: MP4, MOV or WebM up to 200 MB. Photo or 360° panorama: JPEG, PNG or "
        "WebP up to 15 MB. The type is read from the bytes, not from the name.",
    )
    kind = serializers.ChoiceField(choices=MediaKind.choices)
    position = serializers.IntegerField(
        min_value=0, required=False, help_text="Where to insert it; by default, last."
    )


class MediaMoveSerializer(serializers.Serializer):
    position = serializers.IntegerField(
        min_value=0, help_text="The new position, from 0; past the end means last."
    )


def _item(request: Request, media: Any, code: int = status.HTTP_200_OK) -> Response:
    return Response(MediaSerializer(media, context={"request": request}).data, status=code)


class ListingMediaView(APIView):
    parser_classes = (MultiPartParser,)
    throttle_scope = "upload"

    @extend_schema(
        request={"multipart/form-data": MediaUploadSerializer},
        responses={201: MediaSerializer},
        operation_id="listings_media_create",
        summary="Upload a video, photo or 360° panorama",
        description="Seller side only. The type is read from the bytes (415); too big: 413. "
        "A video over 180 s or 10,800 frames: `video_too_long` (with `max_duration_s`); a "
        "picture over 40 MP: `image_too_large` (with `max_pixels`); at most 1 video, 20 images "
        "and 5 panoramas: `media_limit_reached`. A video's poster, duration and H.264 "
        "rendition are made in the background. A 503 when the server is busy decoding other "
        "pictures: send it again shortly.",
    )
    @error_codes(VideoTooLong, ImageTooLarge, MediaLimitReached)
    def post(self, request: Request, listing_id: Any) -> Response:
        listing = listing_get_for_editor(user=request.user, listing_id=listing_id)
        data = validated(MediaUploadSerializer, request)
        media = media_add(
            listing=listing,
            actor=request_user(request),
            kind=data["kind"],
            upload=data["file"],
            position=data.get("position"),
        )
        return _item(request, media, status.HTTP_201_CREATED)


class ListingMediaItemView(APIView):
    parser_classes = (JSONParser,)

    @extend_schema(
        request=MediaMoveSerializer,
        responses=MediaSerializer,
        operation_id="listings_media_move",
        summary="Move a media item",
        description="Seller side only: the item takes `position`, the others shift.",
    )
    def patch(self, request: Request, listing_id: Any, media_id: Any) -> Response:
        listing = listing_get_for_editor(user=request.user, listing_id=listing_id)
        data = validated(MediaMoveSerializer, request)
        media = media_move(
            listing=listing,
            media_id=media_id,
            actor=request_user(request),
            position=data["position"],
        )
        return _item(request, media)

    @extend_schema(
        responses={204: OpenApiResponse(description="Deleted, with its files.")},
        operation_id="listings_media_delete",
        summary="Delete a media item",
        description="Seller side only; the item's files go with it.",
    )
    def delete(self, request: Request, listing_id: Any, media_id: Any) -> Response:
        listing = listing_get_for_editor(user=request.user, listing_id=listing_id)
        media_delete(listing=listing, media_id=media_id, actor=request_user(request))
        return Response(status=status.HTTP_204_NO_CONTENT)
