"""How a source column becomes a typed field: shared by presets and tieout.yml."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

FieldType = Literal[
    "text",
    "date",
    "timestamp",
    "money",
    "price",
    "quantity",
    "percent",
    "hours",
    "rate",
    "integer",
    "boolean",
    "currency",
    "enum",
    "salesforce_id",
]

DateOrder = Literal["DMY", "MDY", "YMD"]


class FieldSpec(BaseModel):
    """One field read from a source column, validated and typed."""

    model_config = ConfigDict(extra="forbid")

    column: str | list[str] | None = Field(
        None,
        description="source header (or alternatives, first present wins); "
        "matched ignoring case, spaces and a leading '*'",
    )
    type: FieldType = "text"
    required: bool = False
    formats: list[str] = Field(
        default_factory=list, description="strptime formats for date/timestamp fields"
    )
    values: dict[str, str] = Field(
        default_factory=dict, description="enum: source value (any case) -> canonical value"
    )
    keywords: dict[str, str] = Field(
        default_factory=dict,
        description="enum: for a value not in `values`, the first keyword (a regular "
        "expression, any case) found in it decides, e.g. {progress: open} reads an "
        "instance's own 'Work In Progress' state",
    )
    default: str | None = Field(None, description="value used when the cell is empty")
    extract: str | None = Field(
        None, description="regular expression whose first group is the value, e.g. '^([1-5])'"
    )

    @property
    def columns(self) -> list[str]:
        if self.column is None:
            return []
        return [self.column] if isinstance(self.column, str) else list(self.column)


class TableSpec(BaseModel):
    """How typed fields become rows of one canonical table."""

    model_config = ConfigDict(extra="forbid")

    native_id: str = Field(description="SQL expression over fields: the row's id in its system")
    object: str | None = Field(None, description="source object name, if not the preset's")
    group_by: list[str] = Field(
        default_factory=list,
        description="derive one row per distinct key (e.g. invoice header from its lines)",
    )
    number_rows_by: list[str] = Field(
        default_factory=list,
        description="number rows within these fields as _seq, in file order",
    )
    latest_by: str | None = Field(
        None,
        description="an export with one row per update (an event log): keep the latest row "
        "per id by this field; earlier rows count as superseded, not quarantined",
    )
    columns: dict[str, str] = Field(
        default_factory=dict, description="canonical column -> SQL expression over fields"
    )


class ReportLayout(BaseModel):
    """How a report export marks rows that are not records (a preset's `report:`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    totals: str | None = Field(
        None, description="a row whose first non-empty cell matches this pattern is a total"
    )
    groups: str | None = Field(
        None,
        description="a row with only its first cell set is a group header: its text is this "
        "column of the rows under it (the column has no header in the report)",
    )
    footer: bool = Field(
        True,
        description="one-cell lines after the last record are the report's footer (copyright, "
        "who ran it and when): counted, not read. Without a report layout they are short rows",
    )

    @property
    def row_by_row(self) -> bool:
        """Whether rows inside the body need reading one by one (totals, groups)."""
        return self.totals is not None or self.groups is not None

    @field_validator("totals")
    @classmethod
    def _pattern(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"not a regular expression: {exc}") from None
        return value
