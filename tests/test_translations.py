"""Every message of ours is translated into Russian and Kyrgyz, and the catalogs are compiled."""

import gettext
import re
from pathlib import Path

import pytest

from marketplace.api.drf_messages import DRF_MESSAGES

LOCALE = Path(__file__).resolve().parent.parent / "locale"
ENTRY = re.compile(r'^msgid "(.+)"\nmsgstr "(.*)"$', re.MULTILINE)


def unescape(text: str) -> str:
    return text.replace('\\"', '"').replace("\\\\", "\\")


@pytest.mark.parametrize("language", ["ru", "ky"])
def test_catalog_is_complete_and_compiled(language: str) -> None:
    po = LOCALE / language / "LC_MESSAGES" / "django.po"
    entries = {unescape(i): unescape(s) for i, s in ENTRY.findall(po.read_text())}
    with po.with_suffix(".mo").open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)

    untranslated = [msgid for msgid, msgstr in entries.items() if not msgstr]
    if language == "ru":
        untranslated = [msgid for msgid in untranslated if msgid not in DRF_MESSAGES]
    stale = [msgid for msgid, msgstr in entries.items() if compiled.gettext(msgid) != msgstr]

    assert untranslated == []
    assert [msgid for msgid in stale if entries[msgid]] == [], "run `make messages`"
