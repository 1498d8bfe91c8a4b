"""Whether the official Pieces SDK is installed beside this one.

This SDK is the distribution ``pieces-os-sdk``; the official generated SDK is ``pieces-os-client``.
Both install the package ``pieces_os_client``, so with both in one environment each overwrites the
other's files, and uninstalling one deletes files of the other. A wheel puts its
``NAME-VERSION.dist-info`` folder beside the package it installs, so one look at the folder this
package sits in tells (about 70 us for a hundred entries, against 35 ms or more that importing
``importlib.metadata`` costs): cheap enough for every import. An editable install of this SDK
sits in its clone, where no wheel is installed, and is not looked at.
"""
from __future__ import annotations

import os
import warnings
from typing import Optional

__all__ = [
    "DISTRIBUTION",
    "OFFICIAL_DISTRIBUTION",
    "official_sdk_version",
    "official_sdk_warning",
    "warn_if_official_sdk_installed",
]

DISTRIBUTION = "pieces-os-sdk"
OFFICIAL_DISTRIBUTION = "pieces-os-client"
_OFFICIAL_DIST_INFO = "pieces_os_client-"


def official_sdk_version(folder: Optional[str] = None) -> Optional[str]:
    """The version of the official SDK installed where this package is (``folder``, by default the
    folder that holds ``pieces_os_client``), or None when it is not there."""
    if folder is None:
        folder = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                name = entry.name
                if name.startswith(_OFFICIAL_DIST_INFO) and name.endswith(".dist-info"):
                    return name[len(_OFFICIAL_DIST_INFO) : -len(".dist-info")]
    except OSError:
        pass
    return None


def official_sdk_warning(folder: Optional[str] = None) -> Optional[str]:
    """What to tell the user when the official SDK is installed beside this one, else None."""
    version = official_sdk_version(folder)
    if version is None:
        return None
    return (
        f"{OFFICIAL_DISTRIBUTION} {version} (the official Pieces SDK, or this one under its former name)"
        f" is installed in this environment too,"
        f" and both own the package pieces_os_client, so each overwrites the other's files:"
        f" run 'pip uninstall -y {OFFICIAL_DISTRIBUTION} {DISTRIBUTION}', then install {DISTRIBUTION} again"
        f" (or keep them in separate virtual environments)"
    )


# Whether this SDK's own __init__ ran the check: when the official SDK was installed last, its
# __init__ replaced this one's, and the command line's --version makes the check itself.
checked_at_import = False


def warn_if_official_sdk_installed() -> None:
    """A RuntimeWarning, at import, when the official SDK is installed beside this one."""
    global checked_at_import
    checked_at_import = True
    message = official_sdk_warning()
    if message is not None:
        warnings.warn(message, RuntimeWarning, stacklevel=2)
