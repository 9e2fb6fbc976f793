"""Each task process sees DBFS on `/dbfs` and the volumes on `/Volumes`, as on a Databricks driver
(its FUSE mounts), where dagster-pipes' DBFS context loader and message writer open their files.

The process runs in a mount namespace of its own (`unshare --mount --propagation private`) in which
the root's `dbfs/` and `volumes/` are bound on those paths, so concurrent emulators (each with its
own root) never see each other's files and the host keeps only the two empty mount points. This
needs root (or CAP_SYS_ADMIN); there is no silent fallback: a task that cannot get its mounts fails.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from databricks_emulator.errors import internal_error
from databricks_emulator.storage import WorkspaceStorage

DBFS_MOUNT = Path("/dbfs")
VOLUMES_MOUNT = Path("/Volumes")
# $1 and $2 are the folders to bind, the rest is the task's command (exec'd: the pid stays the task's).
BIND_AND_EXEC = 'mount --bind "$1" /dbfs && mount --bind "$2" /Volumes && shift 2 && exec "$@"'


def with_workspace_mounts(command: list[str], storage: WorkspaceStorage) -> list[str]:
    """The command wrapped so that it runs with /dbfs and /Volumes bound to this workspace's folders."""
    unshare = shutil.which("unshare")
    if unshare is None:
        raise internal_error("The emulator cannot give the task its /dbfs and /Volumes mounts: "
                             "`unshare` (util-linux) is not installed.")
    try:
        for point in (DBFS_MOUNT, VOLUMES_MOUNT):
            point.mkdir(exist_ok=True)
    except OSError as error:
        raise internal_error(f"The emulator cannot create the mount point {error.filename}: {error.strerror} "
                             "(tasks need root to see /dbfs and /Volumes).") from None
    return [unshare, "--mount", "--propagation", "private", "sh", "-c", BIND_AND_EXEC, "sh",
            str(storage.dbfs_root.resolve()), str(storage.volumes_root.resolve()), *command]
