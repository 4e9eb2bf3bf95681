"""Turn django-simple-history records into "who, when, field: before → after" entries."""

from dataclasses import dataclass, field

from django.db import models


@dataclass
class FieldChange:
    label: str
    old: str
    new: str


@dataclass
class HistoryEntry:
    at: object
    user: object
    kind: str  # "+" created, "~" changed, "-" deleted
    changes: list[FieldChange] = field(default_factory=list)


def history_entries(records) -> list[HistoryEntry]:
    """Newest first; each change compared with the record before it."""
    records = list(records.select_related("history_user").order_by("history_date", "history_id"))
    if not records:
        return []
    names = _related_names(records)
    entries, previous = [], None
    for record in records:
        changes = _changes(record, previous, names) if previous is not None else []
        if previous is None or changes or record.history_type != "~":
            entries.append(HistoryEntry(record.history_date, record.history_user, record.history_type, changes))
        previous = record
    return entries[::-1]


def _changes(record, previous, names) -> list[FieldChange]:
    delta = record.diff_against(previous)
    model = record.instance_type
    # diff_against walks a set of field names: put the changes back in the form's field order.
    order = {f.name: index for index, f in enumerate(model._meta.get_fields())}
    result = []
    for change in sorted(delta.changes, key=lambda c: order.get(c.field, len(order))):
        model_field = model._meta.get_field(change.field)
        result.append(
            FieldChange(
                str(model_field.verbose_name),
                _display(model_field, change.old, names),
                _display(model_field, change.new, names),
            )
        )
    return result


def _related_names(records) -> dict:
    """One query per related model for every foreign key value the records mention."""
    model = records[0].instance_type
    names = {}
    for model_field in model._meta.concrete_fields:
        if not isinstance(model_field, models.ForeignKey):
            continue
        ids = {getattr(r, model_field.attname) for r in records} - {None}
        related = model_field.related_model._base_manager.filter(pk__in=ids)
        names[model_field.name] = {obj.pk: str(obj) for obj in related}
    return names


def _display(model_field, value, names) -> str:
    if value in (None, ""):
        return "—"
    if isinstance(value, list):  # many-to-many: a list of through rows as dicts
        return "、".join(str(v) for v in _m2m_names(model_field, value)) or "—"
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(model_field, models.ForeignKey):
        return names.get(model_field.name, {}).get(value, str(value))
    return str(value)


def _m2m_names(model_field, rows) -> list:
    target = model_field.related_model
    ids = [row[model_field.m2m_reverse_field_name()] for row in rows]
    return list(target._base_manager.filter(pk__in=ids).values_list("name", flat=True))
