"""The screens' Django forms validate the API's writes too: one set of rules, one set of messages.

An API write is parsed by a serializer built from the form's own fields (``form_serializer``: the types and
the documentation), laid over what the form would show for the object (``current_values``: a PATCH changes
only what it names) and validated by the form, whose errors come back as a field-keyed 400.
"""

from django import forms
from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers
from rest_framework.settings import api_settings

NON_FIELD = api_settings.NON_FIELD_ERRORS_KEY


def form_serializer(form_class, name: str, *, exclude=(), extra=None) -> type[serializers.Serializer]:
    """A serializer with one field per form field (of the same type, required where the form requires it and
    the model has no default), plus ``extra``."""
    declared = {
        field_name: _api_field(form_class, field_name, field)
        for field_name, field in form_class.base_fields.items()
        if field_name not in exclude
    }
    return type(name, (serializers.Serializer,), {**declared, **(extra or {})})


def _api_field(form_class, name: str, field: forms.Field) -> serializers.Field:
    required = field.required and not _has_default(form_class, name)
    described = {"required": required, "help_text": _description(field)}
    if isinstance(field, forms.ModelMultipleChoiceField):
        return serializers.ListField(child=serializers.IntegerField(), **described)
    if isinstance(field, forms.ModelChoiceField):
        return serializers.IntegerField(allow_null=not field.required, **described)
    if isinstance(field, forms.ChoiceField):
        choices = [(value, label) for value, label in field.choices if value != ""]
        return serializers.ChoiceField(choices=choices, allow_blank=not field.required, **described)
    if isinstance(field, forms.DecimalField):
        digits = {"max_digits": field.max_digits, "decimal_places": field.decimal_places}
        return serializers.DecimalField(allow_null=not field.required, **digits, **described)
    return _simple_field(field, described)


def _simple_field(field: forms.Field, described: dict) -> serializers.Field:
    if isinstance(field, forms.DateField):
        return serializers.DateField(allow_null=not field.required, **described)
    if isinstance(field, forms.BooleanField):
        return serializers.BooleanField(**described)
    if isinstance(field, forms.IntegerField):
        return serializers.IntegerField(allow_null=not field.required, **described)
    if isinstance(field, forms.FileField):
        return serializers.FileField(allow_null=True, **described)
    if isinstance(field, forms.CharField):
        return serializers.CharField(allow_blank=not field.required, max_length=field.max_length, **described)
    raise TypeError(f"No API field for {type(field).__name__}")


def _has_default(form_class, name: str) -> bool:
    model = getattr(getattr(form_class, "_meta", None), "model", None)
    try:
        return model is not None and model._meta.get_field(name).has_default()
    except FieldDoesNotExist:
        return False


def _description(field: forms.Field) -> str:
    label, help_text = str(field.label or ""), str(field.help_text or "")
    return f"{label}：{help_text}" if label and help_text else label or help_text


def current_values(form: forms.BaseForm) -> dict:
    """The data an unbound form shows: the instance's values (a new one's model defaults), as form input."""
    return {name: form[name].value() for name in form.fields}


def form_data(form: forms.BaseForm, changes: dict) -> dict:
    """The form's current values with ``changes`` laid over them."""
    return {**current_values(form), **changes}


def form_errors(form: forms.BaseForm) -> dict[str, list[str]]:
    """The form's errors keyed by field; those of the whole form under ``non_field_errors``."""
    return {_key(field): list(messages) for field, messages in form.errors.items()}


def _key(field: str) -> str:
    return NON_FIELD if field == forms.forms.NON_FIELD_ERRORS else field


def validate_form(form: forms.BaseForm) -> forms.BaseForm:
    if not form.is_valid():
        raise serializers.ValidationError(form_errors(form))
    return form


def model_error(error: DjangoValidationError) -> serializers.ValidationError:
    """A model method's ValidationError as a 400: keyed by its fields, a message without field as non-field."""
    if hasattr(error, "error_dict"):
        return serializers.ValidationError({_key(field): messages for field, messages in error.message_dict.items()})
    return serializers.ValidationError({NON_FIELD: error.messages})


def refuse(field: str, message) -> serializers.ValidationError:
    return serializers.ValidationError({field: [message]})
