"""PySide6.QtGui for the TumorPredict bundle: PyInstaller's own hook, minus the Qt plugins a clinic
desktop never loads. Dropping them here, before PyInstaller follows their library dependencies,
keeps those libraries out too (the GTK theme bridge alone would bring the build machine's whole
GTK stack, about 20 libraries that could then clash with the clinic computer's own)."""

from pathlib import PurePath

from PyInstaller.utils.hooks.qt import add_qt6_dependencies

# Plugin folders the app uses: window systems (xcb, wayland, offscreen, minimal; cocoa and windows
# on those systems), image formats incl. SVG icons, styles, input methods, desktop themes.
KEPT_PLUGIN_DIRS = {
    "platforms", "imageformats", "iconengines", "styles", "platforminputcontexts",
    "platformthemes", "xcbglintegrations", "wayland-shell-integration",
    "wayland-decoration-client", "wayland-graphics-integration-client",
}
# Names (substrings) of plugins dropped inside the kept folders:
DROPPED_PLUGINS = (
    # embedded-board and remote-screen platforms
    "qeglfs", "qlinuxfb", "qvnc", "qvkkhrdisplay", "qminimalegl",
    # image formats nobody scans in (the app reads PNG, JPEG, BMP, TIFF, DICOM; icons are SVG)
    "qicns", "qpdf", "qtga", "qwbmp", "qwebp",
    # the GTK theme bridge (the app draws with Fusion and its own stylesheet)
    "qgtk3",
)


def _kept(destination: str, source: str) -> bool:
    parts = PurePath(destination).parts
    if "plugins" not in parts:
        return True
    folder = parts[parts.index("plugins") + 1] if parts[-1] != "plugins" else ""
    return folder in KEPT_PLUGIN_DIRS and not any(name in PurePath(source).name for name in DROPPED_PLUGINS)


hiddenimports, binaries, datas = add_qt6_dependencies(__file__)
binaries = [(source, destination) for source, destination in binaries if _kept(destination, source)]
