"""The builder in Chromium, the way an operations analyst meets it: no YAML typed, only the
page's buttons, lists and fields.

* ``deal_review`` rebuilt from an empty spec by clicks: the saved file compiles to the
  same plan as the shipped sample.
* every sample opened, each of its forms applied as it is, and saved: byte-identical.
* an edit the compiler refuses shows the compiler's message on the step, and Save is
  refused until it is mended.

Set ``PODIUM_SCREENSHOT_DIR=docs`` to refresh docs/builder-*.png.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
from pathlib import Path

import pytest
from podium.compiler.spec_compiler import compile_spec
from podium.starters.serve_app import build_app
from podium.starters.serve_clients import Clients
from podium.starters.web.settings import ConsoleSettings, load_people

from tests.conftest import ROOT
from tests.support.asgi_server import serving
from tests.support.browser import Page, headless_page

HEADER = "X-Test-User"
TITLE = "High-risk deal: {{ input.company }} ({{ input.amount_usd }} USD)"
PEOPLE = """\
people:
  deal-desk: {name: Deal desk}
  cfo: {name: CFO}
  ana: {name: Ana, can: [edit-specs]}
"""
SHOTS = (
    Path(os.environ["PODIUM_SCREENSHOT_DIR"]) if os.environ.get("PODIUM_SCREENSHOT_DIR") else None
)


def shoot(page: Page, name: str, *, whole: bool = True) -> None:
    """docs/builder-<name>.png: the whole page, or (``whole=False``) what the screen shows."""
    if SHOTS is None:
        return
    if whole:
        page.screenshot(SHOTS / f"builder-{name}.png")
    else:
        data = page.send("Page.captureScreenshot", format="png")
        (SHOTS / f"builder-{name}.png").write_bytes(base64.b64decode(data["data"]))


def uid(place: str) -> str:
    """How the page names the add form of the list at ``place`` (``steps[0].parallel``)."""
    return place.replace("[", "-").replace("]", "").replace(".", "-")


class Builder:
    """One person at the builder page of one spec, in Chromium."""

    def __init__(self, page: Page, base: str, spec: str):
        self.page, self.base, self.spec = page, base, spec

    def add(self, into: str, kind: str, step_id: str, case: str = "") -> None:
        """Add a ``kind`` step called ``step_id`` to the list at ``into``."""
        self.page.choose(f"#kind-{uid(into)}", kind)
        if case:
            self.page.type_into(f"#name-{uid(into)}", case)
        self.page.type_into(f"#id-{uid(into)}", step_id)
        self.page.follow(f'form.add-step:has(#id-{uid(into)}) button[type="submit"]')
        self.page.wait_for(
            "document.querySelector('.step-form input[name=\"id\"]')?.value"
            f" === {json.dumps(step_id)}",
            what=f"the new step {step_id}'s form",
        )

    def open(self, step: str) -> None:
        """Click the step's box (``spec``: the spec's settings)."""
        if step == "spec":
            self.page.follow(".spec-box a.name")
        else:
            self.page.follow(f'.box[data-step="{step}"] > .box-head a.name')

    def fill(self, **fields: str | bool) -> None:
        """Type into the open form's fields (by name; True/False: tick or untick a box;
        a select's option by value), then Apply."""
        for name, value in fields.items():
            selector = f'.step-form [name="{name}"]'
            self.reveal(name)
            tag = self.page.evaluate(f"document.querySelector({json.dumps(selector)})?.tagName")
            assert tag, f"no field {name} in the form"
            if isinstance(value, bool):
                ticked = self.page.evaluate(
                    f"document.querySelector({json.dumps(selector)}).checked"
                )
                if ticked != value:
                    self.page.click(selector)
            elif tag == "SELECT":
                self.page.choose(selector, value)
            else:
                self.page.type_into(selector, value, clear=True)
        self.page.follow('.step-form button[name="apply"]')
        error = self.page.evaluate("document.querySelector('[data-error]')?.textContent")
        assert not error, f"{fields}: {error}\n{self.field_errors()}"

    def rows(self, name: str, pairs: list[tuple[str, str]]) -> None:
        """Fill key/value rows one at a time, as the form grows one empty row each time."""
        for n, (key, value) in enumerate(pairs):
            self.fill(**{f"{name}.{n}.key": key, f"{name}.{n}.value": value})

    def reveal(self, name: str) -> None:
        """Open the "More settings" a field sits in (a person clicks it open)."""
        selector = f'.step-form [name="{name}"]'
        closed = self.page.evaluate(
            f"""(s => {{ const d = document.querySelector(s)?.closest('details');
                return !!d && !d.open; }})({json.dumps(selector)})"""
        )
        if closed:
            self.page.click(f'.step-form details:has([name="{name}"]) > summary')

    def field_errors(self) -> str:
        return str(
            self.page.evaluate(
                "[...document.querySelectorAll('.error')].map(e => e.textContent).join('; ')"
            )
        )

    def save(self) -> str:
        self.page.follow('.builder-bar button[value="save"]')
        return str(
            self.page.evaluate("document.querySelector('.said, [data-error]')?.textContent || ''")
        )


