"""Keep each problem's copy of its project's region path (``Problem.region_path``) true."""

from django.db.models.signals import post_save
from django.dispatch import receiver

from projects.models import Project

from .models import Problem


@receiver(post_save, sender=Project, dispatch_uid="problem_region_path_on_project_save")
def project_saved(sender, instance: Project, created=False, raw=False, **kwargs):
    if not (raw or created):
        Problem.sync_region_path(instance)
