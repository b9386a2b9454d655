"""Errors tieout reports to people, each with the exit code the CLI gives it.

TieoutError                  exit 1 unless a subclass says otherwise
├── ConfigError              exit 2: tieout.yml, a preset or a rule is invalid (file, line, key)
│   └── ConfigProblemsError  exit 2: several of those at once (`tieout check`, a run's preflight)
├── UsageError               exit 2: a command was called wrongly
├── SourceFileError          exit 1: an export cannot be read at all (file and what is missing)
│   └── QuarantineLimitError exit 1: a file set aside more rows than ingest.max_quarantine_pct
├── RunFailedError           exit 1: a stage of a run failed (which stage, and why)
├── NoSnapshotError          exit 1: nothing has been built yet
└── RunLockedError           exit 1: another run holds the project lock
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


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
        self.message, self.file, self.line, self.key = message, file, line, key
        where = file or ""
        if line is not None:
            where += f":{line}"
        prefix = f"{where}: " if where else ""
        at_key = f"{key}: " if key else ""
        super().__init__(f"{prefix}{at_key}{message}")

    @property
    def problems(self) -> tuple[ConfigError, ...]:
        """Each problem on its own, so a report can list them one by one."""
        return (self,)


class ConfigProblemsError(ConfigError):
    """Every problem found in a project's definitions, so one check reports them all
    instead of one per attempt; reads as the first one where a single problem is expected."""

    def __init__(self, problems: list[ConfigError]) -> None:
        first = problems[0]
        super().__init__(first.message, file=first.file, line=first.line, key=first.key)
        self._problems = tuple(p for found in problems for p in found.problems)
        self.args = ("\n".join(str(p) for p in self._problems),)

    @property
    def problems(self) -> tuple[ConfigError, ...]:
        return self._problems


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """' (did you mean 'x'?)' for the closest known name, else '': a typo's fix, where a
    list of every name would not fit on a screen."""
    close = difflib.get_close_matches(name, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


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
