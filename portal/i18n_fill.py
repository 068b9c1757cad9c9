"""Fill untranslated catalogue entries from a JSON file.

    .venv/bin/python -m portal.i18n_fill FILE.json
    .venv/bin/python -m portal.i18n_tools update      # recompile

FILE.json is `{msgid: {"ky": "...", "ru": "...", "en": "..."}}`; a message with a
context (pgettext) is keyed `"context\u0004msgid"`, as gettext joins them. Only empty or fuzzy
entries are filled, so existing translations are never overwritten. When several
people work in one tree, run both commands under `flock /tmp/mektep-i18n.lock`.
"""
import json
import os
import sys

from babel.messages.pofile import read_po, write_po

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def fill(translations):
    for lang in ("ky", "ru", "en"):
        path = os.path.join(ROOT, "translations", lang, "LC_MESSAGES", "messages.po")
        with open(path, "rb") as f:
            catalog = read_po(f, locale=lang)
        filled = 0
        for msgid, by_language in translations.items():
            context, _, bare = msgid.rpartition("\x04")
            message = catalog.get(bare, context or None)
            if message is None:
                print(f"{lang}: not in the catalogue (run i18n_tools update first): {msgid[:60]}")
                continue
            if not message.string or message.fuzzy:
                message.string = by_language[lang]
                message.flags.discard("fuzzy")
                filled += 1
        with open(path, "wb") as f:
            write_po(f, catalog, width=79)
        print(f"{lang}: {filled} filled")


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as f:
        fill(json.load(f))
