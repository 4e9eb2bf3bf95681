"""API tokens on the admin site: an administrator issues a token by choosing a user (系统管理 → 令牌).

DRF's own token admin lists every token; this one keeps a regional administrator to the users of its own
region subtree, as the user admin does (``User.objects.visible_to``).
"""

from django.contrib import admin
from rest_framework.authtoken.admin import TokenAdmin as BaseTokenAdmin  # registers DRF's admin first
from rest_framework.authtoken.models import TokenProxy

from org.models import User

admin.site.unregister(TokenProxy)


@admin.register(TokenProxy)
class TokenAdmin(BaseTokenAdmin):
    list_select_related = ["user"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(user__in=User.objects.visible_to(request.user))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":
            kwargs["queryset"] = User.objects.visible_to(request.user).filter(is_active=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
