"""The engine must run headless: importing it never pulls in Textual."""

import subprocess
import sys


def test_collectors_do_not_import_textual() -> None:
    code = (
        "import sys, pkgutil, importlib, nettop.collectors as c\n"
        "for m in pkgutil.iter_modules(c.__path__):\n"
        "    importlib.import_module('nettop.collectors.' + m.name)\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('textual', 'plotext', 'textual_plotext')]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_snapshot_command_does_not_import_textual() -> None:
    code = (
        "import sys\n"
        "from nettop.tui import cli\n"
        "cli.main(['snapshot', '--duration', '0', '-o', '-'])\n"
        "print('TEXTUAL' if 'textual' in sys.modules else 'HEADLESS', file=sys.stderr)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "HEADLESS" in out.stderr
