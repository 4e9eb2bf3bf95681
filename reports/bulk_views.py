"""批量填报: the Excel round trip for units that will not use the web (see reports/bulk.py).

Coordinators and admins only (403 for other roles); an upload belongs to the region of
the coordinator who made it, and another region's upload is 404.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lib.export import FORMATS
from lib.forms import BootstrapForm

from . import bulk
from .models import BulkUpload

RECENT_UPLOADS = 10


class PeriodForm(BootstrapForm):
    year = forms.IntegerField(label=gettext_lazy("年度"), min_value=2000, max_value=2100)
    month = forms.IntegerField(label=gettext_lazy("月份"), min_value=1, max_value=12)

    def clean(self):
        cleaned = super().clean()
        today = timezone.localdate()
        chosen = (cleaned.get("year") or 0, cleaned.get("month") or 0)
        if chosen > (today.year, today.month):
            self.add_error(None, _("不能填报未来月份。"))
        return cleaned

    @classmethod
    def from_query(cls, query) -> "PeriodForm":
        """The period in the query string, this month when none is given."""
        today = timezone.localdate()
        data = {"year": query.get("year", today.year), "month": query.get("month", today.month)}
        return cls(data)


class UploadForm(PeriodForm):
    file = forms.FileField(
        label=gettext_lazy("填好的 Excel 文件（.xlsx，不超过 5 MB）"),
        widget=forms.ClearableFileInput(
            attrs={"accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
        ),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.workbook = None
        self.result: bulk.CheckResult | None = None
        self.fields["year"].widget = self.fields["month"].widget = forms.HiddenInput()

    def clean_file(self):
        upload = self.cleaned_data["file"]
        self.workbook = bulk.open_workbook(upload)
        return upload

    def clean(self):
        cleaned = super().clean()
        if self.workbook is None:
            return cleaned
        try:
            if not self.errors:
                self.result = bulk.check_workbook(self.workbook, self.user, cleaned["year"], cleaned["month"])
        except ValidationError as exc:
            self.add_error("file", exc)
        finally:
            self.workbook.close()  # read-only workbooks keep the file open until closed
        return cleaned

    def save(self) -> BulkUpload:
        return BulkUpload.objects.create(
            region=self.user.region,
            year=self.cleaned_data["year"],
            month=self.cleaned_data["month"],
            file_name=self.cleaned_data["file"].name[:200],
            rows=self.result.rows,
            errors=self.result.errors,
            by=self.user,
        )


class ApplyForm(forms.Form):
    confirm_over_total = forms.BooleanField(required=False)


def _require_coordinator(request) -> None:
    # An upload belongs to a region; a platform superuser without one has nowhere to file it.
    if not request.user.can_edit_projects or request.user.region_id is None:
        raise PermissionDenied


def _get_upload(request, pk: int) -> BulkUpload:
    """The one access check for an upload: another region's is 404, a role that may not import 403."""
    uploads = BulkUpload.objects.filter(region_id=request.user.region_id).select_related("by")
    upload = get_object_or_404(uploads, pk=pk)
    _require_coordinator(request)
    return upload


def _page_url(year: int, month: int) -> str:
    return f"{reverse('reports:bulk_upload')}?year={year}&month={month}"


