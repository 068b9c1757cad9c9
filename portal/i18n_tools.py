"""Keep the translation catalogues in step with the code (docs/translations.md).

    .venv/bin/python -m portal.i18n_tools update    # extract -> update -> compile (run this)
    .venv/bin/python -m portal.i18n_tools check     # exit 1 if anything is missing or stale
    .venv/bin/python -m portal.i18n_tools compile   # .po -> .mo only

`update` keeps every existing translation, adds new messages with an empty
translation (or a fuzzy guess when a wording changed), drops messages the code no
longer uses, and recompiles. It writes a file only when its content changed, so
running it twice changes nothing. Nothing here needs the application or a database.
"""
import argparse
import copy
import io
import os
import re
import sys
import tempfile
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_keywords, parse_mapping_cfg
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po, write_po

from portal.config import Config

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS_DIR = ROOT / "translations"
MAPPING_FILE = ROOT / "babel.cfg"
SOURCE_DIRS = ("portal", "admin", "forms")
LANGUAGES = Config.LANGUAGES
DOMAIN = "messages"
PROJECT = "Mektep-1"

# Babel's defaults (_, gettext, ngettext, pgettext, N_, ...) plus the lazy forms used
# at class level (STYLE.md habit 6). Kept here, not in babel.cfg: Babel < 2.18 ignores
# keywords in the mapping file.
KEYWORDS = {
    **DEFAULT_KEYWORDS,
    **parse_keywords(["lazy_gettext", "_l", "lazy_ngettext:1,2", "lazy_pgettext:1c,2", "lazy_npgettext:1c,2,3"]),
}
COMMENT_TAGS = ("TRANSLATORS:",)

# The two header lines that change on every run; comparing without them is what makes
# `update` idempotent.
_VOLATILE_HEADER = re.compile(rb'^"(POT-Creation-Date|PO-Revision-Date): .*\\n"\n', re.MULTILINE)
_PO_OPTIONS = {"width": 76, "include_lineno": False, "ignore_obsolete": True}


def po_path(language, translations_dir=TRANSLATIONS_DIR):
    return Path(translations_dir) / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def mo_path(language, translations_dir=TRANSLATIONS_DIR):
    return Path(translations_dir) / language / "LC_MESSAGES" / f"{DOMAIN}.mo"


def pot_path(translations_dir=TRANSLATIONS_DIR):
    return Path(translations_dir) / f"{DOMAIN}.pot"


def extract_messages(root=ROOT):
    """Extract every message of portal/, admin/ and forms/ over babel.cfg; a Catalog."""
    root = Path(root)
    with open(root / MAPPING_FILE.name, encoding="utf-8") as fileobj:
        method_map, options_map = parse_mapping_cfg(fileobj, str(MAPPING_FILE))
    template = Catalog(project=PROJECT, version="", charset="utf-8", header_comment=_header(None))
    for source in SOURCE_DIRS:
        directory = root / source
        if not directory.is_dir():
            continue
        found = extract_from_dir(
            str(directory),
            method_map,
            options_map,
            keywords=KEYWORDS,
            comment_tags=COMMENT_TAGS,
            strip_comment_tags=True,
        )
        for filename, lineno, message, comments, context in found:
            location = (Path(source, filename).as_posix(), lineno)
            template.add(message, None, [location], auto_comments=comments, context=context)
    return template


def read_catalogue(language, translations_dir=TRANSLATIONS_DIR):
    with open(po_path(language, translations_dir), "rb") as fileobj:
        return read_po(fileobj, locale=language, domain=DOMAIN)


def update(translations_dir=TRANSLATIONS_DIR, root=ROOT, echo=print):
    """Extract, merge into every language's .po, compile; return the files written."""
    template = extract_messages(root)
    written = []
    if _write_po_if_changed(pot_path(translations_dir), template):
        written.append(pot_path(translations_dir))
    for language in LANGUAGES:
        path = po_path(language, translations_dir)
        if path.exists():
            catalog = read_catalogue(language, translations_dir)
        else:
            catalog = Catalog(
                locale=language, domain=DOMAIN, project=PROJECT, version="",
                charset="utf-8", header_comment=_header(language),
            )
        catalog.update(template, no_fuzzy_matching=False, update_header_comment=False)
        catalog.fuzzy = False  # a fuzzy header would make the whole catalogue be skipped
        if _write_po_if_changed(path, catalog):
            written.append(path)
    written += compile_catalogues(translations_dir, echo=echo)
    for language in LANGUAGES:
        todo = untranslated(read_catalogue(language, translations_dir))
        if todo:
            echo(f"{language}: {len(todo)} message(s) to translate in {po_path(language, translations_dir)}:")
            for message in todo:
                echo(f"    {_describe(message)}")
    return written


