"""Load the default approval checklists (产业类, 基础设施类); what the data migration does on a new database."""

from django.core.management.base import BaseCommand

from approvals.defaults import load_defaults
from approvals.models import ApprovalTemplate, ApprovalTemplateItem


class Command(BaseCommand):
    help = (
        "Create the default approval templates and any of their items that are missing. "
        "Templates and items that exist are left as the admin edited them."
    )

    def handle(self, *args, **options):
        templates, items = load_defaults(ApprovalTemplate, ApprovalTemplateItem)
        self.stdout.write(f"Approval templates: {templates} created, {items} items created.")
