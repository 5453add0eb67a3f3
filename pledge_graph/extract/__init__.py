"""Facts a pledge commits to, read from its words: funding, treaty actions, organisations,
countries and programmes, each with the span of text it was read from."""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["extract_facts"]


def extract_facts(text: str, *, data_dir: Path | None = None) -> list[dict[str, Any]]:
    """Return the facts found in a pledge's text, as record dicts (see docs/model.md)."""
    return []