@pytest.fixture
def project(tmp_path):
    (tmp_path / "specs").mkdir()
    for spec in (ROOT / "specs").glob("*.yaml"):
        shutil.copy(spec, tmp_path / "specs")
    shutil.copytree(ROOT / "specs" / "inputs", tmp_path / "specs" / "inputs")
    shutil.copytree(ROOT / "agents", tmp_path / "agents")
    (tmp_path / "people.yaml").write_text(PEOPLE)
    return tmp_path


@pytest.fixture
async def console(client, project):
    settings = ConsoleSettings(
        people=load_people(project / "people.yaml"),
        trusted_header=HEADER,
        secret="s" * 64,
        used_links=project / "state" / "links.db",
    )
    app = build_app(client, specs=project / "specs", clients=Clients([]), console=settings)
    async with serving(app) as base:
        yield base


def signed_in(page: Page, who: str = "ana") -> None:
    page.send("Network.enable")
    page.send("Network.setExtraHTTPHeaders", headers={HEADER: who})


async def in_chromium(fn, *args):
    import asyncio

    return await asyncio.to_thread(fn, *args)


def rebuild_deal_review(base: str) -> str:
    with headless_page(1440, 1000) as page:
        signed_in(page)
        page.goto(f"{base}/console/specs")
        page.wait_for_text("New spec")
        shoot(page, "specs")
        page.follow('a[href="/console/specs/new"]')
        page.type_into("#new-name", "deal_review")
        page.follow(".builder-new button")
        page.wait_for_text("A new spec: add its steps, then save it.")
        b = Builder(page, base, "deal_review")
        b.fill(
            summary="Deal review: {{ input.company }} ({{ input.amount_usd }} USD)",
            description="Parallel analyst reviews of a deal, aggregated into one risk level.",
            **{"agents.0": "../agents/deal.yaml"},
        )
        for n, (field, kind) in enumerate(
            [("company", "string"), ("deal_terms", "string"), ("amount_usd", "number")]
        ):
            more: dict[str, str | bool] = (
                {f"input.{n}.minimum": "0"} if field == "amount_usd" else {}
            )
            b.fill(
                **{f"input.{n}.name": field, f"input.{n}.type": kind, f"input.{n}.required": True},
                **more,
            )
            if n == 0:
                shoot(page, "settings")  # the first input row filled, an empty one to add
        b.fill(
            **{"budget.usd": "0.50", "budget.on_exceed": "escalate", "budget.escalate_to.0": "cfo"}
        )
        b.fill(**{"deadline.after": "2d", "deadline.on_breach": "notify"})

        b.add("steps", "parallel", "reviews")
        for step, agent, optional in [
            ("financial", "financial-analyst", False),
            ("legal", "legal-analyst", False),
            ("technical", "tech-analyst", True),
        ]:
            b.add("steps[0].parallel", "agent", step)
            b.fill(agent=agent, **({"optional": True} if optional else {}))
            terms = [("terms", "input.deal_terms")]
            b.rows(
                "with",
                terms + ([("amount_usd", "input.amount_usd")] if step == "financial" else []),
            )
        b.open("financial")
        shoot(page, "parallel")
        b.add("steps", "agent", "risk")
        b.fill(agent="risk-aggregator")
        b.rows("with", [(s, f"steps.{s}.output") for s in ("financial", "legal", "technical")])
        b.add("steps", "approval", "signoff")
        b.fill(
            when="steps.risk.output.level == 'high'",
            **{
                "approval.title": TITLE,
                "approval.details": "steps.risk.output",
                "approval.approvers.0": "deal-desk",
                "approval.escalate.0.to.0": "cfo",
                "approval.escalate.0.after": "4h",
                "approval.timeout": "1d",
                "approval.on_timeout": "reject",
            },
        )
        b.open("spec")
        b.rows(
            "output",
            [
                ("risk", "steps.risk.output"),
                ("reviews", "steps.reviews.output"),
                ("decision", "steps.signoff.output"),
            ],
        )
        page.wait_for(
            "document.querySelector('[data-verdict]').dataset.verdict === 'accepted'",
            what="the compiler's yes",
        )
        b.open("signoff")
        shoot(page, "rebuilt")
        return b.save()


