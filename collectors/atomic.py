"""Writing files nettop produces: whole or not at all, owner-only, no clobbering."""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path


def write_atomic(path: Path, data: bytes, force: bool = False, mode: int = 0o600) -> None:
    """Write `data` to `path` through a temp file, fsync and rename.

    Without `force`, an existing file is never replaced (FileExistsError), and
    the check is atomic: the temp file is hard-linked into place.
    """
    directory = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, mode)
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
        os.close(fd)
        fd = -1
        if force:
            os.replace(tmp, path)
        else:
            _link_no_clobber(Path(tmp), path)
        _fsync_dir(directory)
    finally:
        if fd >= 0:
            os.close(fd)
        if os.path.exists(tmp):
            os.unlink(tmp)


def _link_no_clobber(tmp: Path, path: Path) -> None:
    try:
        os.link(tmp, path)
    except OSError as exc:
        if exc.errno == errno.EEXIST:
            raise FileExistsError(errno.EEXIST, "file exists (use --force to replace it)", str(path)) from None
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EXDEV):
            raise
        # No hard links on this file system: check, then rename.
        if path.exists():
            raise FileExistsError(errno.EEXIST, "file exists (use --force to replace it)", str(path)) from None
        os.rename(tmp, path)


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
