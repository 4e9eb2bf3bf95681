from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from .forms import PasswordChangeForm
from .models import Role

login = auth_views.LoginView.as_view(redirect_authenticated_user=True)
logout = auth_views.LogoutView.as_view()
password_change = auth_views.PasswordChangeView.as_view(form_class=PasswordChangeForm)
password_change_done = auth_views.PasswordChangeDoneView.as_view()


# Where each role starts: the page its work begins on; everyone else the dashboard of their region.
START_PAGES = {
    Role.REPORTER: "reports:mine",
    Role.HANDLER: "problems:inbox",
    Role.PROMOTER: "attraction:mine",
    Role.ENTERPRISE: "problems:requests",
}


@login_required
@require_GET
def home(request):
    return redirect(START_PAGES.get(request.user.role, "dashboards:index"))


@login_required
@require_GET
def notifications(request):
    """The user's own messages, newest first; unread ones highlighted."""
    paginator = Paginator(request.user.notifications.all(), settings.NOTIFICATION_PAGE_SIZE)
    return render(request, "org/notifications.html", {"page": paginator.get_page(request.GET.get("page"))})


@login_required
@require_POST
def notifications_read(request):
    request.user.notifications.unread().update(read_at=timezone.now())
    return redirect("notifications")
