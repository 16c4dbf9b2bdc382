"""Exit codes of every nettop command, from sysexits(3) where one fits; documented in --help
and the README. doctor's 0/1/2 (nothing, a warning, a critical finding) stay as they were: a
load-test pipeline gates on them."""

from __future__ import annotations

OK = 0
WARNING_FOUND = 1  # doctor: a warning
CRITICAL_FOUND = 2  # doctor: a critical finding
USAGE = 64  # EX_USAGE: a bad option or argument
DATA = 65  # EX_DATAERR: an input that is not what it should be (not a recording, another version)
NO_INPUT = 66  # EX_NOINPUT: an input file that cannot be read
UNAVAILABLE = 69  # EX_UNAVAILABLE: what was watched went away (a namespace deleted), a port taken
SOFTWARE = 70  # EX_SOFTWARE: nettop failed (the sampler stopped)
CANT_CREATE = 73  # EX_CANTCREAT: an output that exists (without --force) or cannot be created
IO_ERROR = 74  # EX_IOERR: writing failed midway (a full disk); what was written stays readable
NO_PERMISSION = 77  # EX_NOPERM: needs root (CAP_SYS_ADMIN, CAP_NET_ADMIN)
INTERRUPTED = 130  # Ctrl-C where it is not the normal way to stop

HELP = """exit codes:
  0   success (doctor: nothing above info)
  1   doctor: a warning            2   doctor: a critical finding
  64  bad option or argument       65  input is not a usable recording
  66  input file cannot be read    69  watched namespace went away, address in use
  70  internal error, sampler stopped
  73  output exists (use --force) or cannot be created
  74  writing failed (a full disk); what was written stays readable
  77  needs root (CAP_SYS_ADMIN)   130 interrupted"""
