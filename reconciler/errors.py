"""One exception family; each kind carries the exit code the CLI turns it into."""

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_UNAVAILABLE = 3


class ReconcilerError(Exception):
    exit_code = EXIT_UNAVAILABLE


class ConfigError(ReconcilerError):
    """Bad configuration: names the file, the key path and what is expected."""

    exit_code = EXIT_USAGE

    def __init__(self, problems: list[str] | str, file: str | None = None):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        self.file = file
        super().__init__(self.render())

    def render(self) -> str:
        where = f"{self.file}: " if self.file else ""
        if len(self.problems) == 1:
            return f"{where}{self.problems[0]}"
        head = f"{self.file}: {len(self.problems)} problems" if self.file else f"{len(self.problems)} problems"
        return head + "\n" + "\n".join(f"  - {p}" for p in self.problems)


class UsageError(ReconcilerError):
    """Bad command-line input (a window that ends before it starts, an unknown dataset)."""

    exit_code = EXIT_USAGE


class SourceError(ReconcilerError):
    """A source could not be reached or a query on it failed or timed out."""

    exit_code = EXIT_UNAVAILABLE
