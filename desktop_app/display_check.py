"""Can a window open here? Checked before Qt starts, because Qt's own failure on Linux ("could not
load the Qt platform plugin … Reinstalling the application may fix this problem", exit 250)
names neither the cause nor the fix.

Two checks, Linux only: is there a desktop session at all (DISPLAY / WAYLAND_DISPLAY), and are the
system libraries the platform plugin links against installed (`ldd` on the plugin). A missing
library is reported with the one package-manager line that installs it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

# Platforms that draw into memory or onto the bare console need no desktop session.
SESSIONLESS_PLATFORMS = {"offscreen", "minimal", "minimalegl", "vnc", "eglfs", "linuxfb", "vkkhrdisplay"}

NO_DISPLAY_MESSAGE = (
    "no display found: the window needs a desktop session; commands such as "
    "`tumorpredict predict` work without one"
)

# Shared library (soname) → (Debian/Ubuntu package, Fedora/RHEL package). The libraries Qt's xcb
# and wayland plugins link against beyond a base system; a fresh Debian 12 desktop lacks
# libxcb-cursor0 (needed since Qt 6.5), minimal ones lack more.
PACKAGES: dict[str, tuple[str, str]] = {
    "libxcb-cursor.so.0": ("libxcb-cursor0", "xcb-util-cursor"),
    "libxcb-icccm.so.4": ("libxcb-icccm4", "xcb-util-wm"),
    "libxcb-image.so.0": ("libxcb-image0", "xcb-util-image"),
    "libxcb-keysyms.so.1": ("libxcb-keysyms1", "xcb-util-keysyms"),
    "libxcb-render-util.so.0": ("libxcb-render-util0", "xcb-util-renderutil"),
    "libxcb-util.so.1": ("libxcb-util1", "xcb-util"),
    "libxcb-randr.so.0": ("libxcb-randr0", "libxcb"),
    "libxcb-render.so.0": ("libxcb-render0", "libxcb"),
    "libxcb-shape.so.0": ("libxcb-shape0", "libxcb"),
    "libxcb-shm.so.0": ("libxcb-shm0", "libxcb"),
    "libxcb-sync.so.1": ("libxcb-sync1", "libxcb"),
    "libxcb-xfixes.so.0": ("libxcb-xfixes0", "libxcb"),
    "libxcb-xkb.so.1": ("libxcb-xkb1", "libxcb"),
    "libxcb-xinerama.so.0": ("libxcb-xinerama0", "libxcb"),
    "libxcb-xinput.so.0": ("libxcb-xinput0", "libxcb"),
    "libxcb.so.1": ("libxcb1", "libxcb"),
    "libX11-xcb.so.1": ("libx11-xcb1", "libX11-xcb"),
    "libX11.so.6": ("libx11-6", "libX11"),
    "libxkbcommon-x11.so.0": ("libxkbcommon-x11-0", "libxkbcommon-x11"),
    "libxkbcommon.so.0": ("libxkbcommon0", "libxkbcommon"),
    "libEGL.so.1": ("libegl1", "libglvnd-egl"),
    "libGL.so.1": ("libgl1", "libglvnd-glx"),
    "libGLX.so.0": ("libglx0", "libglvnd-glx"),
    "libOpenGL.so.0": ("libopengl0", "libglvnd-opengl"),
    "libfontconfig.so.1": ("libfontconfig1", "fontconfig"),
    "libfreetype.so.6": ("libfreetype6", "freetype"),
    "libdbus-1.so.3": ("libdbus-1-3", "dbus-libs"),
    "libglib-2.0.so.0": ("libglib2.0-0", "glib2"),
    "libgthread-2.0.so.0": ("libglib2.0-0", "glib2"),
    "libwayland-client.so.0": ("libwayland-client0", "libwayland-client"),
    "libwayland-cursor.so.0": ("libwayland-cursor0", "libwayland-cursor"),
    "libwayland-egl.so.1": ("libwayland-egl1", "libwayland-egl"),
}

_NOT_FOUND = re.compile(r"^\s*(\S+)\s+=>\s+not found\s*$", re.MULTILINE)


def platform_to_check(environ: dict[str, str]) -> str | None:
    """The Qt platform plugin Qt will try first here, or None when no desktop session is needed."""
    requested = environ.get("QT_QPA_PLATFORM", "").split(";")[0].split(":")[0].strip()
    if requested:
        return None if requested in SESSIONLESS_PLATFORMS else requested
    if environ.get("WAYLAND_DISPLAY") and environ.get("XDG_SESSION_TYPE") == "wayland":
        return "wayland"
    return "xcb"


def has_session(platform: str, environ: dict[str, str]) -> bool:
    if platform == "xcb":
        return bool(environ.get("DISPLAY"))
    if platform.startswith("wayland"):
        return bool(environ.get("WAYLAND_DISPLAY"))
    return True  # a platform this check does not know: let Qt decide


def missing_libraries(ldd_output: str) -> list[str]:
    """Sonames `ldd` reports as "not found", each once, in order."""
    return list(dict.fromkeys(_NOT_FOUND.findall(ldd_output)))


def plugin_path(platform: str) -> Path | None:
    """PySide6's plugin file for `platform` (found without importing Qt's GUI libraries)."""
    import importlib.util

    spec = importlib.util.find_spec("PySide6")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "Qt" / "plugins" / "platforms"
    name = "wayland" if platform.startswith("wayland") else platform
    candidates = sorted(folder.glob(f"libq{name}*.so")) if folder.is_dir() else []
    return candidates[0] if candidates else None


def ldd(path: Path) -> str:
    """`ldd PATH`'s output; empty when ldd is not available (the check is then skipped)."""
    tool = shutil.which("ldd")
    if tool is None:
        return ""
    try:
        done = subprocess.run([tool, str(path)], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout


def distribution_family(os_release: str) -> str:
    """"debian", "fedora" or "" from the text of /etc/os-release."""
    fields = {}
    for line in os_release.splitlines():
        key, _, value = line.partition("=")
        fields[key.strip()] = value.strip().strip('"').lower()
    words = set(f"{fields.get('ID', '')} {fields.get('ID_LIKE', '')}".split())
    if words & {"debian", "ubuntu"}:
        return "debian"
    if words & {"fedora", "rhel", "centos"}:
        return "fedora"
    return ""


def install_line(missing: list[str], family: str) -> str:
    """The command that installs what is missing, or the library names where the system is unknown."""
    if family in ("debian", "fedora"):
        column = 0 if family == "debian" else 1
        known = [PACKAGES[name][column] for name in missing if name in PACKAGES]
        unknown = [name for name in missing if name not in PACKAGES]
        if known and not unknown:
            packages = " ".join(dict.fromkeys(known))
            return f"sudo apt-get install {packages}" if family == "debian" else f"sudo dnf install {packages}"
    return "install the system packages that provide " + ", ".join(missing)


def problem(environ: dict[str, str] | None = None, *, platform_name: str = sys.platform,
            os_release: str | None = None, ldd_output: str | None = None) -> str | None:
    """One line saying why the window cannot open here, or None when it can (as far as we can tell)."""
    if not platform_name.startswith("linux"):
        return None
    environ = dict(os.environ if environ is None else environ)
    platform = platform_to_check(environ)
    if platform is None:
        return None
    if not has_session(platform, environ):
        return NO_DISPLAY_MESSAGE
    if ldd_output is None:
        plugin = plugin_path(platform)
        ldd_output = ldd(plugin) if plugin is not None else ""
    missing = missing_libraries(ldd_output)
    if not missing:
        return None
    if os_release is None:
        try:
            os_release = Path("/etc/os-release").read_text(encoding="utf-8", errors="replace")
        except OSError:
            os_release = ""
    family = distribution_family(os_release)
    return (f"the window cannot open: Qt's {platform} display support needs system libraries that "
            f"are missing ({', '.join(missing)}); {install_line(missing, family)}")
