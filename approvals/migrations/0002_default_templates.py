from django.db import migrations


def load(apps, schema_editor):
    from approvals.defaults import load_defaults

    load_defaults(apps.get_model("approvals", "ApprovalTemplate"), apps.get_model("approvals", "ApprovalTemplateItem"))


class Migration(migrations.Migration):
    dependencies = [("approvals", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
