"""``podium eval --against REF``: the same cases run on the spec as it was at a git ref.

The suite — its cases, inputs and judges — stays as it is now, so both sides are judged
alike; the spec and the agent catalogs it names are taken from ``REF`` (the tracked files
at that commit, read with ``git archive``: the working tree and the repository are not
touched). Both versions run, one after the other, the same way (on the workers, or
replayed from the cassette: there a call the old version makes that was not recorded is
flagged like any other), and the results say which cases got better or worse.
"""

from __future__ import annotations

import dataclasses
import io
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from podium.activities.errors import SetupError
from podium.compiler.problems import CompileError
from podium.compiler.spec_compiler import compile_spec
from podium.starters.evals.suite_file import LoadedSuite

GIT_TIMEOUT_S = 60.0


def _git(folder: Path, *args: str) -> bytes:
    """``git args`` run in ``folder``; its output.

    Raises:
        SetupError: no git, not a repository, or git refused (its message).
    """
    try:
        done = subprocess.run(
            ["git", *args], cwd=folder, capture_output=True, timeout=GIT_TIMEOUT_S, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SetupError(f"--against needs git: {exc}") from None
    if done.returncode != 0:
        said = done.stderr.decode(errors="replace").strip().splitlines()
        raise SetupError(f"git {args[0]}: {said[-1] if said else 'failed'}")
    return done.stdout


def commit_of(folder: Path, ref: str) -> str:
    """The commit ``ref`` names, as a short hash (SetupError if it names none)."""
    try:
        named = _git(folder, "rev-parse", "--verify", "--short", f"{ref}^{{commit}}")
        return named.decode().strip()
    except SetupError:
        raise SetupError(
            f"--against {ref}: no such commit, branch or tag in the repository of {folder}"
        ) from None


@contextmanager
def tree_at(folder: Path, ref: str) -> Iterator[tuple[Path, Path]]:
    """``(tree, root)``: the files tracked at ``ref`` in a temporary folder, and the
    repository's root they mirror (removed on the way out)."""
    root = Path(_git(folder, "rev-parse", "--show-toplevel").decode().strip())
    archive = _git(root, "archive", "--format=tar", commit_of(folder, ref))
    with tempfile.TemporaryDirectory(prefix="podium-eval-against-") as scratch:
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(scratch, filter="data")
        yield Path(scratch), root


def suite_at(loaded: LoadedSuite, tree: Path, root: Path, ref: str) -> LoadedSuite:
    """``loaded`` with its spec compiled as it was at ``ref`` (extracted into ``tree``).

    Raises:
        SetupError: the spec was not there, or did not compile, at ``ref``.
    """
    spec = (loaded.path.parent / loaded.suite.spec).resolve()
    try:
        then = tree / spec.relative_to(root.resolve())
    except ValueError:
        raise SetupError(f"--against: the spec {spec} is not in the repository at {root}") from None
    if not then.is_file():
        raise SetupError(f"--against {ref}: the spec {spec.relative_to(root)} was not there yet")
    try:
        plan = compile_spec(then, offline=loaded.offline)
    except CompileError as exc:
        shown = str(exc).replace(str(tree), f"{ref}:")
        raise SetupError(f"--against {ref}: the spec did not compile there:\n{shown}") from None
    return dataclasses.replace(loaded, plan=plan, name=f"{loaded.name}@{ref}")
