"""The command line's contract: options honoured wherever they are given, one line and a documented
exit code for every failure, nothing half written, privileges said plainly, signals handled."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import make_recording, needs_ip, root_only
from nettop.tui import exitcodes
from nettop.tui.options import parse
from terminal import NETTOP, Terminal, needs_tmux

CLI = [sys.executable, "-m", "nettop.tui.cli"]
NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all"]


def run(*args: str, cwd: Path | None = None, prefix: list[str] | None = None,
        timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*(prefix or []), *CLI, *args], capture_output=True, text=True, cwd=cwd, timeout=timeout,
                          stdin=subprocess.DEVNULL, check=False)


def one_line(proc: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert "Traceback" not in proc.stderr, proc.stderr
    return lines[-1]


@pytest.fixture
def namespace() -> Iterator[str]:
    if os.geteuid() != 0 or shutil.which("ip") is None:
        pytest.skip("needs root and iproute2")
    name = f"nettop-c-{uuid.uuid4().hex[:8]}"
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], check=False, capture_output=True)


# --- options --------------------------------------------------------------------------------


def test_an_option_before_the_sub_command_is_honoured_not_dropped() -> None:
    args = parse(["--netns", "x", "snapshot", "--duration", "2"], "test")
    assert (args.netns, args.duration, args.interval) == ("x", 2.0, 0.1)  # snapshot's own default interval
    assert parse(["--lang", "ja", "explain", "ListenOverflows"], "test").lang == "ja"
    assert parse(["replay", "x.ntr", "--panes", "1,counters"], "test").panes == ["overview", "counters"]
    assert parse(["--interval", "0.5", "record", "-o", "x"], "test").interval == 0.5
    proc = run("--netns", "no-such-namespace-here", "snapshot")
    assert proc.returncode == exitcodes.USAGE and "no such namespace" in one_line(proc)


def test_an_option_that_does_not_apply_is_refused() -> None:
    proc = run("--panes", "1", "snapshot")
    assert proc.returncode == exitcodes.USAGE and "--panes does not apply to `nettop snapshot`" in proc.stderr
    proc = run("--duration", "3")
    assert proc.returncode == exitcodes.USAGE


def test_japanese_before_explain_gives_the_japanese_note() -> None:
    proc = run("--lang", "ja", "explain", "ListenOverflows")
    assert proc.returncode == 0 and "現在の値" in proc.stdout


@pytest.mark.parametrize(("args", "code", "says"), [
    (("--interval", "0"), exitcodes.USAGE, "greater than 0"),
    (("--interval", "nan"), exitcodes.USAGE, "greater than 0"),
    (("--panes", "9,nothing"), exitcodes.USAGE, "no pane"),
    (("doctor", "--duration", "0"), exitcodes.USAGE, "more than 0 seconds"),
    (("snapshot", "--at", "00:00:01"), exitcodes.USAGE, "--at goes with --from"),
    (("snapshot", "--procfs", "/nonexistent"), exitcodes.USAGE, "not a directory"),
    (("record",), exitcodes.USAGE, "record needs -o"),
    (("replay", "/nonexistent.ntr"), exitcodes.NO_INPUT, "cannot read /nonexistent.ntr"),
])
def test_bad_input_gets_one_line_and_its_exit_code(args: tuple[str, ...], code: int, says: str) -> None:
    proc = run(*args)
    assert proc.returncode == code, proc.stderr
    assert says in proc.stderr and "Traceback" not in proc.stderr


def test_help_documents_the_exit_codes() -> None:
    out = run("--help").stdout
    assert "exit codes:" in out and "64  bad option" in out and "77  needs root" in out
    assert "exit codes:" in run("snapshot", "--help").stdout


def test_recordings_out_of_range_or_not_recordings(tmp_path: Path) -> None:
    path = make_recording(tmp_path / "r.ntr")
    proc = run("snapshot", "--from", str(path), "--at", "01:00:00")
    assert proc.returncode == exitcodes.USAGE and "the recording lasts 00:00:02" in proc.stderr
    junk = tmp_path / "junk.ntr"
    junk.write_bytes(b"not a recording")
    proc = run("snapshot", "--from", str(junk))
    assert proc.returncode == exitcodes.DATA and "not a nettop recording" in one_line(proc)


def test_an_existing_output_is_kept_and_said(tmp_path: Path) -> None:
    out = tmp_path / "x.json"
    out.write_text("keep me")
    proc = run("snapshot", "--duration", "0", "-o", str(out))
    assert proc.returncode == exitcodes.CANT_CREATE and "use --force" in one_line(proc)
    assert out.read_text() == "keep me"


# --- privileges -------------------------------------------------------------------------------


@root_only
@pytest.mark.skipif(shutil.which("setpriv") is None, reason="needs setpriv (util-linux)")
@pytest.mark.parametrize("command", ["snapshot", "doctor", "record", "export"])
def test_netns_without_root_is_one_clear_line_and_no_stub_file(namespace: str, tmp_path: Path,
                                                              command: str) -> None:
    os.chmod(tmp_path, 0o777)
    out = tmp_path / "out.ntr"
    extra = {"snapshot": ["-o", str(out)], "record": ["-o", str(out), "--duration", "1"],
             "export": ["--listen", "127.0.0.1:0"], "doctor": []}[command]
    proc = run(command, "--netns", namespace, *extra, prefix=NOBODY, cwd=tmp_path)
    assert proc.returncode == exitcodes.NO_PERMISSION, proc.stderr
    assert "needs root (CAP_SYS_ADMIN)" in one_line(proc)
    assert not out.exists() and not list(tmp_path.iterdir())


@root_only
@pytest.mark.skipif(shutil.which("setpriv") is None, reason="needs setpriv (util-linux)")
def test_pid_1_namespace_unreadable_says_so() -> None:
    proc = run("snapshot", "--netns", "pid:1", prefix=NOBODY)
    assert proc.returncode == exitcodes.NO_PERMISSION and "needs root" in one_line(proc)


# --- no terminal, signals ------------------------------------------------------------------------


def test_the_tui_without_a_terminal_says_what_to_use_instead() -> None:
    proc = run(timeout=20)  # stdin is /dev/null, stdout a pipe
    assert proc.returncode == exitcodes.USAGE
    assert "needs a terminal" in proc.stderr and "nettop snapshot" in proc.stderr


def _tmux(session: str, fmt: str) -> str:
    return subprocess.run(["tmux", "display-message", "-p", "-t", session, fmt], capture_output=True, text=True,
                          check=False).stdout.strip()


@pytest.mark.skipif(not needs_tmux, reason="needs tmux")
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_a_signal_to_the_tui_gives_the_terminal_back(sig: signal.Signals) -> None:
    with Terminal(f"{NETTOP} --procfs /proc", 100, 30) as term:
        term.wait_for("Overview", 20)
        assert _tmux(term.session, "#{alternate_on}") == "1"
        shell = _tmux(term.session, "#{pane_pid}")
        pid = subprocess.run(["pgrep", "-P", shell], capture_output=True, text=True, check=False).stdout.split()
        assert pid
        os.kill(int(pid[0]), sig)
        term.wait_for("NETTOP-EXITED 0", 5)
        assert _tmux(term.session, "#{alternate_on}") == "0"
        assert _tmux(term.session, "#{mouse_any_flag}") in ("0", "")


@pytest.mark.skipif(not needs_tmux, reason="needs tmux")
def test_the_tui_never_outlives_its_terminal() -> None:
    """The terminal closed (tmux session killed, SSH gone) as the first frame is drawn: Textual's
    shutdown could block for good writing to it; nettop must end anyway."""
    keeper = f"nettop-keep-{uuid.uuid4().hex[:6]}"
    subprocess.run(["tmux", "new-session", "-d", "-s", keeper, "sleep 120"], check=True)
    pids: list[int] = []
    try:
        for _ in range(6):
            session = f"nettop-hup-{uuid.uuid4().hex[:6]}"
            subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "100", "-y", "30",
                            f"{NETTOP} --procfs /proc"], check=True)
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and "Overview" not in subprocess.run(
                    ["tmux", "capture-pane", "-p", "-t", session], capture_output=True, text=True).stdout:
                time.sleep(0.005)
            shell = _tmux(session, "#{pane_pid}")
            pids += [int(p) for p in subprocess.run(["pgrep", "-P", shell], capture_output=True, text=True,
                                                    check=False).stdout.split()] or [int(shell)]
            subprocess.run(["tmux", "kill-session", "-t", session], check=False)
        deadline = time.monotonic() + 10  # the grace period (3 s) and then some
        alive = pids
        while alive and time.monotonic() < deadline:
            time.sleep(0.2)
            alive = [p for p in pids if Path(f"/proc/{p}").exists()
                     and "Z" not in Path(f"/proc/{p}/stat").read_text().split(")")[-1][:3]]
        assert not alive, f"nettop still running after its terminal closed: {alive}"
    finally:
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        subprocess.run(["tmux", "kill-session", "-t", keeper], check=False)


# --- recording ------------------------------------------------------------------------------------


def test_record_stops_on_sighup_and_keeps_its_last_second(tmp_path: Path) -> None:
    out = tmp_path / "r.ntr"
    proc = subprocess.Popen([*CLI, "record", "-o", str(out), "--procfs", "/proc", "--interval", "0.1"],
                            stderr=subprocess.PIPE, text=True)
    time.sleep(2.5)
    proc.send_signal(signal.SIGHUP)
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    from nettop.collectors.recording import read_recording
    rec = read_recording(out)
    assert rec.end - rec.start >= 1.8  # the samples of the last second were flushed, not lost


@root_only
def test_record_onto_a_full_disk_says_so_once_and_stays_readable(tmp_path: Path) -> None:
    mount = tmp_path / "small"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=96k", "tmpfs", str(mount)], check=True)
    try:
        out = mount / "r.ntr"
        proc = run("record", "-o", str(out), "--interval", "0.01", "--budget", "0", "--duration", "60",
                   timeout=90)
        assert proc.returncode == exitcodes.IO_ERROR, proc.stderr
        assert proc.stderr.count("No space left on device") == 1 and "Traceback" not in proc.stderr
        from nettop.collectors.recording import read_recording
        assert read_recording(out).samples
    finally:
        subprocess.run(["umount", str(mount)], check=False)


@needs_ip
def test_record_of_a_namespace_that_is_deleted_ends_with_the_reason(namespace: str, tmp_path: Path) -> None:
    out = tmp_path / "r.ntr"
    proc = subprocess.Popen([*CLI, "record", "-o", str(out), "--netns", namespace, "--interval", "0.1"],
                            stderr=subprocess.PIPE, text=True)
    time.sleep(2.0)
    subprocess.run(["ip", "netns", "del", namespace], check=True)
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == exitcodes.UNAVAILABLE
    assert f"network namespace {namespace} was deleted" in err.splitlines()[-1]


# --- lab ---------------------------------------------------------------------------------------------


def test_lab_without_a_scenario_lists_them() -> None:
    proc = run("lab")
    assert proc.returncode == 0 and "listen-overflow" in proc.stdout and "qdisc-drops" in proc.stdout


@root_only
@needs_ip
def test_lab_generators_do_not_import_from_the_callers_directory(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    (tmp_path / "socket.py").write_text(f"open({str(marker)!r}, 'w').write('ran as root')\n")
    script = Path(sys.executable).parent / "nettop"  # as installed: `python -m` would put the cwd on the path itself
    proc = subprocess.Popen([str(script), "lab", "listen-overflow", "--duration", "2"], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and json.loads(proc.stdout.readline())["ready"]
        time.sleep(1.0)
    finally:
        proc.communicate(timeout=30)
    assert proc.returncode == 0 and not marker.exists()
