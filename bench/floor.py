"""The benchmark's floor: the feed's first page with PostgreSQL building the whole JSON.

The same rows as `GET /api/v1/listings/feed/` (active listings published by now, those boosted
now first, then the rest, newest first in each; 20 of them) and the same card fields, joined
and serialised by one SQL statement (`json_agg`) and handed back as a plain HttpResponse by a
sync function view behind the same middleware. No ORM, no DRF, no Python per row: what is
left is the cost of Django, the server and the query, which is what the real endpoint is
compared to. It returns no `next` cursor.
"""

from typing import Any

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

PAGE_SIZE = 20

_COLUMNS = (
    "l.id, l.author_id, l.business_id, l.category, l.title, l.price, l.currency, l.price_kgs,"
    " l.price_kzt, l.price_usd, l.is_negotiable, l.city, l.region, l.boosted_until,"
    " l.views_count, l.favorites_count, l.published_at"
)
_BOOSTED = "l.boost_started_at <= %(pin)s AND l.boosted_until > %(pin)s"

# Built from the constant fragments above only: nothing from a request reaches the text.
FLOOR_SQL = f"""
WITH page AS (
    (SELECT {_COLUMNS}, 0 AS part FROM listings_listing l
     WHERE l.status = 'active' AND l.published_at <= %(pin)s AND {_BOOSTED}
     ORDER BY l.published_at DESC, l.id DESC LIMIT %(size)s)
    UNION ALL
    (SELECT {_COLUMNS}, 1 AS part FROM listings_listing l
     WHERE l.status = 'active' AND l.published_at <= %(pin)s
       AND NOT (l.boost_started_at IS NOT NULL AND l.boosted_until IS NOT NULL AND {_BOOSTED})
     ORDER BY l.published_at DESC, l.id DESC LIMIT %(size)s)
    LIMIT %(size)s
)
SELECT json_build_object(
    'results', coalesce(json_agg(json_build_object(
        'id', p.id,
        'category', p.category,
        'title', p.title,
        'price', p.price::text,
        'currency', p.currency,
        'prices', json_build_object(
            'KGS', p.price_kgs::text, 'KZT', p.price_kzt::text, 'USD', p.price_usd::text),
        'is_negotiable', p.is_negotiable,
        'city', p.city,
        'region', p.region,
        'cover', coalesce((
            SELECT json_build_object('image_url', %(media)s || m.file)
            FROM listings_listingmedia m
            WHERE m.listing_id = p.id AND m.kind IN ('image', 'panorama')
            ORDER BY m.position, m.created_at LIMIT 1), '{{}}'::json),
        'key_details', CASE p.category
            WHEN 'car' THEN json_build_object(
                'make', c.make, 'model', c.model, 'year', c.year, 'mileage_km', c.mileage_km)
            WHEN 'horse' THEN json_build_object(
                'breed', h.breed, 'sex', h.sex,
                'age', extract(year FROM now())::int - h.birth_year)
            ELSE json_build_object(
                'property_type', r.property_type, 'deal_type', r.deal_type,
                'rooms', r.rooms, 'area_m2', r.area_m2::text)
            END,
        'seller', json_build_object(
            'id', u.id, 'display_name', u.display_name, 'avatar_url', NULL,
            'is_business', p.business_id IS NOT NULL,
            'business', CASE WHEN b.id IS NULL THEN NULL ELSE json_build_object(
                'id', b.id, 'name', b.name, 'logo_url', NULL, 'verified', b.verified) END),
        'is_boosted', coalesce(p.boosted_until > now(), false),
        'views_count', p.views_count,
        'favorites_count', p.favorites_count,
        'is_favorited', false,
        'published_at', p.published_at
    ) ORDER BY p.part, p.published_at DESC, p.id DESC), '[]'::json),
    'next', NULL
)::text
FROM page p
JOIN accounts_user u ON u.id = p.author_id
LEFT JOIN business_business b ON b.id = p.business_id
LEFT JOIN listings_cardetails c ON c.listing_id = p.id
LEFT JOIN listings_horsedetails h ON h.listing_id = p.id
LEFT JOIN listings_realestatedetails r ON r.listing_id = p.id
"""  # noqa: S608


def floor_view(request: HttpRequest) -> HttpResponse:
    params: dict[str, Any] = {
        "pin": timezone.now(),
        "size": PAGE_SIZE,
        "media": request.build_absolute_uri(settings.MEDIA_URL),
    }
    with connection.cursor() as cursor:
        cursor.execute(FLOOR_SQL, params)
        row = cursor.fetchone()
    return HttpResponse(row[0], content_type="application/json")
