from django.utils.functional import SimpleLazyObject

from .models import Notification


def unread_notifications(request) -> dict:
    """The unread count for the navigation badge: one COUNT, and only when a template shows it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": SimpleLazyObject(lambda: Notification.objects.filter(user=user).unread().count())}
