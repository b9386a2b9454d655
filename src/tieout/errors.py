"""Errors tieout reports to people, each with the exit code the CLI gives it.

TieoutError                  exit 1 unless a subclass says otherwise
├── ConfigError              exit 2: tieout.yml, a preset or a rule is invalid (file, line, key)
├── UsageError               exit 2: a command was called wrongly
├── SourceFileError          exit 1: an export cannot be read at all (file and what is missing)
│   └── QuarantineLimitError exit 1: a file set aside more rows than ingest.max_quarantine_pct
├── RunFailedError           exit 1: a stage of a run failed (which stage, and why)
├── NoSnapshotError          exit 1: nothing has been built yet
└── RunLockedError           exit 1: another run holds the project lock
"""

from __future__ import annotations


class TieoutError(Exception):
    exit_code = 1


class ConfigError(TieoutError):
    exit_code = 2

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        key: str | None = None,
    ) -> None:
        self.file, self.line, self.key = file, line, key
        where = file or ""
        if line is not None:
            where += f":{line}"
        prefix = f"{where}: " if where else ""
        at_key = f"{key}: " if key else ""
        super().__init__(f"{prefix}{at_key}{message}")


class UsageError(TieoutError):
    exit_code = 2


class SourceFileError(TieoutError):
    pass


class QuarantineLimitError(SourceFileError):
    def __init__(self, message: str, files: list[dict[str, object]]) -> None:
        super().__init__(message)
        self.files = files  # what each file gave, so the failed run still records it


class RunFailedError(TieoutError):
    pass


class NoSnapshotError(TieoutError):
    pass


class RunLockedError(TieoutError):
    pass
