"""Rules that find prompt injection in text a model will read (a tool's result, an input).

Each rule is a set of words an attack begins with and a regular expression tried where
one of them stands, written for the phrases attacks use (OWASP LLM01's examples: "ignore
previous instructions", role markers, requests to reveal the prompt or hide things from
the user, hidden Unicode), in English and in the languages of the markets Podium serves
(Indonesian and Malay, Vietnamese, Thai, Tagalog). Rules are cheap and explainable, and
they miss paraphrases: for those a guard can name a classifier agent as well
(``injection: {classifier: <agent>}``).

Speed: one alternation of every rule over the whole text took ~9 ms per 10 KB; finding
the starting words with ``str.find`` and trying a rule only there costs a few tenths of a
millisecond.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_OBJECTS = r"(?:instructions?|prompts?|directions?|rules|guidelines|messages?|context|commands?)"
_EARLIER = r"(?:previous|prior|above|earlier|preceding|foregoing|original|initial|system|developer)"


@dataclass(frozen=True)
class Rule:
    """Words an attack of this kind begins with, and the pattern tried where one stands."""

    name: str
    starts: tuple[str, ...]
    pattern: re.Pattern[str]


def _rule(name: str, starts: tuple[str, ...], pattern: str) -> Rule:
    return Rule(name, starts, re.compile(pattern, re.IGNORECASE))


RULES: tuple[Rule, ...] = (
    _rule(
        "ignore_instructions",
        ("ignore", "disregard", "forget", "override", "bypass"),
        rf"\w+\s+(?:(?:all|any|the|your|my|of|these|those)\s+)*{_EARLIER}\s+(?:\w+\s+)?"
        rf"{_OBJECTS}|(?:ignore|disregard|forget)\s+(?:all|everything|anything)\s+"
        rf"(?:(?:of\s+)?(?:the|your|you\s+were|you've\s+been)\s+)?(?:{_OBJECTS}|told)",
    ),
    _rule(  # Indonesian / Malay, Vietnamese, Thai, Tagalog
        "ignore_instructions",
        ("abaikan", "bỏ qua", "ละเว้น", "เพิกเฉย", "ไม่ต้องสนใจ", "huwag", "balewalain", "kalimutan"),
        r"abaikan\s+(?:semua\s+|segala\s+)?(?:instruksi|perintah|arahan)"
        r"|bỏ\s+qua\s+(?:tất\s+cả\s+)?(?:các\s+|mọi\s+)?(?:hướng\s+dẫn|chỉ\s+dẫn|lệnh)"
        r"|(?:ละเว้น|เพิกเฉย|ไม่ต้องสนใจ)(?:ต่อ)?\s*คำสั่ง"
        r"|(?:huwag\s+pansinin|balewalain|kalimutan)\s+(?:ang\s+)?(?:lahat\s+ng\s+)?(?:mga\s+)?"
        r"(?:naunang\s+|nakaraang\s+)?(?:tagubilin|utos|instruksyon)",
    ),
    _rule(
        "new_instructions",
        ("new", "updated", "revised", "real", "actual", "additional", "you are now", "from now"),
        r"(?:new|updated|revised|real|actual|additional)\s+(?:system\s+)?instructions?\s*:"
        r"|you\s+are\s+now\s+(?:a|an|the|in|no\s+longer)\b"
        r"|from\s+now\s+on,?\s+(?:you|the\s+assistant)\s+(?:are|will|must|shall|should)\b",
    ),
    _rule(
        "role_marker",
        ("<|", "[inst]", "[/inst]", "<<sys", "<</sys", "#"),
        r"<\|(?:im_start|im_end|system|endoftext)\|>|\[/?INST\]|<</?SYS>>"
        r"|#+\s*(?:system|developer)\s+(?:prompt|message|instructions?)\b",
    ),
    _rule(
        "reveal_prompt",
        ("reveal", "print", "show", "repeat", "output", "leak", "disclose"),
        r"\w+\s+(?:me\s+)?(?:your|the)\s+(?:full\s+|entire\s+)?"
        r"(?:system\s+|hidden\s+|initial\s+|original\s+)(?:prompt|instructions)",
    ),
    _rule(
        "hide_from_user",
        ("do not", "without"),
        r"do\s+not\s+(?:tell|inform|mention\s+(?:this\s+)?to|alert|notify)\s+the\s+user\b"
        r"|without\s+(?:telling|informing|asking|alerting)\s+the\s+user\b",
    ),
    _rule(
        "exfiltrate",
        ("send", "forward", "post", "upload", "email", "e-mail", "leak"),
        r"[\w-]+\s+(?:all\s+|the\s+|this\s+|your\s+)?(?:conversation|chat\s+history|"
        r"system\s+prompt|api\s+keys?|credentials|passwords?|secrets?|tokens?)\s+to\b",
    ),
    _rule(
        "jailbreak",
        ("jailbr", "dan mode", "developer mode", "do anything now"),
        r"jailbr(?:eak|oken)|DAN\s+mode|developer\s+mode\s+(?:enabled|on)|do\s+anything\s+now",
    ),
)
"""The rules, by the name a finding reports."""
RULE_NAMES = tuple(dict.fromkeys(rule.name for rule in RULES)) + ("hidden_text",)
_HIDDEN = re.compile("[\u200b-\u200f\u2060\ufeff\U000e0000-\U000e007f]")
_ZERO_WIDTH = re.compile("[\u200b-\u200f\u2060\ufeff]{3,}")
_TAGS = re.compile("[\U000e0000-\U000e007f]")


def find_injection(text: str) -> list[str]:
    """The names of the rules ``text`` breaks, in ``RULE_NAMES`` order (empty: none)."""
    lowered = text.lower()  # (rules run on it: positions stay its own)
    found: list[str] = []
    for rule in RULES:
        if rule.name not in found and _breaks(rule, lowered):
            found.append(rule.name)
    if not text.isascii() and _hidden(text):
        found.append("hidden_text")
    return found


def _breaks(rule: Rule, lowered: str) -> bool:
    for word in rule.starts:
        bounded = word.isascii() and word[0].isalnum()  # (Thai runs words together)
        at = lowered.find(word)
        while at >= 0:
            starts_word = not bounded or at == 0 or not lowered[at - 1].isalnum()
            if starts_word and rule.pattern.match(lowered, at):
                return True
            at = lowered.find(word, at + 1)
    return False


def _hidden(text: str) -> bool:
    """Unicode tag characters (invisible ASCII) or runs of zero-width characters."""
    if _HIDDEN.search(text) is None:
        return False
    return _TAGS.search(text) is not None or _ZERO_WIDTH.search(text) is not None
