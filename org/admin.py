from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from .models import Department, Region, User

admin.site.site_header = _("重大项目建设管理平台 · 系统管理")
admin.site.site_title = _("系统管理")


class RegionLimitedAdmin(SimpleHistoryAdmin):
    """Foreign keys to regions and departments offer only the admin's own subtree."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        related = db_field.related_model
        if related in (Region, Department):
            kwargs["queryset"] = related.objects.visible_to(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Region)
class RegionAdmin(RegionLimitedAdmin):
    list_display = ["code", "name", "kind", "parent"]
    list_filter = ["kind"]
    search_fields = ["code", "name"]
    list_select_related = ["parent"]

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)


@admin.register(Department)
class DepartmentAdmin(RegionLimitedAdmin):
    list_display = ["name", "short_name", "region"]
    search_fields = ["name", "region__name"]
    list_select_related = ["region"]


@admin.register(User)
class UserAdmin(BaseUserAdmin, RegionLimitedAdmin):
    list_display = ["username", "full_name", "role", "region", "department", "is_active", "last_login"]
    list_filter = ["role", "is_active"]
    search_fields = ["username", "full_name", "phone"]
    list_select_related = ["region", "department"]
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        (_("个人信息"), {"fields": ["full_name", "title", "phone", "email"]}),
        (_("角色与范围"), {"fields": ["role", "region", "department", "enterprise_name", "credit_code"]}),
        (_("权限"), {"fields": ["is_active", "is_staff", "is_superuser"]}),
        (_("重要日期"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"fields": ["username", "password1", "password2"]}),
        (_("角色与范围"), {"fields": ["full_name", "role", "region", "department", "enterprise_name", "credit_code"]}),
    ]
    readonly_fields = ["last_login", "date_joined"]

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)

    def get_readonly_fields(self, request, obj=None):
        # Only a superuser makes superusers: a regional admin would otherwise lift anyone out of its region.
        fields = super().get_readonly_fields(request, obj)
        return fields if request.user.is_superuser else [*fields, "is_superuser"]
