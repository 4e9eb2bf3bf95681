"""Forms of the attraction screens: enterprises, leads and their moves, visits, agreements, funds, targets, links."""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django_scopes.forms import SafeModelChoiceField, SafeModelMultipleChoiceField

from lib.codes import validate_credit_code
from lib.forms import BootstrapForm, BootstrapMixin
from org.models import Department, Region, Role, User
from projects.models import ChainTag
from reports.forms import add_model_errors

from .models import (
    Agreement,
    ChainLink,
    FundArrival,
    Lead,
    LeadStage,
    SigningTarget,
    TargetEnterprise,
    Visit,
    today,
)

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
REQUIRED = {"required": _("请填写此项。")}
DATE_ERRORS = {"required": _("请填写日期。"), "invalid": _("请填写有效的日期。")}
MONEY_ERRORS = {"required": _("请填写金额。"), "invalid": _("请填写数字（万元）。")}


def promoters_for(user: User):
    return User.objects.visible_to(user).filter(role=Role.PROMOTER, is_active=True).order_by("full_name", "username")


def regions_for(user: User):
    return Region.objects.visible_to(user)


class EnterpriseForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = TargetEnterprise
        fields = [
            "name",
            "credit_code",
            "region",
            "headquarters",
            "size",
            "is_leading",
            "is_specialised",
            "is_listed",
            "is_local",
            "chain_links",
            "contact_status",
            "promoter",
            "contact_name",
            "contact_phone",
            "notes",
        ]
        field_classes = {"region": SafeModelChoiceField, "chain_links": SafeModelMultipleChoiceField}
        widgets = {"notes": forms.Textarea(attrs={"rows": 3}), "chain_links": forms.SelectMultiple(attrs={"size": 8})}
        error_messages = {
            "name": {"required": _("请填写企业名称。")},
            "region": {"required": _("请选择所属区划。"), "invalid_choice": _("所选区划不在您的管辖范围内。")},
            "promoter": {"invalid_choice": _("所选招商专员不在您的区划范围内。")},
            "chain_links": {"invalid_choice": _("所选产业链环节不存在或不在您的区划范围内。")},
        }

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions_for(user)
        self.fields["promoter"].queryset = promoters_for(user)
        links = ChainLink.objects.visible_to(user).select_related("chain__region")
        self.fields["chain_links"].queryset = links.order_by(
            "chain__region__path", "chain__name", "position", "sort_order"
        )
        self.fields["chain_links"].label_from_instance = lambda link: (
            f"{link.chain.name}·{link.get_position_display()}·{link.name}"
        )
        self.fields["credit_code"].help_text = _("18 位，按 GB 32100-2015 校验；尚不掌握可暂不填，落地前须补齐。")

    def clean_credit_code(self):
        return self.cleaned_data["credit_code"].strip().upper()

    def clean_name(self):
        return self.cleaned_data["name"].strip()


class LeadForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = Lead
        fields = [
            "name",
            "enterprise",
            "region",
            "intended_investment",
            "category",
            "chain_tags",
            "source",
            "found_on",
            "promoter",
            "department",
            "leader",
            "description",
        ]
        field_classes = {
            "region": SafeModelChoiceField,
            "enterprise": SafeModelChoiceField,
            "department": SafeModelChoiceField,
        }
        widgets = {
            "found_on": DATE,
            "description": forms.Textarea(attrs={"rows": 3}),
            "chain_tags": forms.CheckboxSelectMultiple,
        }
        error_messages = {
            "name": {"required": _("请填写项目名称。")},
            "enterprise": {"required": _("请选择投资企业。"), "invalid_choice": _("所选企业不在您的目标企业库中。")},
            "region": {"required": _("请选择拟落地区划。"), "invalid_choice": _("所选区划不在您的管辖范围内。")},
            "intended_investment": MONEY_ERRORS,
            "found_on": DATE_ERRORS,
            "department": {"invalid_choice": _("所选责任单位不在您的区划范围内。")},
            "leader": {"invalid_choice": _("所选包联领导不在您的区划范围内。")},
            "promoter": {"invalid_choice": _("所选招商专员不在您的区划范围内。")},
        }

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["enterprise"].queryset = TargetEnterprise.objects.visible_to(user).order_by("name")
        self.fields["region"].queryset = regions_for(user)
        self.fields["department"].queryset = Department.objects.visible_to(user).select_related("region")
        self.fields["leader"].queryset = (
            User.objects.around(user.region).leaders() if user.region_id else User.objects.leaders()
        )
        self.fields["promoter"].queryset = promoters_for(user)
        self.fields["chain_tags"].queryset = ChainTag.objects.visible_to(user)
        if self.instance.pk and self.instance.stage == LeadStage.LANDED:
            # The project was made in this region; moving the lead would split it from its project.
            self.fields["region"].disabled = True
            self.fields["region"].help_text = _("线索已落地，区划随项目确定，不能再修改。")

    def clean_found_on(self):
        found_on = self.cleaned_data["found_on"]
        if found_on > today():
            raise ValidationError(_("日期不能晚于今天。"))
        return found_on


# ---- moving a lead: what each move asks for ----

REOPEN = "reopen"
MOVE_TITLES = {
    LeadStage.NEGOTIATING: _("转入洽谈"),
    LeadStage.SIGNED: _("签约"),
    LeadStage.LANDED: _("落地（生成台账项目）"),
    LeadStage.DROPPED: _("放弃线索"),
    REOPEN: _("恢复跟进"),
}


