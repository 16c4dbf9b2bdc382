"""Errors raised by the engine."""

from __future__ import annotations


class ParseError(ValueError):
    """A source's text did not have the shape its parser expects.

    `path` names the source (a file path or a source name), `line_no` is 1-based
    (0 when the problem is not tied to one line) and `line` is the offending text.
    """

    def __init__(self, path: str, line_no: int, line: str, reason: str = "") -> None:
        self.path = path
        self.line_no = line_no
        self.line = line
        self.reason = reason
        where = f"{path}:{line_no}" if line_no else path
        detail = f": {reason}" if reason else ""
        super().__init__(f"{where}: cannot parse {line[:120]!r}{detail}")


class SourceUnavailable(OSError):
    """A source cannot be read at all (absent file, no permission, feature missing)."""


class SourceNotApplicable(SourceUnavailable):
    """A source that cannot exist here (a module not loaded, IPv6 off, BQL seen from a
    child namespace): listed once with its reason, never counted as down."""
