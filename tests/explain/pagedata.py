"""Read back what an explorer page embeds."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any


def embedded(page: Path | str) -> dict[str, Any]:
    """The walk embedded in an explorer page as JSON (its ``walk-data`` script block)."""
    html = page.read_text(encoding="utf-8") if isinstance(page, Path) else page
    found = re.search(r'<script type="application/json" id="walk-data">(.*?)</script>', html,
                      re.S)
    assert found, "the page embeds no walk-data block"
    return json.loads(found.group(1))  # tojson escapes <, > and & as \u003c...: no entities
