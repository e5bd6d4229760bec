"""``podium memory show`` / ``forget`` as a person runs them: the subject's facts with
where they came from, erasure with an audit line (who, when, how many — not the facts),
asked first unless ``--yes``; encrypted facts read with the key, named without it."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from podium.activities.memory.sqlite_store import SQLiteStore
from podium.activities.memory.store import NewFact
from podium.activities.memory.values import encode
from podium.activities.payloads.converter import data_converter
from podium.activities.payloads.settings import from_environment, new_key

PODIUM = str(Path(sys.executable).parent / "podium")
NOW = datetime.now(UTC)


def podium(
    folder: Path, *args: str, keys: str = "", stdin: str | None = None
) -> tuple[int, str, str]:
    """``podium ARGS`` in ``folder`` (its default store: ``.podium/memory.db`` there)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PODIUM_")}
    env["PODIUM_USER"] = "dpo"
    if keys:
        env["PODIUM_ENCRYPTION_KEYS"] = keys
    done = subprocess.run(
        [PODIUM, "memory", *args],
        cwd=folder,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return done.returncode, done.stdout, done.stderr


def keep(
    folder: Path, subject: str, value: object, run: str, keys: str = "", ago_s: int = 0
) -> None:
    """A fact as a worker in ``folder`` would have written it."""
    converter = data_converter(from_environment({"PODIUM_ENCRYPTION_KEYS": keys}))
    stored = asyncio.run(encode(converter, value))
    store = SQLiteStore(folder / ".podium" / "memory.db")
    at = NOW - timedelta(seconds=ago_s)
    fact = NewFact(subject, f"{run}/reply/0", stored, None, run, "reply", at, None, at)
    assert store.write(fact) == "written"
    store.close()


def test_show_lists_the_facts_newest_first_and_forget_erases_them_with_an_audit_line(tmp_path):
    keep(
        tmp_path, "C-1042", {"ticket": "charged twice", "category": "billing"}, "triage-1", ago_s=60
    )
    keep(tmp_path, "C-1042", {"ticket": "app crashes", "category": "technical"}, "triage-2")
    keep(tmp_path, "C-7", "someone else's fact", "triage-3")

    code, out, err = podium(tmp_path, "show", "C-1042")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == (
        f"memory of 'C-1042' (sqlite://{tmp_path}/.podium/memory.db): 2 facts, newest first"
    )
    assert "run triage-2  step reply" in lines[1]
    assert lines[2] == '  {"category": "technical", "ticket": "app crashes"}'
    assert "run triage-1  step reply" in lines[3] and "charged twice" in lines[4]
    assert "someone else" not in out
    assert lines[-1].endswith("show by dpo: 2 facts")

    code, out, err = podium(tmp_path, "forget", "C-1042")  # no terminal to ask: refused
    assert code == 2 and "add --yes to confirm" in err
    code, out, err = podium(tmp_path, "forget", "C-1042", "--yes", "--reason", "request 12")
    assert code == 0, err
    assert (
        out.splitlines()[0]
        == f"forgot 2 facts about 'C-1042' (sqlite://{tmp_path}/.podium/memory.db)"
    )
    assert out.splitlines()[1].endswith("forget by dpo: 2 facts (request 12)")
    assert "keep what they read in their histories" in out

    code, out, _ = podium(tmp_path, "show", "C-1042")
    assert "0 facts" in out.splitlines()[0] and "charged twice" not in out
    audit = out.split("audit:\n")[1]
    assert [line.split(" UTC ")[1] for line in audit.splitlines()] == [
        "show by dpo: 2 facts",
        "forget by dpo: 2 facts (request 12)",
        "show by dpo: 0 facts",
    ]
    stored = b"".join(p.read_bytes() for p in (tmp_path / ".podium").glob("memory.db*"))
    assert b"C-1042" not in stored  # the subject itself is kept only as a digest
    assert (tmp_path / ".podium" / ".gitignore").read_text().endswith("\n*\n")  # never committed
    code, out, _ = podium(tmp_path, "show", "C-7")
    assert "1 fact," in out  # the others' facts stay


def test_forget_asks_on_a_terminal_and_keeps_the_facts_unless_told_yes(tmp_path):
    keep(tmp_path, "C-9", "likes durian", "triage-9")
    script = (
        "import sys, io\n"
        "from podium.starters.commands import memory\n"
        "class Tty(io.StringIO):\n"
        "    def isatty(self): return True\n"
        "sys.exit(memory.forget('C-9', ask=Tty(sys.argv[1])))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PODIUM_")}
    for answer, kept in (("n\n", 1), ("y\n", 0)):
        done = subprocess.run(
            [sys.executable, "-c", script, answer], cwd=tmp_path, env=env, capture_output=True,
            text=True, timeout=60, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith("forget every fact about 'C-9' in sqlite://")
        assert "(1 fact)? [y/N]" in done.stdout
        store = SQLiteStore(tmp_path / ".podium" / "memory.db")
        assert len(store.recent("C-9", 0, NOW + timedelta(seconds=1))) == kept
        store.close()


def test_encrypted_facts_are_read_with_the_key_and_named_without_it(tmp_path):
    key = new_key()
    keep(tmp_path, "C-5", "passport A1234567", "triage-5", keys=key)
    stored = (tmp_path / ".podium" / "memory.db").read_bytes()
    assert b"A1234567" not in stored

    code, out, err = podium(tmp_path, "show", "C-5", keys=key)
    assert code == 0 and "  passport A1234567" in out, err
    code, out, err = podium(tmp_path, "show", "C-5")
    assert code == 2 and "A1234567" not in out
    assert "(encrypted with a key this client does not have)" in out
    key_id = key.split(":")[0]
    assert f"encrypted with key '{key_id}'" in err and "PODIUM_ENCRYPTION_KEYS" in err
    assert "Traceback" not in err


def test_a_wrong_store_setting_is_one_line(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PODIUM_")}
    env["PODIUM_MEMORY_URL"] = "mysql://db/podium"
    done = subprocess.run(
        [PODIUM, "memory", "show", "C-1"], cwd=tmp_path, env=env, capture_output=True,
        text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr == (
        "podium: PODIUM_MEMORY_URL='mysql://db/podium': unknown store\n"
        "hint: sqlite:///path/to/memory.db, or postgresql://user@host:5432/db\n"
    )
