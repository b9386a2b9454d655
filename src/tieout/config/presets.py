"""Presets: how the native exports of real systems map onto the canonical model.

A preset is a YAML file in `presets/` (fields read from headers, then tables built from
fields with SQL expressions). tieout.yml can add fields and override columns per source;
a source without a preset is mapped column by column the same way. Every expression is
parsed with sqlglot and checked against the fields and the model when the project loads.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

from pydantic import BaseModel, ConfigDict, Field
from sqlglot import exp

from tieout.config.fields import DateOrder, FieldSpec, ReportLayout, TableSpec
from tieout.config.project import ProjectFile, SourceConfig
from tieout.config.yamlfile import collecting, parse_yaml, raise_problems, validate_model
from tieout.errors import ConfigError, did_you_mean
from tieout.model import LINEAGE_NAMES, TABLE_MAP, table
from tieout.model.sqlcheck import UnknownColumnsError, UnsafeSQLError, checked_expression

SEQ = "_seq"

_LOGICAL_TO_FIELD = {
    "text": "text",
    "date": "date",
    "timestamp": "timestamp",
    "money": "money",
    "price": "price",
    "quantity": "quantity",
    "percent": "percent",
    "hours": "hours",
    "integer": "integer",
    "boolean": "boolean",
    "rate": "rate",
    "currency": "currency",
}


class Preset(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    title: str
    system: str
    object: str
    docs: str | None = None
    identify: list[str] = Field(
        default_factory=list,
        description="headers that together say a file is this export (any one alternative "
        "spelling per entry, separated by '|'); recognition needs all of them",
    )
    date_order: DateOrder | None = Field(
        None, description="the system's documented default when a date column is ambiguous"
    )
    date_formats: list[str] = Field(default_factory=list)
    timestamp_formats: list[str] = Field(default_factory=list)
    report: ReportLayout | None = None
    fields: dict[str, FieldSpec]
    tables: dict[str, TableSpec]

    @property
    def primary_table(self) -> str:
        return next(name for name, spec in self.tables.items() if not spec.group_by)

    @property
    def signature(self) -> list[str]:
        """Headers that identify this export: every required field's first header."""
        return [f.columns[0] for f in self.fields.values() if f.required and f.columns]


@cache
def builtin_presets() -> dict[str, Preset]:
    presets: dict[str, Preset] = {}
    folder = resources.files("tieout") / "ingest" / "presets"
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".yml"):
            continue
        located = parse_yaml(entry.read_text(encoding="utf-8"), f"presets/{entry.name}")
        preset = validate_model(Preset, located)
        presets[preset.id] = preset
    for name, tbl in TABLE_MAP.items():
        if not tbl.derived:
            presets[f"canonical.{name}"] = canonical_preset(name)
    return presets


def canonical_preset(table_name: str) -> Preset:
    """tieout's own CSV layout: `native_id` plus the canonical column names."""
    tbl = table(table_name)
    fields = {"native_id": FieldSpec(column="native_id", required=True)}
    for col in tbl.business_columns:
        fields[col.name] = FieldSpec(
            column=col.name,
            type=_LOGICAL_TO_FIELD[col.type],
            required=col.required,
        )
    return Preset(
        id=f"canonical.{table_name}",
        title=f"tieout canonical CSV layout for {table_name}",
        system="canonical",
        object=table_name,
        fields=fields,
        tables={
            table_name: TableSpec(
                native_id="native_id", columns={c.name: c.name for c in tbl.business_columns}
            )
        },
    )


@dataclass(frozen=True)
class ResolvedTable:
    name: str
    object: str
    native_id: exp.Expr
    group_by: tuple[str, ...]
    number_rows_by: tuple[str, ...]
    latest_by: str | None
    columns: dict[str, exp.Expr]


