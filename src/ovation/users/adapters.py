from allauth.account.adapter import DefaultAccountAdapter


class AccountAdapter(DefaultAccountAdapter):
    """Staff accounts are created by an admin (`ovation user create`); nobody signs up."""

    def is_open_for_signup(self, request):
        return False
