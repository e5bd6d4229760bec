"""The console in English and Bahasa Indonesia: every string a template marks for
translation has an Indonesian entry with the same placeholders (a new string fails here
until someone translates it), and a person whose language is ``id`` gets the pages in it."""

from __future__ import annotations

import re

import httpx
import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from podium.starters.serve_app import build_app
from podium.starters.serve_clients import Clients
from podium.starters.web.settings import ConsoleSettings, load_people
from podium.starters.web.templating import TEMPLATES, catalog_of

from tests.support.asgi_server import serving

HEADER = "X-Test-User"
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def marked_strings() -> dict[str, list[str]]:
    """Each string the templates mark (``{{ _("…") }}``; of a plural, the singular), with
    where it is marked."""
    found: dict[str, list[str]] = {}
    for name, line, message, *_ in extract_from_dir(
        TEMPLATES, method_map=[("**.html", "jinja2.ext.babel_extract")]
    ):
        text = message[0] if isinstance(message, tuple) else message
        found.setdefault(text, []).append(f"{name}:{line}")
    return found


def test_the_templates_mark_their_strings():
    marked = marked_strings()
    assert "Waiting for you" in marked and "due %(when)s" in marked  # the extractor sees them


def translations_of(catalog: Catalog, text: str) -> list[str]:
    """The catalog's translation of ``text`` (a plural's: each form); none when fuzzy."""
    entry = catalog.get(text)
    if entry is None or entry.fuzzy:
        return []
    return [entry.string] if isinstance(entry.string, str) else list(entry.string)


@pytest.mark.parametrize("language", ["id"])
def test_every_marked_string_is_translated_with_the_same_placeholders(language):
    catalog = catalog_of(language)
    assert catalog is not None, f"no .po files for {language}"
    missing, wrong = [], []
    for text, where in marked_strings().items():
        strings = translations_of(catalog, text)
        if not strings or not all(strings):
            missing.append(f"{text!r} ({', '.join(where)})")
        for string in strings:
            if string and sorted(PLACEHOLDER.findall(string)) != sorted(PLACEHOLDER.findall(text)):
                wrong.append(f"{text!r} → {string!r}")
    assert not missing, f"not translated into {language}:\n" + "\n".join(missing)
    assert not wrong, "placeholders differ:\n" + "\n".join(wrong)


async def test_a_person_whose_language_is_indonesian_reads_the_pages_in_it(client, tmp_path):
    people = tmp_path / "people.yaml"
    people.write_text("people:\n  ani: {language: id}\n  ann: {}\n")
    settings = ConsoleSettings(people=load_people(people), trusted_header=HEADER, secret="s" * 64)
    app = build_app(client, specs=tmp_path, clients=Clients([]), console=settings)
    async with serving(app) as base, httpx.AsyncClient(base_url=base, timeout=60) as http:
        for path, english, indonesian in [
            ("/console/inbox", "Waiting for you", "Menunggu Anda"),
            ("/console/glance", "At a glance", "Sekilas"),
        ]:
            ani = await http.get(path, headers={HEADER: "ani"})
            assert ani.status_code == 200
            assert '<html lang="id">' in ani.text and f"<h1>{indonesian}</h1>" in ani.text
            assert ">Kotak masuk</a>" in ani.text  # the menu too
            ann = await http.get(path, headers={HEADER: "ann"})
            assert '<html lang="en">' in ann.text and f"<h1>{english}</h1>" in ann.text