@dataclass(frozen=True)
class ResolvedSource:
    """A source ready to load: fields with their types, tables with parsed expressions."""

    name: str
    path: str
    system: str
    object: str
    preset_id: str | None
    fields: dict[str, FieldSpec]
    tables: dict[str, ResolvedTable]
    date_formats: tuple[str, ...]
    timestamp_formats: tuple[str, ...]
    date_orders: tuple[tuple[DateOrder, str], ...]  # (order, where it was set), first decides
    base_currency: str  # what a blank currency cell means
    timezone: str | None
    delimiter: str | None
    encoding: str | None
    sheet: str | None
    report: ReportLayout | None = None  # rows of a report export that are layout, not records

    @property
    def primary(self) -> ResolvedTable:
        return next(t for t in self.tables.values() if not t.group_by)


def resolve_sources(project: ProjectFile) -> tuple[ResolvedSource, ...]:
    """Every source resolved; the first problem of each is reported, all sources at once."""
    problems: list[ConfigError] = []
    resolved: list[ResolvedSource] = []
    for i in range(len(project.config.sources)):
        with collecting(problems):
            resolved.append(resolve_source(project, i))
    raise_problems(problems)
    return tuple(resolved)


def resolve_source(project: ProjectFile, index: int) -> ResolvedSource:
    src = project.config.sources[index]
    where: tuple[str | int, ...] = ("sources", index)
    presets = builtin_presets()
    if src.preset is not None:
        if src.preset not in presets:
            near = did_you_mean(src.preset, presets)
            raise project.error(f"unknown preset {src.preset!r}{near}", *where, "preset")
        preset = presets[src.preset]
    else:
        preset = _preset_from_mapping(project, src, where)
    base_currency = src.base_currency or project.config.reporting_currency
    fields = dict(preset.fields)
    for name, spec in src.fields.items():
        if isinstance(spec, str):
            base = fields.get(name, FieldSpec())
            fields[name] = base.model_copy(update={"column": spec})
        elif name in fields and spec.type == "enum" == fields[name].type:
            fields[name] = _merge_enum(fields[name], spec)
        else:
            fields[name] = spec
    placeholders = {"base_currency": base_currency}
    fields = {name: _with_placeholders(spec, placeholders) for name, spec in fields.items()}
    tables: dict[str, ResolvedTable] = {}
    for tname, tspec in preset.tables.items():
        overrides = src.columns.get(tname, {})
        columns = {**tspec.columns, **overrides}
        tables[tname] = _resolve_table(
            project, (*where, "columns", tname), tname, tspec, columns, fields, preset.object
        )
    for tname in src.columns:
        if tname not in tables:
            raise project.error(
                f"this source does not load table {tname!r} (it loads {', '.join(tables)})",
                *where,
                "columns",
                tname,
            )
    return ResolvedSource(
        name=src.name,
        path=src.path,
        system=src.system or preset.system,
        object=src.object or preset.object,
        preset_id=src.preset,
        fields=fields,
        tables=tables,
        date_formats=tuple(src.date_formats or preset.date_formats),
        timestamp_formats=tuple(src.timestamp_formats or preset.timestamp_formats),
        date_orders=tuple(
            (order, where)
            for order, where in (
                (src.date_order, "source"),
                (preset.date_order, "the system's default"),
                (project.config.ingest.date_order, "project"),
            )
            if order
        ),
        base_currency=base_currency,
        timezone=src.timezone,
        delimiter=src.delimiter,
        encoding=src.encoding,
        sheet=src.sheet,
        report=preset.report,
    )


def _merge_enum(base: FieldSpec, spec: FieldSpec) -> FieldSpec:
    """A source's enum over a preset's enum adds its values (an instance's own states,
    e.g. "Work In Progress") to the preset's instead of replacing the field: what the
    source sets wins, what it leaves out (the column, the other values) stays."""
    update = {key: getattr(spec, key) for key in spec.model_fields_set}
    update["values"] = {**base.values, **spec.values}
    return base.model_copy(update=update)