class MoveForm(BootstrapForm):
    """One move of a lead. The fields depend on the target stage; what a move cannot do without, it asks for.

    Negotiating and landing take today when no date is given, so a drag on the board moves at once; signing
    needs the agreement's figures and dropping a reason, so those drags come back as this form.
    """

    to = forms.ChoiceField(
        choices=list(MOVE_TITLES.items()),
        widget=forms.HiddenInput,
        error_messages={"required": _("请选择目标阶段。"), "invalid_choice": _("不支持的目标阶段。")},
    )

    def __init__(self, *args, lead: Lead, to: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.lead = lead
        self.to = to if to in MOVE_TITLES else None
        self.title = MOVE_TITLES.get(self.to, _("变更阶段"))
        self.fields["to"].initial = self.to
        builders = {
            LeadStage.NEGOTIATING: self._negotiate_fields,
            LeadStage.SIGNED: self._sign_fields,
            LeadStage.LANDED: self._land_fields,
            LeadStage.DROPPED: self._drop_fields,
            REOPEN: self._reopen_fields,
        }
        if self.to:
            builders[self.to]()
            self.order_fields(["to", *self.fields])
            self._fill_defaults()
        self._style_added_fields()

    def _fill_defaults(self):
        """A drag posts only the target stage: what the form already knows (the name, the intended investment)
        counts as given, so only what is really missing comes back as an error. A field sent empty stays empty."""
        if not self.is_bound:
            return
        data = self.data.copy()
        for name, field in self.fields.items():
            if name not in data and field.initial is not None:
                data[name] = field.initial
        self.data = data

    def _style_added_fields(self):
        """Bootstrap classes for the fields added above (the mixin styled the form before they existed)."""
        for field in self.fields.values():
            if not isinstance(field.widget, forms.HiddenInput):
                field.widget.attrs.setdefault("class", "form-control")

    def _negotiate_fields(self):
        self.fields["on"] = forms.DateField(
            label=_("开始洽谈日期"),
            required=False,
            widget=DATE,
            help_text=_("不填为今天。"),
            error_messages=DATE_ERRORS,
        )
        self.fields["note"] = forms.CharField(label=_("说明"), required=False, max_length=500)

    def _sign_fields(self):
        lead = self.lead
        self.fields["name"] = forms.CharField(
            label=_("签约项目名称"), max_length=128, initial=lead.name, error_messages=REQUIRED
        )
        self.fields["contracted_investment"] = forms.DecimalField(
            label=_("合同投资（万元）"),
            max_digits=14,
            decimal_places=2,
            min_value=Decimal("0.01"),
            initial=lead.intended_investment,
            error_messages={**MONEY_ERRORS, "min_value": _("合同投资须大于 0。")},
        )
        self.fields["signed_on"] = forms.DateField(label=_("签约日期"), widget=DATE, error_messages=DATE_ERRORS)
        self.fields["agreed_start_on"] = forms.DateField(
            label=_("约定开工日期"), widget=DATE, error_messages=DATE_ERRORS
        )
        self.fields["obligations"] = forms.CharField(
            label=_("约定事项"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
        )

    def _land_fields(self):
        self.fields["on"] = forms.DateField(
            label=_("落地日期"), required=False, widget=DATE, help_text=_("不填为今天。"), error_messages=DATE_ERRORS
        )
        enterprise = self.lead.enterprise
        if not enterprise.credit_code:
            self.fields["credit_code"] = forms.CharField(
                label=_("投资企业统一社会信用代码"),
                max_length=18,
                required=False,
                help_text=_("“%(name)s”尚未填写统一社会信用代码，落地生成项目前须补齐。") % {"name": enterprise.name},
            )

    def _drop_fields(self):
        self.fields["on"] = forms.DateField(
            label=_("放弃日期"), required=False, widget=DATE, help_text=_("不填为今天。"), error_messages=DATE_ERRORS
        )
        self.fields["reason"] = forms.CharField(
            label=_("放弃原因"),
            max_length=2000,
            widget=forms.Textarea(attrs={"rows": 2}),
            error_messages={"required": _("请填写放弃原因。")},
        )

    def _reopen_fields(self):
        self.fields["note"] = forms.CharField(label=_("恢复原因"), required=False, max_length=500)

    def clean_credit_code(self):
        code = self.cleaned_data["credit_code"].strip().upper()
        if not code:
            raise ValidationError(_("落地前须填写投资企业的统一社会信用代码。"))
        validate_credit_code(code)
        clash = TargetEnterprise._base_manager.filter(region=self.lead.enterprise.region_id, credit_code=code)
        if clash.exclude(pk=self.lead.enterprise_id).exists():
            raise ValidationError(_("该统一社会信用代码已属于本区划目标企业库中的另一家企业。"))
        return code

    def apply(self, by) -> bool:
        """Make the move through the lead's method; its ValidationErrors land on this form. True when done."""
        data, lead = self.cleaned_data, self.lead
        on = data.get("on") or today()
        moves = {
            LeadStage.NEGOTIATING: lambda: lead.negotiate(on, by=by, note=data["note"]),
            LeadStage.SIGNED: lambda: lead.sign(
                signed_on=data["signed_on"],
                contracted_investment=data["contracted_investment"],
                agreed_start_on=data["agreed_start_on"],
                obligations=data["obligations"],
                name=data["name"],
                by=by,
            ),
            LeadStage.LANDED: lambda: self._land(on, by),
            LeadStage.DROPPED: lambda: lead.drop(on, data["reason"], by=by),
            REOPEN: lambda: lead.reopen(by=by, note=data["note"]),
        }
        try:
            with transaction.atomic():
                moves[data["to"]]()
        except ValidationError as error:
            lead.refresh_from_db()
            add_model_errors(self, _dates_on(error, data["to"]))
            return False
        return True

    def _land(self, on, by):
        code = self.cleaned_data.get("credit_code")
        if code:
            enterprise = self.lead.enterprise
            enterprise.credit_code = code
            enterprise._history_user = by
            enterprise.save(update_fields=["credit_code", "updated_at"])
        return self.lead.land(on, by=by)


def _dates_on(error: ValidationError, to: str) -> ValidationError:
    """The lead methods name their date ``on``; the signing form calls it ``signed_on``."""
    if to == LeadStage.SIGNED and hasattr(error, "error_dict") and "on" in error.error_dict:
        errors = dict(error.error_dict)
        errors["signed_on"] = errors.pop("on")
        return ValidationError(errors)
    return error


class VisitForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = Visit
        fields = ["kind", "on", "participants", "summary", "next_step"]
        widgets = {"on": DATE, "summary": forms.Textarea(attrs={"rows": 3})}
        error_messages = {"on": DATE_ERRORS, "summary": {"required": _("请填写洽谈内容。")}}

    def __init__(self, *args, lead: Lead, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.lead = lead
        self.fields["on"].initial = today()


class AgreementForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = Agreement
        fields = ["name", "contracted_investment", "signed_on", "agreed_start_on", "obligations"]
        widgets = {"signed_on": DATE, "agreed_start_on": DATE, "obligations": forms.Textarea(attrs={"rows": 4})}
        error_messages = {
            "name": REQUIRED,
            "contracted_investment": MONEY_ERRORS,
            "signed_on": DATE_ERRORS,
            "agreed_start_on": DATE_ERRORS,
        }

    def clean_contracted_investment(self):
        amount = self.cleaned_data["contracted_investment"]
        if amount <= 0:
            raise ValidationError(_("合同投资须大于 0。"))
        return amount


class FundForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = FundArrival
        fields = ["arrived_on", "amount", "note"]
        widgets = {"arrived_on": DATE}
        error_messages = {"arrived_on": DATE_ERRORS, "amount": MONEY_ERRORS}

    def __init__(self, *args, agreement: Agreement, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.agreement = agreement

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if amount <= 0:
            raise ValidationError(_("到位资金须大于 0。"))
        return amount


class TargetForm(BootstrapForm):
    """One region's signing target for the year; blank removes it."""

    amount = forms.DecimalField(
        label=_("签约目标（万元）"),
        required=False,
        max_digits=14,
        decimal_places=2,
        min_value=0,
        error_messages={"invalid": _("请填写数字（万元）。"), "min_value": _("签约目标不能为负数。")},
    )

    def __init__(self, *args, region: Region, target: SigningTarget | None, **kwargs):
        kwargs.setdefault("initial", {"amount": target.amount if target else None})
        super().__init__(*args, prefix=f"r{region.pk}", **kwargs)
        self.region, self.target = region, target


class ChainForm(BootstrapForm):
    name = forms.CharField(label=_("产业链名称"), max_length=32, error_messages={"required": _("请填写产业链名称。")})

    def __init__(self, *args, region: Region | None, **kwargs):
        super().__init__(*args, **kwargs)
        self.region = region

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if self.region is None:
            raise ValidationError(_("平台管理员没有所属区划，请在后台为具体区划设置产业链。"))
        if ChainTag.objects.filter(region=self.region, name=name).exists():
            raise ValidationError(_("本区划已有同名产业链。"))
        return name


class ChainLinkForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = ChainLink
        fields = ["position", "name", "sort_order", "gap_note"]
        error_messages = {"name": {"required": _("请填写环节名称。")}, "position": {"required": _("请选择环节位置。")}}


class BaseChainLinkFormSet(forms.BaseInlineFormSet):
    def get_unique_error_message(self, unique_check):
        return _("同一产业链的环节名称不能重复。")


ChainLinkFormSet = forms.inlineformset_factory(
    ChainTag,
    ChainLink,
    form=ChainLinkForm,
    formset=BaseChainLinkFormSet,
    extra=3,
    can_delete=True,
    max_num=60,
    validate_max=True,
)


class ImportForm(BootstrapForm):
    file = forms.FileField(
        label=_("Excel 文件（.xlsx）"),
        error_messages={"required": _("请选择要导入的 Excel 文件。"), "empty": _("上传的文件是空的。")},
    )
