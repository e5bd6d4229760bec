"""Rules that find prompt injection in text a model will read (a tool's result, an input).

Each rule is a named regular expression over the text, written for the phrases attacks
use (OWASP LLM01's examples: "ignore previous instructions", role markers, requests to
reveal the prompt or hide things from the user, hidden Unicode), in English and in the
languages of the markets Podium serves (Indonesian and Malay, Vietnamese, Thai,
Tagalog). Rules are cheap and explainable, and they miss paraphrases: for those a guard
can name a classifier agent as well (``injection: {classifier: <agent>}``).

Text without any of ``TRIGGERS`` is passed without running the rules (the common case:
a few microseconds per 10 KB).
"""

from __future__ import annotations

import re

_OBJECTS = r"(?:instructions?|prompts?|directions?|rules|guidelines|messages?|context|commands?)"
_EARLIER = r"(?:previous|prior|above|earlier|preceding|foregoing|original|initial|system|developer)"

RULES: dict[str, str] = {
    "ignore_instructions": (
        rf"\b(?:ignore|disregard|forget|override|bypass)\s+(?:(?:all|any|the|your|my|of|these|"
        rf"those)\s+)*{_EARLIER}\s+(?:\w+\s+)?{_OBJECTS}"
        rf"|\b(?:ignore|disregard|forget)\s+(?:all|everything|anything)\s+(?:(?:of\s+)?(?:the|"
        rf"your|you\s+were|you've\s+been)\s+)?(?:{_OBJECTS}|told)"
        # Indonesian / Malay, Vietnamese, Thai, Tagalog
        r"|\babaikan\s+(?:semua\s+|segala\s+)?(?:instruksi|perintah|arahan)"
        r"|bỏ\s+qua\s+(?:tất\s+cả\s+)?(?:các\s+|mọi\s+)?(?:hướng\s+dẫn|chỉ\s+dẫn|lệnh)"
        r"|(?:ละเว้น|เพิกเฉย|ไม่ต้องสนใจ)(?:ต่อ)?\s*คำสั่ง"
        r"|\b(?:huwag\s+pansinin|balewalain|kalimutan)\s+(?:ang\s+)?(?:lahat\s+ng\s+)?(?:mga\s+)?"
        r"(?:naunang\s+|nakaraang\s+)?(?:tagubilin|utos|instruksyon)"
    ),
    "new_instructions": (
        r"\b(?:new|updated|revised|real|actual|additional)\s+(?:system\s+)?instructions?\s*:"
        r"|\byou\s+are\s+now\s+(?:a|an|the|in|no\s+longer)\b"
        r"|\bfrom\s+now\s+on,?\s+(?:you|the\s+assistant)\s+(?:are|will|must|shall|should)\b"
    ),
    "role_marker": (
        r"<\|(?:im_start|im_end|system|endoftext)\|>|\[/?INST\]|<</?SYS>>"
        r"|(?m:^\s*#+\s*(?:system|developer)\s+(?:prompt|message|instructions?)\b)"
    ),
    "reveal_prompt": (
        r"\b(?:reveal|print|show|repeat|output|leak|disclose)\s+(?:me\s+)?(?:your|the)\s+"
        r"(?:full\s+|entire\s+)?(?:system\s+|hidden\s+|initial\s+|original\s+)(?:prompt|instructions)"
    ),
    "hide_from_user": (
        r"\bdo\s+not\s+(?:tell|inform|mention\s+(?:this\s+)?to|alert|notify)\s+the\s+user\b"
        r"|\bwithout\s+(?:telling|informing|asking|alerting)\s+the\s+user\b"
    ),
    "exfiltrate": (
        r"\b(?:send|forward|post|upload|e-?mail|leak)\s+(?:all\s+|the\s+|this\s+|your\s+)?"
        r"(?:conversation|chat\s+history|system\s+prompt|api\s+keys?|credentials|passwords?|"
        r"secrets?|tokens?)\s+to\b"
    ),
    "jailbreak": r"\b(?:jailbreak|jailbroken|DAN\s+mode|developer\s+mode\s+(?:enabled|on)|"
    r"do\s+anything\s+now)\b",
    "hidden_text": r"[\U000E0000-\U000E007F]|[\u200b-\u200f\u2060\ufeff]{3,}",
}
"""Rule name → pattern (case-insensitive)."""

_COMBINED = re.compile(
    "|".join(f"(?P<{name}>{pattern})" for name, pattern in RULES.items()), re.IGNORECASE
)

TRIGGERS = (
    "ignore", "disregard", "forget", "override", "bypass", "instruction", "you are now",
    "from now on", "<|", "[inst]", "[/inst]", "<<sys", "system", "developer", "reveal",
    "prompt", "the user", "jailbreak", "dan mode", "anything now", "abaikan", "bỏ qua",
    "ละเว้น", "เพิกเฉย", "ไม่ต้องสนใจ", "pansinin", "balewalain", "kalimutan",
    "conversation", "credential", "password", "secret", "api key", "token",
)  # fmt: skip
"""Words at least one of which every rule needs (looked for in the lowered text first)."""
_HIDDEN = re.compile(RULES["hidden_text"])


def find_injection(text: str) -> list[str]:
    """The names of the rules ``text`` breaks, in the order first found (empty: none)."""
    lowered = text.lower()
    if not any(word in lowered for word in TRIGGERS) and _HIDDEN.search(text) is None:
        return []
    found: list[str] = []
    for match in _COMBINED.finditer(text):
        name = match.lastgroup
        if name is not None and name not in found:
            found.append(name)
    return found
