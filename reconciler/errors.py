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


class UnknownDatabase(SourceError):
    """The server answered, but the database the url names is not on it: a mistake in the
    config, exit 2 naming the url's key. Still a SourceError: the service stores the window as
    an error and retries it, as for any source it cannot open."""

    exit_code = EXIT_USAGE


class StoreUnavailable(SourceError):
    """The report store could not be reached or used."""


def did_you_mean(name: str, known) -> str:
    """`; did you mean 'x'?` for the closest of `known`, or "" when none is close."""
    import difflib

    close = difflib.get_close_matches(name, [str(k) for k in known], n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def first_line(exc: BaseException) -> str:
    """The first line of an error (the driver's own when SQLAlchemy wraps one), else its type."""
    inner = getattr(exc, "orig", None) or exc
    lines = str(inner).strip().splitlines()
    return lines[0] if lines else type(inner).__name__
