"""lib/export.py: text a spreadsheet would run as a formula is written as text, in XLSX and in CSV."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled
from openpyxl import load_workbook

from lib.export import neutralise, write_csv, write_xlsx

from .conftest import login_client

HOSTILE = [
    ('=HYPERLINK("http://evil.example","点击")', '\'=HYPERLINK("http://evil.example","点击")'),
    ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
    ("-2+3", "'-2+3"),
    ("@SUM(1+1)", "'@SUM(1+1)"),
    ("\t=1+1", "'\t=1+1"),
    ("\r=1+1", "'\r=1+1"),
]
HARMLESS = ["交城县城区道路提质改造工程", "1+1=2", "-5", "+86", "3.14", "a=b", "", "—"]


@pytest.mark.parametrize(("value", "written"), HOSTILE)
def test_text_starting_like_a_formula_gets_an_apostrophe(value, written):
    assert neutralise(value) == written


@pytest.mark.parametrize("value", HARMLESS)
def test_other_text_and_plain_signed_numbers_are_left_alone(value):
    assert neutralise(value) == value


@pytest.mark.parametrize("value", [-5, Decimal("-1200.50"), 3.5, None, datetime.date(2026, 3, 1)])
def test_numbers_dates_and_blanks_are_not_text(value):
    assert neutralise(value) is value


def test_an_xlsx_holds_the_hostile_texts_as_text_and_the_numbers_as_numbers():
    rows = [["项目名称", "总投资（万元）"], *[[value, Decimal("-1.50")] for value, _written in HOSTILE]]

    sheet = load_workbook(io.BytesIO(write_xlsx(rows))).active

    cells = list(sheet.iter_rows(min_row=2))
    assert [row[0].value for row in cells] == [written for _value, written in HOSTILE]
    assert {row[0].data_type for row in cells} == {"s"}  # no formula ("f") anywhere
    assert [row[1].value for row in cells] == [-1.5] * len(HOSTILE)


def test_a_csv_holds_the_hostile_texts_with_their_apostrophe():
    rows = [["项目名称", "总投资（万元）"], *[[value, Decimal("-1.50")] for value, _written in HOSTILE]]

    body = write_csv(rows).decode("utf-8-sig")

    read = list(csv.reader(io.StringIO(body, newline="")))
    assert read[1:] == [[written, "-1.50"] for _value, written in HOSTILE]


def test_the_ledger_export_neutralises_a_hostile_project_name(cast):
    with scopes_disabled():
        cast.projects.road.name = '=HYPERLINK("http://evil.example","查看")'
        cast.projects.road.save()
    client = login_client(cast.users.coordinator)

    response = client.get(reverse("projects:export", kwargs={"fmt": "xlsx"}))

    sheet = load_workbook(io.BytesIO(response.content)).active
    names = [row[1].value for row in sheet.iter_rows(min_row=2)]
    assert '\'=HYPERLINK("http://evil.example","查看")' in names
    assert all(row[1].data_type == "s" for row in sheet.iter_rows(min_row=2))
