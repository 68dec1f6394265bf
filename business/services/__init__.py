"""Every write to a business, its team and its subscription.

Locks are taken in one order everywhere: the user (account deletion, a new business), then
the business row, then its memberships, invitations and orders, then its listings (through
`business.hooks`). A payment's own row comes before all of these (promotions' webhook).
"""
