"""The console's pages: Jinja2 templates, escaped, in each person's language.

Every value a template shows is escaped (autoescape on for every template: an agent's or
a tool's text is the model's, never markup). Strings are marked for translation
(``{{ _("Inbox") }}``); the translations are gettext catalogs in ``locales/`` (``.po``
files, read with Babel when the console starts — no build step). One Jinja2 environment
per language.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from podium.starters.formatting import age_text, duration_text, ms_text, usd, when_minute
from podium.starters.request_view import pretty
from podium.starters.web.settings import LANGUAGES
from starlette.requests import Request
from starlette.responses import HTMLResponse

POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)
"""Every console page's Content-Security-Policy: scripts from the console's own files only
(an agent's text that slipped past escaping still could not run), never framed."""
HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
LOCALES = HERE / "locales"


def catalog_of(language: str) -> Catalog | None:
    """Every ``.po`` file of ``language`` merged into one catalog (each part of the console
    keeps its strings in its own file: ``messages.po``, ``builder.po``, …); None if none."""
    files = sorted((LOCALES / language / "LC_MESSAGES").glob("*.po"))
    if not files:
        return None
    merged = Catalog(locale=language)
    for po in files:
        with po.open("rb") as source:
            for message in read_po(source, locale=language):
                if message.id:
                    merged[message.id] = message
    return merged


def translations(language: str) -> NullTranslations:
    """The gettext catalog of ``language`` (English: the strings as written)."""
    catalog = catalog_of(language) if language != "en" else None
    if catalog is None:
        return NullTranslations()
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled)


def environments() -> dict[str, Environment]:
    """One Jinja2 environment per language."""
    made = {}
    for language in LANGUAGES:
        env = Environment(
            loader=FileSystemLoader(TEMPLATES),
            autoescape=select_autoescape(default=True, default_for_string=True),
            undefined=StrictUndefined,
            extensions=["jinja2.ext.i18n"],
        )
        env.install_gettext_translations(translations(language), newstyle=True)  # type: ignore[attr-defined]
        env.filters.update(
            usd=usd,
            age=age_text,
            duration=duration_text,
            ms=ms_text,
            when=when_minute,
            pretty=pretty,
        )
        made[language] = env
    return made


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """The page ``template`` for the person signed in (in their language)."""
    person = getattr(request.state, "person", None)
    language = person.language if person is not None else "en"
    env = request.app.state.console_templates[language]
    csrf = request.scope.get("csrftoken")
    page = env.get_template(template).render(
        request=request,
        url_for=lambda route, /, **params: request.app.url_path_for(route, **params),
        person=person,
        language=language,
        csrftoken=csrf() if callable(csrf) else "",
        **context,
    )
    return HTMLResponse(page, status_code=status, headers={"Content-Security-Policy": POLICY})
