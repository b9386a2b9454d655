"""After a run, a JSON summary to a webhook (a chat channel, an orchestrator). A failed post
is reported, never a failed run: the snapshot is already switched."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any


def post_run_summary(url: str, summary: dict[str, Any], timeout: float) -> str | None:
    """POST the summary; returns why it failed, or None."""
    body = json.dumps(summary, default=str).encode("utf-8")
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status = int(response.status)
    except (urllib.error.URLError, OSError) as exc:
        return f"webhook {url} failed: {exc}"
    return None if 200 <= status < 300 else f"webhook {url} answered {status}"