@login_required
@require_http_methods(["GET", "POST"])
def bulk_upload(request):
    """The 批量填报 page: choose the month, download the template, upload the filled file."""
    _require_coordinator(request)
    period = PeriodForm.from_query(request.GET)
    year, month = _chosen(period)
    initial = {"year": year, "month": month}
    form = UploadForm(request.POST or None, request.FILES or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        upload = form.save()
        _report_check(request, form.result)
        return redirect("reports:bulk_review", pk=upload.pk)
    if request.method == "POST":
        year, month = _chosen(form)
    context = {
        "period": period,
        "form": form,
        "year": year,
        "month": month,
        "uploads": BulkUpload.objects.filter(region_id=request.user.region_id)
        .defer("rows", "errors")
        .select_related("by")[:RECENT_UPLOADS],
    }
    return render(request, "reports/bulk_upload.html", context, status=400 if request.method == "POST" else 200)


def _chosen(form: PeriodForm) -> tuple[int, int]:
    """The valid period of the form, else this month."""
    if form.is_bound and not form.errors.get("year") and not form.errors.get("month") and not form.non_field_errors():
        return form.cleaned_data["year"], form.cleaned_data["month"]
    today = timezone.localdate()
    return today.year, today.month


def _report_check(request, result: bulk.CheckResult) -> None:
    counts = {"ok": len(result.rows), "errors": len({e["row"] for e in result.errors}), "skipped": result.skipped}
    messages.info(request, _("已校验：可导入 %(ok)s 行，有错误 %(errors)s 行，未填写跳过 %(skipped)s 行。") % counts)


@login_required
@require_GET
def bulk_template(request):
    """The workbook of the region's reporting projects for the month, fill columns prefilled from drafts."""
    _require_coordinator(request)
    period = PeriodForm.from_query(request.GET)
    if not period.is_valid():
        messages.error(request, " ".join(period.non_field_errors()) or _("填报期有误。"))
        return redirect("reports:bulk_upload")
    year, month = period.cleaned_data["year"], period.cleaned_data["month"]
    body = bulk.write_template(request.user, year, month)
    response = HttpResponse(body, content_type=FORMATS["xlsx"])
    filename = bulk.template_filename(request.user.region, year, month)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


@login_required
@require_GET
def bulk_review(request, pk: int):
    """The dry run: what will be saved, and the errors by row and column."""
    return _render_review(request, _get_upload(request, pk))


def _render_review(request, upload: BulkUpload, *, refusal: str = "", status: int = 200):
    blocked = bulk.refusal(upload)
    context = {
        "upload": upload,
        "refusal": refusal,
        "can_apply": not blocked,
        "blocked": blocked if upload.status == BulkUpload.Status.CHECKED else "",
        "warnings": [row for row in upload.rows if row["warning"]],
        "period": bulk.period_label(upload.year, upload.month),
    }
    return render(request, "reports/bulk_review.html", context, status=status)


@login_required
@require_POST
def bulk_apply(request, pk: int):
    upload = _get_upload(request, pk)
    form = ApplyForm(request.POST)
    form.is_valid()
    try:
        result = bulk.apply_upload(upload, request.user, confirmed=form.cleaned_data["confirm_over_total"])
    except bulk.ApplyError as exc:
        if exc.errors:
            bulk.store_errors(upload, exc.errors)
        return _render_review(request, upload, refusal=_("未保存任何数据：%(why)s") % {"why": exc.message}, status=400)
    messages.success(
        request,
        _("已导入并提交 %(total)s 份月报（新建 %(created)s 份，更新 %(updated)s 份），已进入审核队列。")
        % {"total": result.total, "created": result.created, "updated": result.updated},
    )
    return redirect("reports:bulk_review", pk=upload.pk)


@login_required
@require_POST
def bulk_discard(request, pk: int):
    upload = _get_upload(request, pk)
    if not bulk.discard(upload):
        messages.error(request, _("该文件%(status)s，不能放弃。") % {"status": upload.get_status_display()})
        return redirect("reports:bulk_review", pk=upload.pk)
    messages.success(request, _("已放弃该文件，未保存任何数据。"))
    return redirect(_page_url(upload.year, upload.month))


urlpatterns = [
    path("bulk/", bulk_upload, name="bulk_upload"),
    path("bulk/template/", bulk_template, name="bulk_template"),
    path("bulk/<int:pk>/", bulk_review, name="bulk_review"),
    path("bulk/<int:pk>/apply/", bulk_apply, name="bulk_apply"),
    path("bulk/<int:pk>/discard/", bulk_discard, name="bulk_discard"),
]
