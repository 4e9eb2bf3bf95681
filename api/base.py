"""What every API view shares: the user's region scope, the order of refusals, the rules per action.

The order a request is refused in: no valid login 401 (a wrong token 429 once its address passed the anonymous
rate), a method the URL does not take 405, an action the user's role may not call 403, over the user's rate 429, an
object outside the user's region subtree 404, an object the user may see but not change 403, bad input 400
(see ``api.permissions``).
"""

from contextlib import ExitStack

from rest_framework import renderers, viewsets
from rest_framework.exceptions import AuthenticationFailed, MethodNotAllowed
from rest_framework.permissions import IsAuthenticated

from lib.scoping import user_scope

from .filters import ScopedFilterBackend
from .permissions import ActionRules


class ReadOnlyBrowsableRenderer(renderers.BrowsableAPIRenderer):
    """The browsable API for reading (lists with their filters, details); writes go through the documentation
    page or a client, so no HTML forms are built for them."""

    def show_form_for_method(self, view, method, request, obj) -> bool:
        return False


class ScopedApiMixin:
    """Runs the request in its user's region scope, a token user's too.

    The scope middleware runs before DRF knows a token's user, so it cannot; the response is rendered inside
    the scope as well, since the browsable API's filter forms query scoped rows.
    """

    def dispatch(self, request, *args, **kwargs):
        with ExitStack() as self._scope:
            response = super().dispatch(request, *args, **kwargs)
            return response.render() if callable(getattr(response, "render", None)) else response

    def initial(self, request, *args, **kwargs):
        self.perform_authentication(request)
        self._scope.enter_context(user_scope(request.user))
        if request.user.is_authenticated and not self._takes(request.method):
            raise MethodNotAllowed(request.method)
        super().initial(request, *args, **kwargs)

    def perform_authentication(self, request):
        try:
            super().perform_authentication(request)
        except AuthenticationFailed:
            # A wrong token costs a query and may be a guess: it counts against its address's anonymous rate.
            # (A request without credentials is refused before any query, and DRF checks rates only after the
            # permissions, so those are never counted.)
            self.check_throttles(request)
            raise

    def _takes(self, method: str) -> bool:
        name = method.lower()
        return name in self.http_method_names and hasattr(self, name)


class ApiViewSet(ScopedApiMixin, viewsets.GenericViewSet):
    """A viewset over the user's visible rows: ``visible(user)`` for lists, ``reachable(user)`` for one object
    (the screens sometimes find an object the user may not read, to answer 403 instead of 404), ``rules`` per
    action, the screens' FilterSet as ``filterset_class``."""

    renderer_classes = [renderers.JSONRenderer, ReadOnlyBrowsableRenderer]
    permission_classes = [IsAuthenticated, ActionRules]
    filter_backends = [ScopedFilterBackend]
    rules: dict = {}
    model = None

    def visible(self, user):
        raise NotImplementedError

    def reachable(self, user):
        return self.visible(user)

    def filter_queryset(self, queryset):
        # One object is looked up among all visible rows: the list's filters (archived projects hidden by
        # default, say) must not make it a 404.
        return queryset if self.detail else super().filter_queryset(queryset)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator: no user, no rows
            return self.model._base_manager.none()
        if self.detail:
            return self.reachable(self.request.user)
        return self.visible(self.request.user)
