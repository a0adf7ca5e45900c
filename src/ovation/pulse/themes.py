"""Themes in "what stops you / what would make you recommend us" answers. Pure and
explainable: a theme is a list of terms and phrases; an answer belongs to every theme one of
whose terms it contains (as a word prefix), and the matched terms are kept to show why."""

from __future__ import annotations

import re

THEMES: dict[str, tuple[str, list[str]]] = {
    "pricing": (
        "Pricing & value",
        ["price", "pricing", "expensive", "cost", "licen", "budget", "discount", "value for"],
    ),
    "support": (
        "Support",
        ["support", "ticket", "response time", "help desk", "helpdesk", "customer service"],
    ),
    "performance": (
        "Performance",
        ["slow", "performance", "speed", "lag", "loading", "timeout", "faster"],
    ),
    "features": (
        "Missing features",
        ["feature", "missing", "roadmap", "wish", "lack", "export", "custom report", "api"],
    ),
    "onboarding": (
        "Onboarding & training",
        ["onboarding", "training", "learning curve", "documentation", "docs", "setup", "set up"],
    ),
    "integrations": (
        "Integrations",
        ["integration", "integrate", "connector", "salesforce", "hubspot", "snowflake", "sso"],
    ),
    "reliability": (
        "Reliability",
        ["bug", "outage", "downtime", "crash", "error", "unreliable", "broken", "stability"],
    ),
    "usability": (
        "Ease of use",
        ["complicated", "complex", "confusing", "hard to use", "ux", "interface", "clunky"],
    ),
    "permission": (
        "Not allowed to recommend",
        ["policy", "legal", "not allowed", "procurement", "compliance", "approval"],
    ),
}
THEME_LABELS = {key: label for key, (label, _) in THEMES.items()}

_PATTERNS = {
    key: [(term, re.compile(r"\b" + re.escape(term), re.IGNORECASE)) for term in terms]
    for key, (_, terms) in THEMES.items()
}


def classify(text: str) -> dict[str, list[str]]:
    """theme -> the terms that matched (empty dict when no theme applies)."""
    found: dict[str, list[str]] = {}
    if not text:
        return found
    for key, patterns in _PATTERNS.items():
        terms = [term for term, pattern in patterns if pattern.search(text)]
        if terms:
            found[key] = terms
    return found


def theme_text(score: int, reason: str, improvement: str) -> str:
    """The text a barrier is read from: "what stops you", plus the reason for a score below 9
    (a promoter's reason is praise, not a barrier)."""
    return improvement if score >= 9 else f"{improvement}\n{reason}"
