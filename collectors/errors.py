"""Errors raised by the engine."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

T = TypeVar("T")

KEPT_LINE_CHARS = 200  # an error keeps this much of its line, however long the line was
MAX_ISSUES = 64  # bad lines listed one by one per read; the rest are only counted


class ParseError(ValueError):
    """A source's text did not have the shape its parser expects.

    `path` names the source (a file path or a source name), `line_no` is 1-based
    (0 when the problem is not tied to one line) and `line` is the offending text.
    """

    def __init__(self, path: str, line_no: int, line: str, reason: str = "") -> None:
        self.path = path
        self.line_no = line_no
        self.line = line[:KEPT_LINE_CHARS]
        self.reason = reason
        where = f"{path}:{line_no}" if line_no else path
        if not line and reason:
            super().__init__(f"{where}: {reason}")
            return
        detail = f": {reason}" if reason else ""
        super().__init__(f"{where}: cannot parse {line[:120]!r}{detail}")


class PartialParse(ParseError):
    """Some lines were bad, the others were read: `result` is what the good lines gave (in
    the shape the parser returns), `issues` one ParseError per bad line (at most MAX_ISSUES),
    `more` how many bad lines were left off that list. Raised instead of returning, so the
    parsers' return types and their hot paths stay as they are; a caller that wants the good
    part catches it, one that does not sees a ParseError naming the first bad line."""

    def __init__(self, result: Any, issues: Sequence[ParseError], more: int = 0) -> None:
        if not issues:
            raise ValueError("a partial parse has at least one bad line")
        first = issues[0]
        super().__init__(first.path, first.line_no, first.line, first.reason)
        self.result = result
        self.issues = tuple(issues)
        self.more = more
        if self.bad_lines > 1:
            self.args = (f"{self.args[0]} (and {self.bad_lines - 1} more bad lines)",)

    def with_result(self, result: Any) -> PartialParse:
        """The same bad lines with the good part in another shape (a dict from flat columns)."""
        return PartialParse(result, self.issues, self.more)

    def messages(self) -> list[str]:
        """One message per bad line to count, the unlisted ones summed up first: the newest
        message then still names a file and a line."""
        summary = [f"{self.path}: {self.more} more bad lines in this read"] if self.more else []
        return summary + [str(issue) for issue in self.issues]

    @property
    def bad_lines(self) -> int:
        return len(self.issues) + self.more


class Issues:
    """The bad lines of one parse, kept bounded: a file of a million bad lines costs a count."""

    __slots__ = ("found", "more", "path")

    def __init__(self, path: str) -> None:
        self.path = path
        self.found: list[ParseError] = []
        self.more = 0

    def __bool__(self) -> bool:
        return bool(self.found)

    def add(self, line_no: int, line: bytes | str, reason: str, path: str | None = None) -> None:
        """A bad line of this parse's file (or of `path`, for a source made of many files)."""
        if len(self.found) >= MAX_ISSUES:
            self.more += 1
            return
        if isinstance(line, bytes):
            line = line[:KEPT_LINE_CHARS].decode("utf-8", "replace")
        self.found.append(ParseError(path or self.path, line_no, line, reason))

    def done(self, result: T) -> T:
        """`result` when every line was good; otherwise PartialParse carrying it."""
        if self.found:
            raise PartialParse(result, self.found, self.more)
        return result


class SourceUnavailable(OSError):
    """A source cannot be read at all (absent file, no permission, feature missing)."""


class NotRegularFile(SourceUnavailable):
    """A path that should be a procfs or sysfs file is a FIFO, a directory, a device ...:
    never read, since reading a FIFO or a device can block forever."""


class SourceNotApplicable(SourceUnavailable):
    """A source that cannot exist here (a module not loaded, IPv6 off, BQL seen from a
    child namespace): listed once with its reason, never counted as down."""
