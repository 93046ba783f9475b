"""Kept for CKAN tooling that still calls setup.py; metadata lives in pyproject.toml.

It also compiles the translations (``.po`` → ``.mo``, with Babel, a build requirement in
pyproject.toml) into every wheel: ``.mo`` files are never committed, and a portal that
installs a wheel without them shows the extension in English.
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


def compile_catalogues(root: Path) -> None:
    """Compile each ``<domain>.po`` under ``root`` into the ``<domain>.mo`` beside it."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po_path in sorted(root.rglob("LC_MESSAGES/*.po")):
        with po_path.open("rb") as po_file:
            catalogue = read_po(po_file)
        with po_path.with_suffix(".mo").open("wb") as mo_file:
            write_mo(mo_file, catalogue)


class BuildWithCatalogues(build_py):
    """``build_py`` that also compiles the catalogues it copied (or, for an editable
    install, the ones of the source tree)."""

    def run(self) -> None:
        super().run()
        compile_catalogues(Path("ckanext" if self.editable_mode else self.build_lib))


setup(cmdclass={"build_py": BuildWithCatalogues})