def compile_catalogues(translations_dir=TRANSLATIONS_DIR, echo=print):
    """Compile every .po into its .mo (fuzzy and empty translations left out)."""
    written = []
    for language in LANGUAGES:
        catalog = read_catalogue(language, translations_dir)
        for message, errors in catalog.check():
            for error in errors if not message.fuzzy else ():  # fuzzy ones are not compiled
                echo(f"{language}: {_describe(message)}: {error}")
        path = mo_path(language, translations_dir)
        if _write_if_changed(path, compiled_mo(catalog)):
            written.append(path)
    return written


def compiled_mo(catalog):
    # Babel's write_mo keeps a plural message whose forms are all empty, and gettext
    # would then show "" instead of the English msgid: leave incomplete ones out.
    catalog = copy.deepcopy(catalog)
    for message in untranslated(catalog):
        catalog.delete(message.id, context=message.context)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


def untranslated(catalog):
    """Messages of `catalog` with an empty translation (any plural form) or marked fuzzy."""
    missing = []
    for message in catalog:
        if not message.id:
            continue  # the header
        strings = message.string if isinstance(message.string, (tuple, list)) else (message.string,)
        if message.fuzzy or not all(strings):
            missing.append(message)
    return missing


def message_keys(catalog):
    """(context, msgid) of every message, so catalogues and extraction can be compared."""
    return {(message.context, _msgid(message)) for message in catalog if message.id}


def problems(translations_dir=TRANSLATIONS_DIR, root=ROOT):
    """Everything `check` reports, as readable lines (empty when all is well)."""
    lines = []
    expected = message_keys(extract_messages(root))
    for language in LANGUAGES:
        if not po_path(language, translations_dir).exists():
            lines.append(f"{language}: no catalogue at {po_path(language, translations_dir)}")
            continue
        catalog = read_catalogue(language, translations_dir)
        keys = message_keys(catalog)
        lines += [f"{language}: not in the catalogue: {_key(k)}" for k in sorted(expected - keys, key=str)]
        lines += [f"{language}: no longer in the code: {_key(k)}" for k in sorted(keys - expected, key=str)]
        lines += [f"{language}: untranslated or fuzzy: {_describe(m)}" for m in untranslated(catalog)]
        lines += [
            f"{language}: {_describe(m)}: {error}" for m, errors in catalog.check() if not m.fuzzy for error in errors
        ]
        if not mo_is_current(catalog, mo_path(language, translations_dir)):
            lines.append(f"{language}: {mo_path(language, translations_dir)} is missing or out of date")
    return lines


def mo_is_current(catalog, path):
    """Whether the .mo at `path` holds exactly the complete translations of `catalog`."""
    if not Path(path).exists():
        return False
    with open(path, "rb") as fileobj:
        compiled = read_mo(fileobj)
    with io.BytesIO(compiled_mo(catalog)) as fileobj:
        expected = read_mo(fileobj)
    return _translations(compiled) == _translations(expected) and compiled.plural_forms == expected.plural_forms


def _translations(catalog):
    return {
        (message.context, _msgid(message)): tuple(message.string) if isinstance(message.string, list) else message.string
        for message in catalog
        if message.id
    }


def _msgid(message):
    return message.id if isinstance(message.id, str) else tuple(message.id)


def _key(key):
    context, msgid = key
    return (f"[{context}] " if context else "") + repr(msgid)


def _describe(message):
    return _key((message.context, _msgid(message)))


def _header(language):
    what = "Translation template" if language is None else f"{language} translations"
    return (
        f"# {what} of Mektep-1.\n"
        "# Do not edit message ids here: change the code, then run\n"
        "# `.venv/bin/python -m portal.i18n_tools update` (docs/translations.md)."
    )


def _render_po(catalog):
    buffer = io.BytesIO()
    write_po(buffer, catalog, **_PO_OPTIONS)
    return buffer.getvalue()


def _write_po_if_changed(path, catalog):
    content = _render_po(catalog)
    path = Path(path)
    if path.exists() and _VOLATILE_HEADER.sub(b"", path.read_bytes()) == _VOLATILE_HEADER.sub(b"", content):
        return False
    return _write_if_changed(path, content)


def _write_if_changed(path, content):
    path = Path(path)
    if path.exists() and path.read_bytes() == content:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    # Write beside, then rename: a running app never reads half a catalogue.
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as fileobj:
            fileobj.write(content)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
    return True


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m portal.i18n_tools", description=__doc__.split("\n")[0])
    parser.add_argument("command", nargs="?", default="update", choices=("update", "compile", "check"))
    args = parser.parse_args(argv)
    if args.command == "update":
        for path in update():
            print(f"wrote {Path(path).relative_to(ROOT)}")
        return 0
    if args.command == "compile":
        for path in compile_catalogues():
            print(f"wrote {Path(path).relative_to(ROOT)}")
        return 0
    found = problems()
    for line in found:
        print(line)
    if not found:
        print("catalogues complete: " + ", ".join(LANGUAGES))
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
