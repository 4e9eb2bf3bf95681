"""The English catalogue stays complete: a Chinese UI string without a translation fails here."""

import re
from pathlib import Path

LOCALE = Path(__file__).resolve().parent.parent / "locale"


def _entries(po: str) -> list[tuple[str, str]]:
    blocks = po.split("\n\n")
    entries = []
    for block in blocks:
        if "#, fuzzy" in block:
            entries.append((block, ""))
            continue
        match = re.search(r'^msgid ((?:"[^\n]*"\n?)+)msgstr(?:\[0\])? ((?:"[^\n]*"\n?)+)', block, re.M)
        if match:
            entries.append((match[1], match[2]))
    return entries


def test_every_english_entry_is_translated_and_none_is_fuzzy():
    po = (LOCALE / "en/LC_MESSAGES/django.po").read_text()
    untranslated = [msgid for msgid, msgstr in _entries(po)[1:] if msgstr.strip() in ('""', "")]
    assert untranslated == []


def test_compiled_catalogues_exist_beside_their_sources():
    for po in LOCALE.glob("*/LC_MESSAGES/django.po"):
        assert po.with_suffix(".mo").exists(), po
