"""The admin: chain links and signing targets are managed here too; leads and agreements move only through their
screens (which keep the moves and the figures consistent), so the admin reads them."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Agreement, ChainLink, Lead, SigningTarget, TargetEnterprise


class ScopedAdmin(SimpleHistoryAdmin):
    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)


@admin.register(ChainLink)
class ChainLinkAdmin(SimpleHistoryAdmin):
    list_display = ["name", "chain", "position", "sort_order"]
    list_filter = ["position"]
    search_fields = ["name", "chain__name"]
    list_select_related = ["chain"]

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)


@admin.register(SigningTarget)
class SigningTargetAdmin(ScopedAdmin):
    list_display = ["region", "year", "amount"]
    list_filter = ["year"]
    list_select_related = ["region"]


@admin.register(TargetEnterprise)
class TargetEnterpriseAdmin(ScopedAdmin):
    list_display = ["name", "region", "credit_code", "contact_status", "is_local"]
    list_filter = ["contact_status", "is_leading", "is_specialised", "is_listed", "is_local"]
    search_fields = ["name", "credit_code"]
    list_select_related = ["region"]


class ReadOnlyAdmin(ScopedAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Lead)
class LeadAdmin(ReadOnlyAdmin):
    list_display = ["name", "enterprise", "region", "stage", "intended_investment"]
    list_filter = ["stage"]
    search_fields = ["name", "enterprise__name"]
    list_select_related = ["enterprise", "region"]


@admin.register(Agreement)
class AgreementAdmin(ReadOnlyAdmin):
    list_display = ["name", "region", "signed_on", "contracted_investment", "agreed_start_on"]
    search_fields = ["name"]
    list_select_related = ["region"]
