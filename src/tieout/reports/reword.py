"""Optional rewording of the commentary by a language model, never trusted with a number:
every number in its text must appear in the computed text, else the computed text stands
and the offending numbers are reported."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from openai import OpenAI, OpenAIError

from tieout.config.project import LlmConfig

NUMBER = re.compile(r"[-+]?\d[\d,]*(?:\.\d+)?")
INSTRUCTIONS = (
    "Reword this management commentary for a leadership audience: plain, short sentences. "
    "Copy every number exactly as written; add no number, date or percentage of your own."
)


@dataclass(frozen=True)
class Reworded:
    text: str
    by_model: bool
    rejected: list[str]  # numbers the model wrote that the facts do not contain
    error: str | None = None


def reword(text: str, cfg: LlmConfig) -> Reworded:
    client = OpenAI(
        base_url=cfg.url,
        api_key=os.environ.get(cfg.api_key_env) or "not-set",
        timeout=cfg.timeout_seconds,
        max_retries=0,
    )
    try:
        reply = client.chat.completions.create(
            model=cfg.model,
            messages=[
                {"role": "system", "content": INSTRUCTIONS},
                {"role": "user", "content": text},
            ],
            temperature=0,
        )
    except OpenAIError as exc:
        return Reworded(text, False, [], f"{type(exc).__name__}: {exc}")
    candidate = (reply.choices[0].message.content or "").strip() if reply.choices else ""
    if not candidate:
        return Reworded(text, False, [], "the model returned no text")
    unfounded = unfounded_numbers(candidate, text)
    if unfounded:
        return Reworded(text, False, unfounded)
    return Reworded(candidate + "\n", True, [])


def unfounded_numbers(candidate: str, facts: str) -> list[str]:
    """Numbers in `candidate` not written in `facts` (compared without thousands commas)."""
    known = {_plain(n) for n in NUMBER.findall(facts)}
    known |= {n.lstrip("+-") for n in known}
    found = []
    for number in NUMBER.findall(candidate):
        if _plain(number) not in known and _plain(number).lstrip("+-") not in known:
            found.append(number)
    return sorted(set(found))


def _plain(number: str) -> str:
    return number.replace(",", "").rstrip(".")
