"""The attraction screens' one access check, turning ``models.may_read`` / ``may_edit`` and each queryset's
``visible_to`` into HTTP answers: a role with no business here 403 (before anything is looked up, so an
enterprise learns nothing of what exists), an object outside the user's region subtree 404, a read-only
role writing 403."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from org.models import Region

from .models import may_edit, may_read


def require_reader(request) -> None:
    if not may_read(request.user):
        raise PermissionDenied


def require_editor(request) -> None:
    if not may_edit(request.user):
        raise PermissionDenied


def get_visible(request, queryset, pk: int, *, write: bool = False):
    """The object ``pk`` among those the user sees (404 otherwise); 403 for a write by a read-only role."""
    require_reader(request)
    obj = get_object_or_404(queryset.visible_to(request.user), pk=pk)
    if write:
        require_editor(request)
    return obj


def home_region(user) -> Region | None:
    """The region the user's figures are about: its own (None for a platform superuser)."""
    return user.region if user.region_id else None
