"""Every option of every command, declared once.

An option may be given before the sub-command or after it (`nettop --netns X snapshot` and
`nettop snapshot --netns X` are the same); one that does not apply to the command is refused
with a usage error instead of being dropped. Defaults are per command (`--interval` is 0.01 s
for the TUI, 0.1 s for a snapshot), filled in after parsing, so nothing given is ever overwritten
by a sub-command's default. Usage errors exit 64, as --help says.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

from .exitcodes import HELP as EXIT_HELP
from .exitcodes import USAGE


class Parser(argparse.ArgumentParser):
    """argparse with usage errors on exit code 64 (EX_USAGE) instead of 2, which doctor uses."""

    def error(self, message: str) -> NoReturn:
        # one line, not argparse's usage block: the contract is one clear line per bad input
        self.exit(USAGE, f"{self.prog}: {message} (see {self.prog} --help)\n")


def positive(text: str) -> float:
    value = float(text)
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError("must be a number greater than 0")
    return value


def non_negative(text: str) -> float:
    value = float(text)
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError("must be a number, 0 or more")
    return value


def panes(text: str) -> list[str]:
    from .panes import UnknownPane, parse_panes

    try:
        return parse_panes(text)
    except UnknownPane as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


@dataclass(frozen=True)
class Opt:
    flags: tuple[str, ...]
    help: str
    type: Callable[[str], Any] | None = None
    kwargs: dict[str, Any] = field(default_factory=dict)

    @property
    def dest(self) -> str:
        return self.flags[-1].lstrip("-").replace("-", "_")


OPTIONS: dict[str, Opt] = {o.dest: o for o in (
    Opt(("--netns",), "watch a network namespace: a name under /run/netns or pid:PID (needs root)",
        kwargs={"metavar": "NAME|pid:PID"}),
    Opt(("--procfs",), "procfs root (default /proc)", Path),
    Opt(("--sysfs",), "sysfs root (default /sys)", Path),
    Opt(("--interval",), "seconds between hot samples", positive),
    Opt(("--budget",), "percent of one core the sampler may use; 0 for no limit (default 2)", non_negative),
    Opt(("--refresh",), "seconds between UI frames (default 0.5)", positive),
    Opt(("--panes",), "panes to show by key or name, e.g. 1,3,4 or overview,counters", panes),
    Opt(("--lang",), "language of the notes and the UI (default from LANG)", kwargs={"choices": ("en", "ja")}),
    Opt(("--snapshot-dir",), "where `s` writes snapshots and `r` recordings (default .)", Path),
    Opt(("--duration",), "seconds to sample", non_negative),
    Opt(("-o", "--output"), "file to write ('-': standard output, for a snapshot)"),
    Opt(("--force",), "replace an existing output file", kwargs={"action": "store_true"}),
    Opt(("--format",), "json or text (default json)", kwargs={"choices": ("json", "text")}),
    Opt(("--all",), "text: show zero rows too", kwargs={"action": "store_true"}),
    Opt(("--from",), "take the snapshot from a recording", Path, {"dest": "recording_file", "metavar": "FILE"}),
    Opt(("--at",), "with --from: HH:MM:SS from the start of the recording (default: its end)"),
    Opt(("--json",), "print JSON", kwargs={"action": "store_true"}),
    Opt(("--speed",), "playback speed (default 1)", positive),
    Opt(("--listen",), "ADDRESS:PORT, [IPv6]:PORT or :PORT (loopback) to serve on; port 0: any free one, "
        "printed (default 127.0.0.1:9489)"),
    Opt(("--max-connections",), "export: connections open at once (default 256); beyond, the one idle "
        "longest is closed", int),
    Opt(("--request-timeout",), "export: seconds a client has to send its request (default 5)", positive),
    Opt(("--yes",), "allow host-wide changes (tcp-memory-pressure)", kwargs={"action": "store_true"}),
    Opt(("--list",), "list the scenarios", kwargs={"action": "store_true"}),
    Opt(("--cleanup",), "remove what an interrupted lab left behind", kwargs={"action": "store_true"}),
)}
OPTIONS["recording_file"] = OPTIONS.pop("from")

ROOTS = {"procfs": Path("/proc"), "sysfs": Path("/sys")}
TUI = {"netns": None, **ROOTS, "interval": 0.01, "budget": 2.0, "refresh": 0.5, "panes": None, "lang": None,
       "snapshot_dir": Path(".")}
# command -> the options it takes, with their defaults (None: the TUI)
COMMANDS: dict[str | None, dict[str, Any]] = {
    None: TUI,
    "snapshot": {"netns": None, **ROOTS, "duration": 1.0, "interval": 0.1, "output": "-", "force": False,
                 "format": "json", "all": False, "recording_file": None, "at": None},
    "doctor": {"netns": None, **ROOTS, "duration": 5.0, "interval": 0.05, "json": False},
    "record": {"netns": None, **ROOTS, "duration": None, "interval": 0.01, "budget": 2.0, "output": None,
               "force": False},
    "export": {"netns": None, **ROOTS, "interval": 0.01, "budget": 2.0, "listen": "127.0.0.1:9489",
               "max_connections": 256, "request_timeout": 5.0},
    "replay": {"speed": 1.0, "refresh": 0.5, "panes": None, "lang": None, "snapshot_dir": Path(".")},
    "explain": {"lang": None, **ROOTS, "search": False},
    "lab": {"duration": 60.0, "yes": False, "list": False, "cleanup": False},
    "netns": {"json": False},
}
HELPS = {
    "snapshot": "sample for a while and write the whole state (JSON or text)",
    "doctor": "sample, then name what is wrong (exit 0 ok, 1 warning, 2 critical)",
    "record": "record every sample to a file, headless, until --duration or a signal",
    "export": "serve /metrics for Prometheus (OpenMetrics and text formats)",
    "replay": "play a recording in the TUI",
    "explain": "print the note for a counter, sysctl, topic or word",
    "lab": "reproduce a phenomenon in namespaces of its own (root)",
    "netns": "list the network namespaces on this host",
}


def _add(parser: argparse.ArgumentParser, names: dict[str, Any]) -> None:
    for dest in names:
        opt = OPTIONS.get(dest)
        if opt is None:
            continue
        kwargs = {"default": argparse.SUPPRESS, "help": opt.help, **opt.kwargs}
        if opt.type is not None:
            kwargs["type"] = opt.type
        parser.add_argument(*opt.flags, **kwargs)


def _positionals(name: str, parser: argparse.ArgumentParser) -> None:
    if name == "replay":
        parser.add_argument("recording", type=Path, help="the recording (.ntr)")
    elif name == "explain":
        parser.add_argument("name", nargs="+", help="e.g. ListenOverflows, net.core.somaxconn, bufferbloat, "
                                                    "'syn flood'")
        parser.add_argument("--search", action="store_true", default=argparse.SUPPRESS,
                            help="list every note that matches the words, best first")
    elif name == "lab":
        parser.add_argument("scenario", nargs="?", help="listen-overflow, qdisc-drops, syn-flood, "
                                                        "tcp-memory-pressure (none: the list)")


class LazyVersion(argparse.Action):
    """`--version`, looked up only when asked: reading the package metadata costs ~20 ms of start-up."""

    def __init__(self, option_strings: list[str], version: str | Callable[[], str], dest: str = argparse.SUPPRESS,
                 default: str = argparse.SUPPRESS, help: str = "show the version and exit") -> None:  # noqa: A002
        super().__init__(option_strings, dest, nargs=0, default=default, help=help)
        self.version = version

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: object,
                 option_string: str | None = None) -> None:
        version = self.version() if callable(self.version) else self.version
        print(f"nettop {version}")
        parser.exit()


def build_parser(version: str | Callable[[], str]) -> Parser:
    parser = Parser(prog="nettop", description="htop for the Linux network stack", epilog=EXIT_HELP,
                    formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action=LazyVersion, version=version)  # type: ignore[arg-type]  # typeshed: str only
    _add(parser, TUI)
    sub = parser.add_subparsers(dest="command", parser_class=Parser)
    for name, takes in COMMANDS.items():
        if name is None:
            continue
        child = sub.add_parser(name, help=HELPS[name], description=HELPS[name], epilog=EXIT_HELP,
                               formatter_class=argparse.RawDescriptionHelpFormatter)
        _positionals(name, child)
        _add(child, takes)
    return parser


def parse(argv: list[str] | None, version: str | Callable[[], str]) -> argparse.Namespace:
    """Parse, refuse options given where they do not apply, then fill in the command's defaults."""
    parser = build_parser(version)
    args = parser.parse_args(argv)
    takes = COMMANDS[args.command]
    stray = [d for d in vars(args) if d in OPTIONS and d not in takes]
    if stray:
        flags = ", ".join(OPTIONS[d].flags[-1] for d in stray)
        parser.error(f"{flags} does not apply to `nettop {args.command}`")
    for dest, default in takes.items():
        if not hasattr(args, dest):
            setattr(args, dest, default)
    return args
