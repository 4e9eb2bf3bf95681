from django.contrib.auth.forms import PasswordChangeForm as BasePasswordChangeForm

from lib.forms import BootstrapMixin


class PasswordChangeForm(BootstrapMixin, BasePasswordChangeForm):
    pass
