"""The zh-hans catalogue: complete, consistent with its placeholders, and compiled from the current .po."""

import gettext
import re
from pathlib import Path

import polib

LOCALE = Path(__file__).resolve().parent.parent / "locale" / "zh_Hans" / "LC_MESSAGES"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")
CATALOGUE = polib.pofile(str(LOCALE / "django.po"))
ENTRIES = [entry for entry in CATALOGUE if not entry.obsolete]


def test_every_string_is_translated_and_none_is_fuzzy():
    assert [entry.msgid for entry in ENTRIES if not entry.translated()] == []


def test_translations_keep_the_placeholders():
    mismatched = [
        entry.msgid
        for entry in ENTRIES
        if not entry.msgid_plural
        and sorted(PLACEHOLDER.findall(entry.msgstr)) != sorted(PLACEHOLDER.findall(entry.msgid))
    ]
    assert mismatched == []


def test_the_compiled_catalogue_matches_the_po_file():
    with open(LOCALE / "django.mo", "rb") as compiled:
        translations = gettext.GNUTranslations(compiled)
    stale = [
        entry.msgid for entry in ENTRIES if not entry.msgid_plural and translations.gettext(entry.msgid) != entry.msgstr
    ]
    assert stale == [], "run: python manage.py compilemessages"
