"""Inputs that used to be accepted, or refused without saying where or how to fix them:
an HTTP tool's URL, a literal list where ``over:`` wants an expression, a fairness weight
out of range. Each is one line naming the place and the fix, a non-zero exit, nothing
started and no traceback."""

from __future__ import annotations

import pytest
from podium.starters.cli import dispatch

from tests.starters.test_cli import SPEC, podium

COUNTRY = {"type": "object", "required": ["country"], "properties": {"country": {"type": "string"}}}


def http_spec(url: str, parameters: dict | None = COUNTRY) -> dict:
    tool: dict = {"http": {"method": "GET", "url": url}}
    if parameters is not None:
        tool["parameters"] = parameters
    return {
        "name": "holidays",
        "agents": {
            "tools": {"holidays": tool},
            "agents": {"planner": {"model": "scripted", "tools": ["holidays"]}},
        },
        "steps": [{"id": "plan", "agent": "planner"}],
    }


@pytest.mark.parametrize(
    ("url", "said", "hint"),
    [
        (
            "api.example.com holidays",
            "url 'api.example.com holidays' has no scheme (it must start with https:// or "
            "http://) and has a space in it",
            "write a full URL, e.g. 'https://api.example.com/holidays/{country}'",
        ),
        (
            "ftp://api.example.com/holidays",
            "has scheme 'ftp' (only http:// and https:// are sent)",
            "write a full URL",
        ),
        (
            "https://api.example.com/holidays/{contry}",
            "url placeholder {contry} is not one of the tool's parameters",
            "did you mean {country}?",
        ),
        (
            "https://api.example.com/holidays/{country",
            "placeholder '{country' is not closed",
            "write {country}",
        ),
        (
            "https://api.example.com/holidays/{{country}}",
            "placeholders take single braces",
            "write {country}, not {{country}}",
        ),
    ],
)
def test_an_http_tools_url_is_checked_when_the_spec_is_compiled(
    write_spec, capsys, url, said, hint
):
    path = write_spec(http_spec(url))
    assert dispatch(["validate", str(path)]) == 2  # validate: 2 = bad input, as run
    err = capsys.readouterr().err
    assert f"{path}:7: agents.tools.holidays.http.url: tool 'holidays': " in err
    assert said in err and f"hint: {hint}" in err
    code = dispatch(["run", str(path), "--address", "127.0.0.1:1"])
    assert code == 2 and "not started" in capsys.readouterr().err


def test_a_url_placeholder_needs_a_declared_parameter(write_spec, capsys):
    path = write_spec(http_spec("https://api.example.com/holidays/{country}", None))
    assert dispatch(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "url placeholder {country} is not one of the tool's parameters" in err
    assert "declare it: parameters: {type: object, required: [country]" in err


def test_an_optional_url_placeholder_is_a_warning(write_spec, capsys):
    optional = {"type": "object", "properties": {"country": {"type": "string"}}}
    path = write_spec(http_spec("https://api.example.com/holidays/{country}", optional))
    assert dispatch(["validate", str(path)]) == 0
    out = capsys.readouterr().out
    assert "OK — spec 'holidays'" in out
    assert "warning: " in out and "url placeholder {country} is not a required parameter" in out


def test_a_good_http_tool_still_compiles(write_spec, capsys):
    path = write_spec(http_spec("https://api.example.com/v1/{country}/holidays?lang=en"))
    assert dispatch(["validate", str(path)]) == 0, capsys.readouterr().err


@pytest.mark.parametrize(
    ("over", "literal"),
    [(["SG", "MY"], "over: \"['SG', 'MY']\""), ([2024, 2025], "over: '`[2024, 2025]`'")],
)
def test_a_literal_list_as_map_over_says_how_to_write_an_expression(
    write_spec, capsys, over, literal
):
    path = write_spec(
        {
            "name": "markets",
            "agents": {"agents": {"w": {"model": "scripted"}}},
            "steps": [{"id": "each", "map": {"over": over}, "step": {"agent": "w"}}],
        }
    )
    assert dispatch(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "steps[0].map.over (step 'each'): expected text, got a list of 2 items" in err
    assert "hint: over: takes a JMESPath expression, not a list: write a literal as " in err
    assert literal in err and "over: input.markets" in err


def test_the_literal_a_hint_suggests_compiles(write_spec, capsys):
    path = write_spec(
        {
            "name": "markets",
            "agents": {"agents": {"w": {"model": "scripted"}}},
            "steps": [{"id": "each", "map": {"over": "['SG', 'MY']"}, "step": {"agent": "w"}}],
        }
    )
    assert dispatch(["validate", str(path)]) == 0, capsys.readouterr().err


@pytest.mark.parametrize("weight", ["-1", "0", "1001", "nan"])
def test_a_fairness_weight_out_of_range_names_the_flag(weight):
    proc = podium("run", SPEC, "--fairness-weight", weight, "--address", "127.0.0.1:1")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert (
        "podium run: error: argument --fairness-weight: must be more than 0 and at most 1000 "
        f"(like a spec's priority.weight), got {weight}" in proc.stderr
    )
    assert "started" not in proc.stdout


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10"


def test_a_binary_file_given_as_a_spec_or_input_says_it_is_not_text(tmp_path, capsys):
    image = tmp_path / "deal.png"
    image.write_bytes(PNG)
    assert dispatch(["validate", str(image)]) == 2
    err = capsys.readouterr().err
    assert f"{image}: the file is a PNG image, not text" in err and "iconv" not in err
    code = dispatch(["run", SPEC, "--input-file", str(image), "--address", "127.0.0.1:1"])
    assert code == 2 and "the file is a PNG image, not text" in capsys.readouterr().err
    (tmp_path / "blob.yaml").write_bytes(b"name: t\x00\x01\x02\x03")
    assert dispatch(["validate", str(tmp_path / "blob.yaml")]) == 2
    assert "the file is binary data, not text" in capsys.readouterr().err
