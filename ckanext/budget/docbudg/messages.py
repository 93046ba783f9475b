"""Bilingual (French/English) messages for the core library.

The core library must not depend on CKAN's translation machinery, yet every message a
user sees has to exist in French and English. A :class:`Message` carries both texts and
its parameters; callers pick the language (the CLI from the locale, CKAN from the request).
"""

from __future__ import annotations

import locale
import os
from dataclasses import dataclass, field
from typing import Any

LANGUAGES = ("fr", "en")


def default_language() -> str:
    """Language of the current process, from the usual locale variables (French first)."""
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var, "")
        if value:
            return "en" if value.lower().startswith("en") else "fr"
    try:
        loc = locale.getlocale()[0] or ""
    except ValueError:
        loc = ""
    return "en" if loc.lower().startswith("en") else "fr"


@dataclass(frozen=True)
class Message:
    """A message in both languages; ``params`` fill ``{name}`` placeholders in both."""

    fr: str
    en: str
    params: dict[str, Any] = field(default_factory=dict)

    def text(self, lang: str | None = None) -> str:
        """In ``lang``; a parameter that is itself a :class:`Message` is in ``lang`` too."""
        lang = lang or default_language()
        template = self.en if lang.startswith("en") else self.fr
        if not self.params:
            return template
        params = {
            name: value.text(lang) if isinstance(value, Message) else value
            for name, value in self.params.items()
        }
        return template.format(**params)

    def with_params(self, **params: Any) -> Message:
        return Message(self.fr, self.en, {**self.params, **params})

    def as_dict(self) -> dict[str, str]:
        return {lang: self.text(lang) for lang in LANGUAGES}

    def __str__(self) -> str:
        return self.text()
