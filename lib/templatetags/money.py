from django import template

from lib.money import format_wan, format_yi

register = template.Library()
register.filter("wan", format_wan)
register.filter("yi", format_yi)
