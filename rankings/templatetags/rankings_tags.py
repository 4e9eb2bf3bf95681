from django import template

register = template.Library()


@register.filter
def get(mapping, key):
    """``mapping|get:key``: a dict's value in a template (None when missing)."""
    return mapping.get(key) if mapping else None


@register.filter
def chart_height(count: int) -> int:
    """The bar chart's height in pixels: room for each subject's bar and name."""
    return max(160, 28 * int(count or 0) + 40)
