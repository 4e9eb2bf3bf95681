"""Recompute a project's colour for the running month when one of its inputs changes.

The inputs that live outside reports are the project itself (stage, planned start,
archived) and its annual plans. Bulk writes (the demo, imports) send no signals and
recompute the region once at the end instead.
"""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from projects.models import AnnualPlan, Project

from .colours import current_month, recompute_after_commit


@receiver(post_save, sender=Project, dispatch_uid="colour_on_project_save")
def project_saved(sender, instance: Project, raw=False, **kwargs):
    if not raw:
        recompute_after_commit([instance.pk], *current_month())


@receiver([post_save, post_delete], sender=AnnualPlan, dispatch_uid="colour_on_plan_change")
def annual_plan_changed(sender, instance: AnnualPlan, raw=False, **kwargs):
    if not raw and instance.year == current_month()[0]:
        recompute_after_commit([instance.project_id], *current_month())
