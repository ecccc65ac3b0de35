"""Headless Chromium (Debian's chromium + chromium-driver) driven by Selenium, and a real
uvicorn server on loopback for the web app. Nothing is downloaded: the binaries are the system's
(scripts/install.sh installs them with apt-get when it runs as root)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
PHONE = (390, 844)  # CSS pixels of a common phone screen
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-dev-shm-usage", "--disable-extensions", "--disable-sync",
         "--disable-component-update", "--disable-default-apps", "--no-first-run",
         "--metrics-recording-only", "--mute-audio")


def chromium_or_skip():
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if missing:
        pytest.skip(f"{', '.join(missing)} missing: Chromium could not be installed "
                    "(scripts/install.sh installs chromium + chromium-driver when run as root)")
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = str(CHROMIUM)
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--window-size={PHONE[0]},{PHONE[1]}")
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(120)
    return driver


@contextmanager
def serve(app, host: str, port: int) -> Iterator[str]:
    """Run `app` under uvicorn in a thread until the block ends; yields its base URL."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120  # generous: a loaded machine
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the web app did not start")
        time.sleep(0.05)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=60)


def wait_for_heading(browser, text: str, timeout: float = 120) -> None:
    """Wait until the page's h1 reads `text`: a click returns before the next page has loaded,
    so the old page's h1 can still be there, go stale while being read, or make Chromium answer
    "unhandled inspector error" while the document is being replaced (a WebDriverException)."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(browser, timeout, ignored_exceptions=(WebDriverException,)).until(
        lambda d: d.find_element(By.TAG_NAME, "h1").text == text, f"no page titled {text!r}"
    )


def wait_for_text(browser, css: str, text: str, timeout: float = 120) -> None:
    """Wait until the element at `css` contains `text`; like `wait_for_heading`, an element of
    the page being replaced may go stale or be missing while it is read."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(browser, timeout, ignored_exceptions=(WebDriverException,)).until(
        lambda d: text in d.find_element(By.CSS_SELECTOR, css).text,
        f"{css} never read {text!r}: {browser.page_source[:1000]}",
    )
