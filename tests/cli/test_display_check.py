"""Before Qt starts, `tumorpredict` says in one line why no window can open and what to install."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from desktop_app import display_check
from desktop_app.cli import NO_WINDOW_EXIT
from tests.cli.conftest import REPO

# What `ldd libqxcb.so` prints on a fresh Debian 12 desktop (trimmed): Qt ≥ 6.5 needs xcb-cursor.
FRESH_DEBIAN_LDD = """\
\tlinux-vdso.so.1 (0x00007ffd5c7f2000)
\tlibQt6XcbQpa.so.6 => /opt/venv/PySide6/Qt/plugins/platforms/../../lib/libQt6XcbQpa.so.6 (0x00007f)
\tlibxcb-cursor.so.0 => not found
\tlibxcb-icccm.so.4 => /lib/x86_64-linux-gnu/libxcb-icccm.so.4 (0x00007f1f0b1f1000)
\tlibxcb-cursor.so.0 => not found
\tlibEGL.so.1 => /lib/x86_64-linux-gnu/libEGL.so.1 (0x00007f1f0b1b0000)
"""
DEBIAN_OS_RELEASE = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n'
FEDORA_OS_RELEASE = 'NAME="Fedora Linux"\nID=fedora\nVERSION_ID=40\n'
UBUNTU_OS_RELEASE = 'NAME="Ubuntu"\nID=ubuntu\nID_LIKE=debian\n'
DESKTOP = {"DISPLAY": ":0"}


def test_missing_xcb_cursor_gives_the_apt_line_on_debian():
    message = display_check.problem(DESKTOP, platform_name="linux", os_release=DEBIAN_OS_RELEASE,
                                    ldd_output=FRESH_DEBIAN_LDD)
    assert message.endswith("sudo apt-get install libxcb-cursor0")
    assert "libxcb-cursor.so.0" in message and "\n" not in message


def test_the_same_gap_gives_the_dnf_line_on_fedora_and_apt_on_ubuntu():
    fedora = display_check.problem(DESKTOP, platform_name="linux", os_release=FEDORA_OS_RELEASE,
                                   ldd_output=FRESH_DEBIAN_LDD)
    assert fedora.endswith("sudo dnf install xcb-util-cursor")
    ubuntu = display_check.problem(DESKTOP, platform_name="linux", os_release=UBUNTU_OS_RELEASE,
                                   ldd_output=FRESH_DEBIAN_LDD)
    assert ubuntu.endswith("sudo apt-get install libxcb-cursor0")


def test_an_unknown_system_or_library_names_the_libraries():
    ldd = "\tlibxcb-cursor.so.0 => not found\n\tlibodd.so.7 => not found\n"
    message = display_check.problem(DESKTOP, platform_name="linux", os_release=DEBIAN_OS_RELEASE,
                                    ldd_output=ldd)
    assert message.endswith("install the system packages that provide libxcb-cursor.so.0, libodd.so.7")
    arch = display_check.problem(DESKTOP, platform_name="linux", os_release="ID=arch\n",
                                 ldd_output=FRESH_DEBIAN_LDD)
    assert arch.endswith("install the system packages that provide libxcb-cursor.so.0")


def test_nothing_to_say_when_everything_is_there_or_no_session_is_needed():
    complete = FRESH_DEBIAN_LDD.replace("not found", "/lib/x86_64-linux-gnu/libxcb-cursor.so.0 (0x1)")
    assert display_check.problem(DESKTOP, platform_name="linux", ldd_output=complete) is None
    assert display_check.problem({"QT_QPA_PLATFORM": "offscreen"}, platform_name="linux") is None
    assert display_check.problem({}, platform_name="win32") is None
    assert display_check.problem({}, platform_name="darwin") is None


def test_no_display_at_all_is_said_plainly():
    assert display_check.problem({}, platform_name="linux") == display_check.NO_DISPLAY_MESSAGE
    wayland_without_socket = {"QT_QPA_PLATFORM": "wayland"}
    assert display_check.problem(wayland_without_socket, platform_name="linux") == display_check.NO_DISPLAY_MESSAGE


def _start_app(tmp_path, env_changes: dict[str, str | None]) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    for name, value in env_changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return subprocess.run([sys.executable, "-m", "desktop_app", "--data-dir", str(tmp_path / "data")],
                          env=env, cwd=REPO, capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the desktop-session check is Linux's")
def test_starting_the_app_without_a_display_says_so_in_one_line(tmp_path):
    done = _start_app(tmp_path, {"DISPLAY": None, "WAYLAND_DISPLAY": None, "QT_QPA_PLATFORM": None})
    assert done.returncode == NO_WINDOW_EXIT
    assert done.stderr.strip() == f"tumorpredict: {display_check.NO_DISPLAY_MESSAGE}"
    assert not (tmp_path / "data").exists()  # said before anything was set up


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ldd and the xcb plugin are Linux's")
def test_the_real_xcb_plugin_is_checked_and_gaps_named_with_an_install_line(tmp_path):
    plugin = display_check.plugin_path("xcb")
    assert plugin is not None and plugin.is_file()
    missing = display_check.missing_libraries(display_check.ldd(plugin))
    if not missing:
        pytest.skip("this computer has every library Qt's xcb plugin needs")
    done = _start_app(tmp_path, {"DISPLAY": ":99", "WAYLAND_DISPLAY": None, "QT_QPA_PLATFORM": None})
    assert done.returncode == NO_WINDOW_EXIT
    line = done.stderr.strip()
    assert "\n" not in line and "Reinstalling" not in line
    assert all(name in line for name in missing)
