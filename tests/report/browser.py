"""Headless Chromium from Debian's packages, driven by Selenium, for the report's tests.

The browser is the system's (``/usr/bin/chromium`` with ``/usr/bin/chromedriver``), never one
Selenium Manager downloads: the driver path is given, so Selenium Manager is not consulted.
When the packages are missing and this process may install them (root, apt-get present), they
are installed with apt-get; otherwise :func:`ensure_chromium` returns why not.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
FLAGS = (
    "--headless",
    "--no-sandbox",  # CI runs as root, where Chromium's sandbox refuses to start
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)
WIDTH = 1280
#: apt-get may wait for another install's lock; the whole install gets this long.
INSTALL_TIMEOUT = 900


def ensure_chromium() -> str | None:
    """None when Chromium and its driver are there (installed now if need be), else why not."""
    if CHROMIUM.exists() and CHROMEDRIVER.exists():
        return None
    apt = shutil.which("apt-get")
    if apt is None or os.geteuid() != 0:
        return (
            f"{CHROMIUM} or {CHROMEDRIVER} is missing and cannot be installed here (needs root "
            "and apt-get): apt-get install chromium chromium-driver"
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    lock = ["-o", "DPkg::Lock::Timeout=300"]
    for command in (
        [apt, *lock, "update"],
        [apt, *lock, "install", "-y", "chromium", "chromium-driver"],
    ):
        try:
            done = subprocess.run(
                command, env=env, capture_output=True, text=True, timeout=INSTALL_TIMEOUT,
                stdin=subprocess.DEVNULL, check=False,
            )
        except subprocess.TimeoutExpired:
            return f"{' '.join(command)} took more than {INSTALL_TIMEOUT} s"
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
            return f"{' '.join(command)} failed ({done.returncode}): {' | '.join(tail)}"
    if CHROMIUM.exists() and CHROMEDRIVER.exists():
        return None
    return f"apt-get installed chromium, yet {CHROMIUM} or {CHROMEDRIVER} is missing"


def start_chromium(profile: Path, height: int = 1000) -> Any:
    """A headless Chromium session with a fresh profile in ``profile``."""
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = str(CHROMIUM)
    for flag in (*FLAGS, f"--user-data-dir={profile}", f"--window-size={WIDTH},{height}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))
    driver.set_page_load_timeout(60)
    return driver


def full_page_screenshot(driver: Any, path: Path) -> None:
    """The whole page at the test width: the window grows to the page's height first."""
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(WIDTH, int(height) + 20)
    driver.save_screenshot(str(path))
    driver.set_window_size(WIDTH, 1000)
