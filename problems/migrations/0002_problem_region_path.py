from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def copy_paths(apps, schema_editor):
    Problem = apps.get_model("problems", "Problem")
    Project = apps.get_model("projects", "Project")
    path = Project.objects.filter(pk=OuterRef("project_id")).values("region__path")[:1]
    Problem.objects.update(region_path=Subquery(path))


class Migration(migrations.Migration):
    dependencies = [
        ("problems", "0001_initial"),
        ("projects", "0003_change_control_and_suspensions"),
    ]

    operations = [
        migrations.AddField(
            model_name="problem",
            name="region_path",
            field=models.CharField(default="", editable=False, max_length=255),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="historicalproblem",
            name="region_path",
            field=models.CharField(default="", editable=False, max_length=255),
            preserve_default=False,
        ),
        migrations.RunPython(copy_paths, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="problem",
            index=models.Index(fields=["deadline", "id"], name="problem_deadline"),
        ),
        migrations.AddIndex(
            model_name="problem",
            index=models.Index(fields=["status", "deadline", "region_path"], name="problem_open_in_region"),
        ),
    ]