def _with_placeholders(spec: FieldSpec, placeholders: dict[str, str]) -> FieldSpec:
    """A field's `default:` may name a setting of its source in braces, filled in here:
    `default: "{base_currency}"` says a blank cell is the source's base currency (Xero
    leaves Currency blank for the organisation's own)."""
    if spec.default is None or "{" not in spec.default:
        return spec
    default = spec.default
    for key, value in placeholders.items():
        default = default.replace("{" + key + "}", value)
    return spec.model_copy(update={"default": default})


def _preset_from_mapping(
    project: ProjectFile, src: SourceConfig, where: tuple[str | int, ...]
) -> Preset:
    """A source mapped column by column in tieout.yml: fields named like canonical columns."""
    missing = [k for k in ("system", "object", "table") if getattr(src, k) is None]
    if missing:
        raise project.error(
            f"a source without a preset needs {', '.join(missing)} (or set a preset)", *where
        )
    assert src.table is not None and src.system is not None and src.object is not None
    if src.table not in TABLE_MAP or TABLE_MAP[src.table].derived:
        raise project.error(f"unknown canonical table {src.table!r}", *where, "table")
    tbl = table(src.table)
    fields: dict[str, FieldSpec] = {}
    for name, spec in src.fields.items():
        if isinstance(spec, FieldSpec):
            fields[name] = spec
            continue
        col = tbl.column_map.get(name)
        ftype = _LOGICAL_TO_FIELD[col.type] if col else "text"
        fields[name] = FieldSpec(column=spec, type=ftype, required=bool(col and col.required))
    columns = {c.name: c.name for c in tbl.business_columns if c.name in fields}
    if src.native_id is None and "native_id" not in fields:
        raise project.error(
            "a source without a preset needs native_id (an expression) or a native_id field",
            *where,
        )
    return Preset(
        id=f"mapping.{src.name}",
        title=f"column mapping for {src.name}",
        system=src.system,
        object=src.object,
        fields=fields,
        tables={src.table: TableSpec(native_id=src.native_id or "native_id", columns=columns)},
    )


def _resolve_table(
    project: ProjectFile,
    where: tuple[str | int, ...],
    tname: str,
    spec: TableSpec,
    columns: dict[str, str],
    fields: dict[str, FieldSpec],
    default_object: str,
) -> ResolvedTable:
    if tname not in TABLE_MAP or TABLE_MAP[tname].derived:
        raise project.error(f"unknown canonical table {tname!r}", *where)
    tbl = table(tname)
    known = set(fields) | ({SEQ} if spec.number_rows_by else set())
    parsed: dict[str, exp.Expr] = {}
    for name, sql in columns.items():
        if name not in tbl.column_map or name in LINEAGE_NAMES or name == "id":
            raise project.error(f"table {tname} has no column {name!r}", *where, name)
        parsed[name] = parse_expression(project, sql, known, (*where, name))
    for col in tbl.business_columns:
        if col.required and col.name not in parsed:
            raise project.error(f"required column {tname}.{col.name} is not mapped", *where)
    for key in (*spec.group_by, *spec.number_rows_by, *filter(None, [spec.latest_by])):
        if key not in fields:
            raise project.error(
                f"unknown field {key!r} in group_by/number_rows_by/latest_by", *where
            )
    return ResolvedTable(
        name=tname,
        object=spec.object or default_object,
        native_id=parse_expression(project, spec.native_id, known, (*where, "native_id")),
        group_by=tuple(spec.group_by),
        number_rows_by=tuple(spec.number_rows_by),
        latest_by=spec.latest_by,
        columns=parsed,
    )


def parse_expression(
    project: ProjectFile, sql: str, known: set[str], where: tuple[str | int, ...]
) -> exp.Expr:
    """A column's expression over the row's fields, data only (see model.sqlcheck)."""
    try:
        return checked_expression(sql, known)
    except UnknownColumnsError as unknown:
        names = ", ".join(unknown.names)
        raise project.error(f"expression {sql!r} names unknown field(s) {names}", *where) from None
    except UnsafeSQLError as problem:
        raise project.error(f"{problem}: {sql!r}", *where) from None
