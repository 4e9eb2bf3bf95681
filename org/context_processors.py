from django.utils.functional import SimpleLazyObject

from .models import Notification
from .navigation import sections_for


def unread_notifications(request) -> dict:
    """The unread count for the navigation badge: one COUNT, and only when a template shows it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": SimpleLazyObject(lambda: Notification.objects.filter(user=user).unread().count())}


def navigation(request) -> dict:
    """The sections of the navigation bar this user is offered."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    namespace = request.resolver_match.namespace if getattr(request, "resolver_match", None) else ""
    return {"nav_sections": SimpleLazyObject(lambda: sections_for(user, namespace))}
