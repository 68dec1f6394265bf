"""Demo businesses for `seed_demo`: a car dealer in Bishkek and a real-estate agency in Osh,
each with an admin and a seller who joined by invitation (the agency also has an invitation
still waiting). Their listings come from `listings` (listings/demo/businesses.py).
Idempotent: a business that exists (by its slug) is left alone."""

from django.core.management.base import OutputWrapper
from django.utils.text import slugify

from accounts.demo import DemoAccount
from accounts.models import User

# name, city, description, phone, (admin phone, name), (seller phone, name), pending phone
BUSINESSES = (
    (
        "Asia Motors Bishkek",
        "Бишкек",
        "Автосалон на Южной магистрали: японские и корейские автомобили с пробегом, "
        "проверка по VIN, кредит и трейд-ин.",
        "+996700200001",
        ("+996700200001", "Эрлан"),
        ("+996700200002", "Данияр"),
        None,
    ),
    (
        "Ош Недвижимость",
        "Ош",
        "Агентство недвижимости: квартиры, дома и участки в Оше и Ноокате, сопровождение сделок.",
        "+996770200003",
        ("+996770200003", "Гульнара"),
        ("+996770200004", "Айбек"),
        "+996770200005",
    ),
)


def demo_slug(name: str) -> str:
    return slugify(name, allow_unicode=True)


def seed_businesses(out: OutputWrapper) -> None:
    from .models import Business, MemberRole
    from .services.profile import business_create
    from .services.team import invitation_accept, invitation_create

    created = 0
    for name, city, description, phone, admin, seller, pending in BUSINESSES:
        if Business.objects.filter(slug=demo_slug(name)).exists():
            continue
        owner, _ = User.objects.get_or_create(phone=admin[0], defaults={"display_name": admin[1]})
        member, _ = User.objects.get_or_create(
            phone=seller[0], defaults={"display_name": seller[1]}
        )
        business = business_create(
            owner=owner,
            data={"name": name, "city": city, "description": description, "phone": phone},
        )
        invitation = invitation_create(
            business=business, actor=owner, phone=member.phone, role=MemberRole.SELLER
        )
        invitation_accept(user=member, invitation_id=invitation.pk)
        if pending:
            invitation_create(business=business, actor=owner, phone=pending, role=MemberRole.SELLER)
        created += 1
    out.write(f"  businesses: {created} created, {len(BUSINESSES) - created} existed")


def demo_business_accounts() -> list[DemoAccount]:
    return [
        account
        for _name, _city, _description, _phone, admin, seller, _pending in BUSINESSES
        for account in (
            DemoAccount(admin[0], "business admin"),
            DemoAccount(seller[0], "business seller"),
        )
    ]
