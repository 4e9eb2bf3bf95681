"""Issue the API token of a user (or show, rotate or revoke it): ``manage.py api_token <username>``.

The token alone goes to standard output, so a script can capture it; other systems send it as
``Authorization: Token <key>``. Administrators can also issue tokens on the admin site (API 令牌).
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from rest_framework.authtoken.models import Token

from org.models import User


class Command(BaseCommand):
    help = "Print a user's API token, creating it if the user has none (--rotate: a new one; --revoke: none)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        change = parser.add_mutually_exclusive_group()
        change.add_argument("--rotate", action="store_true", help="replace the token: the old one stops working")
        change.add_argument("--revoke", action="store_true", help="delete the token: the API refuses it from now on")

    @transaction.atomic
    def handle(self, username: str, rotate: bool = False, revoke: bool = False, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        if revoke:
            deleted, _ = Token.objects.filter(user=user).delete()
            self.stderr.write(f"Token of {username} revoked." if deleted else f"{username} had no token.")
            return
        if not user.is_active:
            raise CommandError(f"{username} is inactive: an inactive user's token is refused anyway.")
        if rotate:
            Token.objects.filter(user=user).delete()
        token, created = Token.objects.get_or_create(user=user)
        self.stdout.write(token.key)
