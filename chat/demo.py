"""Demo chat for `seed_demo`: demo buyers asking about the catalogue's active listings, a few
messages each way, one thread with each demo business. Opened and written through
chat.services, as the app does. Idempotent: a thread that exists (one per listing and buyer) is
left as it is."""

from typing import Any

from django.core.management.base import OutputWrapper

THREADS = 20

# (side, text) in turn, by category: the buyer opens, the seller side answers.
CONVERSATIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "car": (
        ("buyer", "Здравствуйте! Машина ещё продаётся?"),
        ("seller", "Да, продаётся. Можно посмотреть сегодня после шести."),
        ("buyer", "Торг у машины возможен? И на проверку по VIN согласны?"),
        ("seller", "Небольшой торг есть, VIN пришлю в чат."),
    ),
    "horse": (
        ("buyer", "Салам! Ат сатыладыбы? Сколько ему лет, к седлу приучен?"),
        ("seller", "Сатылат. Приучен, спокойный. Ветпаспорт и прививки есть."),
        ("buyer", "Можно видео, как он идёт под седлом?"),
    ),
    "real_estate": (
        ("buyer", "Добрый день, объявление ещё актуально?"),
        ("seller", "Актуально. Когда вам удобно посмотреть?"),
        ("buyer", "Завтра в обед подойдёт. Документы на руках?"),
        ("seller", "Да, всё готово к сделке. Жду вас."),
    ),
}


def seed_chat(out: OutputWrapper) -> None:
    from accounts.models import User
    from listings.demo.catalogue import DEMO_USERS
    from listings.models import Listing, Status
    from listings.selectors import listing_is_seller_side

    from .models import Side
    from .services import message_send, thread_open

    buyers = list(
        User.objects.filter(phone__in=[phone for phone, _, _ in DEMO_USERS]).order_by("phone")
    )
    active = (
        Listing.objects.filter(client_id__startswith="demo-catalogue-", status=Status.ACTIVE)
        .select_related("business")
        .order_by("client_id", "pk")
    )
    # One thread with each business, the rest with private sellers.
    first_of_business: dict[Any, Listing] = {}
    for listing in active.filter(business__isnull=False):
        first_of_business.setdefault(listing.business_id, listing)
    listings = [
        *first_of_business.values(),
        *active.filter(business__isnull=True)[: THREADS - len(first_of_business)],
    ]
    created = 0
    for number, listing in enumerate(listings):
        # The next demo user in turn who is not on the listing's seller side.
        turn = buyers[number:] + buyers[:number]
        buyer = next(u for u in turn if not listing_is_seller_side(user=u, listing=listing))
        thread, is_new = thread_open(buyer=buyer, listing_id=listing.pk)
        if not is_new:
            continue
        created += 1
        for index, (side, text) in enumerate(CONVERSATIONS[listing.category]):
            sender = buyer if side == Side.BUYER else listing.author
            message_send(
                thread=thread, side=Side(side), sender=sender, body=text, client_id=f"demo-{index}"
            )
    out.write(f"  chat threads: {created} opened, {len(listings) - created} existed")


def seed_demo_buyer_chat(out: OutputWrapper) -> None:
    """The demo buyer asks the demo seller about their live listing: both have a chat to open."""
    from accounts.demo import DEMO_BUYER_PHONE
    from accounts.models import User
    from listings.models import Listing, Status

    from .models import Side
    from .services import message_send, thread_open

    listing = Listing.objects.filter(client_id="demo-seller-0", status=Status.ACTIVE).first()
    if listing is None:
        return
    buyer = User.objects.get(phone=DEMO_BUYER_PHONE)
    thread, is_new = thread_open(buyer=buyer, listing_id=listing.pk)
    if is_new:
        for index, (side, text) in enumerate(CONVERSATIONS[listing.category]):
            sender = buyer if side == Side.BUYER else listing.author
            message_send(
                thread=thread, side=Side(side), sender=sender, body=text, client_id=f"demo-{index}"
            )
    out.write(f"  demo buyer's chat: {'opened' if is_new else 'existed'}")


def chat_facts(user: Any) -> str:
    """The demo table's "2 chats" for a user."""
    from .selectors import threads_of_user

    count = threads_of_user(user).count()
    return f"{count} chat{'s' if count != 1 else ''}" if count else ""