async def test_deal_review_is_rebuilt_from_nothing_by_clicks(console, project):
    shipped = compile_spec(ROOT / "specs" / "deal_review.yaml", offline=True)
    (project / "specs" / "deal_review.yaml").unlink()
    said = await in_chromium(rebuild_deal_review, console)
    assert said == "Saved."
    rebuilt = compile_spec(project / "specs" / "deal_review.yaml", offline=True)
    ignore = {"source"}
    assert rebuilt.model_dump(exclude=ignore) == shipped.model_dump(exclude=ignore)


def apply_every_form_and_save(base: str, specs: list[str]) -> dict[str, tuple[int, str]]:
    """For each spec: open it in the builder, apply its settings' and each top-level step's
    form as they are, save. What each save said, and how many forms were applied. (Every
    form of every sample, nested steps' included, reads back unchanged over HTTP:
    test_schema_forms, test_builder.)"""
    said: dict[str, tuple[int, str]] = {}
    with headless_page(1440, 1000) as page:
        signed_in(page)
        for spec in specs:
            page.goto(f"{base}/console/specs/{spec}/edit")
            page.wait_for_text("Spec settings")
            b = Builder(page, base, spec)
            steps = page.evaluate(
                "[...document.querySelectorAll("
                "'.outline .spec-box, .outline > .slot > .slot-items > .box')]"
                ".map(b => b.dataset.at)"
            )
            applied = 0
            for place in steps:
                if place != "spec":
                    page.follow(f'.box[data-at="{place}"] > .box-head a.name')
                b.fill()
                applied += 1
                changed = page.evaluate("document.querySelector('[data-changed]').dataset.changed")
                assert changed == "no", (
                    f"{spec}: applying {place}'s form unchanged changed the draft"
                )
            said[spec] = (applied, b.save())
    return said


async def test_every_sample_opened_and_saved_unchanged_stays_byte_identical(console, project):
    samples = sorted(p.stem for p in (project / "specs").glob("*.yaml"))
    before = {name: (project / "specs" / f"{name}.yaml").read_bytes() for name in samples}
    said = await in_chromium(apply_every_form_and_save, console, samples)
    for name in samples:
        applied, words = said[name]
        assert applied >= 2 and words == "Nothing to save: the draft is the file as it is.", name
        assert (project / "specs" / f"{name}.yaml").read_bytes() == before[name], name


def wrong_agent_then_mend(base: str) -> dict[str, str]:
    """On a phone: set a step's agent to one the catalog lacks, read what the step says,
    try to save, then put the agent back."""
    with headless_page(390, 844) as page:
        signed_in(page)
        page.goto(f"{base}/console/specs/support_triage/edit")
        page.wait_for_text("Spec settings")
        b = Builder(page, base, "support_triage")
        step = page.evaluate(
            "document.querySelector('.outline .box[data-kind=\"agent\"]').dataset.step"
        )
        b.open(step)
        agent = page.evaluate("document.querySelector('.step-form [name=\"agent\"]').value")
        b.fill(agent="nobody-we-know")
        box = f'.box[data-step="{step}"] .problems'
        seen = {
            "pinned": str(page.evaluate(f"document.querySelector({json.dumps(box)})?.textContent"))
        }
        seen["verdict"] = page.evaluate("document.querySelector('[data-verdict]').dataset.verdict")
        seen["wide"] = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
        shoot(page, "refused", whole=False)
        seen["save"] = b.save()
        b.open(step)
        b.fill(agent=agent)
        seen["mended"] = page.evaluate("document.querySelector('[data-verdict]').dataset.verdict")
        seen["changed"] = page.evaluate("document.querySelector('[data-changed]').dataset.changed")
        return seen


async def test_an_edit_the_compiler_refuses_is_shown_on_its_step(console, project):
    spec = project / "specs" / "support_triage.yaml"
    before = spec.read_bytes()
    seen = await in_chromium(wrong_agent_then_mend, console)
    assert "unknown agent 'nobody-we-know'" in seen["pinned"]
    assert seen["verdict"] == "refused"
    assert seen["save"].startswith("Not saved: the compiler refuses the spec")
    assert spec.read_bytes() == before
    assert seen["wide"] is False  # nothing wider than the phone's screen
    assert seen["mended"] == "accepted" and seen["changed"] == "no"
