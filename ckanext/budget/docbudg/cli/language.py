"""The language of one run of ``budget-doc``, decided before its commands are built.

``--lang`` wins, else the locale (``messages.default_language``: French first). Our texts
are ``Message`` objects; click's own words ("Usage:", "Show this message and exit.", its
usage errors) go through the standard library's ``gettext``, so they are translated by a
catalogue of our own, ``locale/<lang>/LC_MESSAGES/click.po`` (compiled to ``.mo`` by the
build and the tests, like the CKAN layer's).
"""

from __future__ import annotations

import gettext
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from ..messages import LANGUAGES, default_language

CATALOGUE_DOMAIN = "click"
LOCALE_DIR = Path(__file__).with_name("locale")


def language_of(argv: Sequence[str]) -> str:
    """The language asked by ``--lang X`` / ``--lang=X``, else the session's.

    Read ahead of click because the help texts depend on it; a wrong value is left to
    click, which refuses it with a usage error (in the session's language)."""
    for i, arg in enumerate(argv):
        if arg == "--":
            break
        value = argv[i + 1] if arg == "--lang" and i + 1 < len(argv) else None
        if arg.startswith("--lang="):
            value = arg.partition("=")[2]
        if value in LANGUAGES:
            return value
    return default_language()


@contextmanager
def speaking(lang: str) -> Iterator[None]:
    """Run in ``lang``: ``LANGUAGE`` set for ``default_language()`` (batch workers too) and
    for ``gettext``, whose domain becomes click's catalogue; both restored afterwards, as
    ``main`` is also called inside other processes (tests, benchmarks)."""
    saved_language = os.environ.get("LANGUAGE")
    saved_domain = gettext.textdomain()
    os.environ["LANGUAGE"] = lang
    gettext.bindtextdomain(CATALOGUE_DOMAIN, str(LOCALE_DIR))
    gettext.textdomain(CATALOGUE_DOMAIN)
    try:
        yield
    finally:
        gettext.textdomain(saved_domain)
        if saved_language is None:
            os.environ.pop("LANGUAGE", None)
        else:
            os.environ["LANGUAGE"] = saved_language
