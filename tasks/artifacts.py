"""Publish results to the Prefect UI as artifacts (managers read these)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from prefect.artifacts import create_markdown_artifact, create_table_artifact

MAX_TABLE_ROWS = 2000


def artifact_key(*parts: str) -> str:
    """Artifact keys allow only lowercase letters, digits and dashes."""
    key = "-".join(parts).lower()
    return re.sub(r"-+", "-", re.sub(r"[^a-z0-9-]", "-", key)).strip("-")


def publish_table(key: str, rows: Sequence[dict], description: str) -> None:
    shown = list(rows[:MAX_TABLE_ROWS])
    if len(rows) > len(shown):
        description += f" (first {len(shown)} of {len(rows)} rows)"
    create_table_artifact(key=artifact_key(key), table=shown, description=description)


def publish_markdown(key: str, markdown: str, description: str) -> None:
    create_markdown_artifact(key=artifact_key(key), markdown=markdown, description=description)


def markdown_table(rows: Sequence[dict]) -> str:
    if not rows:
        return "_none_\n"
    headers = list(rows[0])
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    for row in rows:
        cells = (str(row[h]).replace("|", "\\|").replace("\n", " ") for h in headers)
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
