"""The region scope guard.

Every model that belongs to a region uses a django-scopes ``ScopedManager`` on the
``region`` dimension. This middleware activates that dimension with the user's
region path for the whole request, so a query that forgot ``visible_to(user)``
still cannot reach outside the user's subtree, and a query made with no scope at
all (a management command or a test that forgot ``scopes_disabled()``) raises
``ScopeError`` instead of silently reading every region.
"""

from contextlib import nullcontext

from django_scopes import scope, scopes_disabled


def user_scope(user):
    """The scope context a request by ``user`` runs in."""
    if not user.is_authenticated:
        return nullcontext()
    if user.region_id is None:
        # Only a superuser made by createsuperuser has no region: platform-wide.
        return scopes_disabled() if user.is_superuser else scope(region="/nowhere/")
    return scope(region=user.region.path)


class RegionScopeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with user_scope(request.user):
            return self.get_response(request)
