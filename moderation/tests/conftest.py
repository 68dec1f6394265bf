from listings.tests.conftest import (  # noqa: F401 - shared fixtures
    author,
    dealer,
    dealer_admin,
    dealer_seller,
    moderator,
    stranger,
)
