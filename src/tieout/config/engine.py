"""Which engine builds the warehouse: DuckDB embedded (the default) or Spark.

    warehouse:
      engine: spark
    spark:
      master: local[2]          # or spark://host:7077, yarn
      conf: {spark.executor.memory: 8g}

SQL is written once in DuckDB's dialect; the engine layer (tieout.engine.dialect) generates
each statement for the engine chosen here. Spark needs the `spark` extra
(`pip install 'tieout[spark]'`) and Java 17 or newer.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

EngineName = Literal["duckdb", "spark"]
ENGINE_HELP = (
    "what builds the warehouse: duckdb (embedded, the default) or spark (the `spark` extra; "
    "settings under spark:)"
)


class SparkConfig(BaseModel):
    """The Spark session a run on `warehouse.engine: spark` uses."""

    model_config = ConfigDict(extra="forbid")

    master: str = Field(
        "local[2]",
        description="Spark master: local[N] on this machine, spark://host:7077 or yarn",
    )
    conf: dict[str, str] = Field(
        default_factory=dict,
        description="further Spark settings, e.g. spark.executor.memory: 8g (Splink's "
        "similarity jar is added to spark.jars)",
    )
