from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Oc4idsConfig(AppConfig):
    name = "oc4ids"
    verbose_name = _("OC4IDS 数据交换")
