from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.views.decorators.http import require_GET

from .forms import PasswordChangeForm

login = auth_views.LoginView.as_view(redirect_authenticated_user=True)
logout = auth_views.LogoutView.as_view()
password_change = auth_views.PasswordChangeView.as_view(form_class=PasswordChangeForm)
password_change_done = auth_views.PasswordChangeDoneView.as_view()


@login_required
@require_GET
def home(request):
    return redirect("projects:list")
