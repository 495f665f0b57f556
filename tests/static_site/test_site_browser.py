"""The static site in a real browser: headless Chromium from Debian, driven by Selenium.

The pages are opened from disk (``file://``), as a reader who unpacked the site would. Selenium
is pointed at ``/usr/bin/chromium`` and ``/usr/bin/chromedriver`` explicitly and Selenium
Manager is disabled (``SE_OFFLINE`` and a guard that fails the test if it is called), so nothing
is downloaded. Tests skip only when ``/usr/bin/chromium`` is absent
(``apt-get install chromium chromium-driver``).

Screenshots of the home page and the targets page (1280 px wide) are kept under the test's
temporary folder; with ``CNPLANS_UPDATE_SCREENSHOT=1`` they are also copied to
``docs/site-home.png`` and ``docs/site-targets.png`` (the site is then built with the release
files in ``dist/``, if a release was built). Chinese names need a CJK font for the pictures
(``apt-get install fonts-wqy-microhei``); the tests do not.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import struct
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from site_support import REPO, copy_package, fake_release, read_csv

from cnplans import loader
from cnplans.loader.overviews import TABLES, overview
from scripts.site.build import build_site

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
SCREENSHOT_ENV = "CNPLANS_UPDATE_SCREENSHOT"
SCREENSHOTS = {"index.html": "site-home.png", "tables/targets.html": "site-targets.png"}
WINDOW = (1280, 900)  # a common laptop screen: the pages must fit its width
DOWNLOAD_WAIT_SECONDS = 30  # an upper bound for waiting, never asserted on

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="browser tests need Debian's Chromium at /usr/bin/chromium "
    "(apt-get install chromium chromium-driver)",
)


@dataclass
class Browser:
    driver: Any
    downloads: Path

    def open(self, path: Path) -> None:
        self.driver.get(path.resolve().as_uri())

    def run(self, script: str, *args: Any) -> Any:
        return self.driver.execute_script(script, *args)


@dataclass
class Sites:
    plain: Path  # the real package, no release files (or dist/ when updating the screenshot)
    release: Path  # a copy of the package with a stand-in release: zip, sqlite, parquet, sums


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> Sites:
    work = tmp_path_factory.mktemp("sites")
    dist = REPO / "dist" if os.environ.get(SCREENSHOT_ENV) else None
    plain = build_site(REPO, work / "plain" / "site", dist=dist).out
    package = copy_package(work / "pkg")
    version = read_version(package)
    fake_release(package, work / "dist", version)
    release = build_site(package, work / "release" / "site", work / "dist").out
    return Sites(plain, release)


def read_version(root: Path) -> str:
    import json

    return str(json.loads((root / "datapackage.json").read_text(encoding="utf-8"))["version"])


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    if not CHROMEDRIVER.exists():
        pytest.fail(
            f"{CHROMIUM} is installed but {CHROMEDRIVER} is not: "
            "apt-get install chromium-driver (the same version as chromium)"
        )
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
        from selenium.webdriver.common.selenium_manager import SeleniumManager
    except ImportError:
        pytest.fail(
            "Chromium is installed but Selenium is not: install the 'browser' dependency group "
            "(nox -s tests does) or pip install 'selenium>=4.20,<5'"
        )

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("Selenium Manager was called; it must not download drivers")

    patch = pytest.MonkeyPatch()
    patch.setenv("SE_OFFLINE", "true")
    patch.setattr(SeleniumManager, "binary_paths", refuse)
    downloads = tmp_path_factory.mktemp("downloads")
    profile = tempfile.mkdtemp(prefix="chromium-profile-", dir=tmp_path_factory.getbasetemp())
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={profile}",
        f"--window-size={WINDOW[0]},{WINDOW[1]}",
        "--force-device-scale-factor=1",
    ):
        options.add_argument(argument)
    options.add_experimental_option(
        "prefs",
        {
            "download.default_directory": str(downloads),
            "download.prompt_for_download": False,
            "safebrowsing.enabled": False,
        },
    )
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    try:
        driver.execute_cdp_cmd(
            "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)}
        )
        yield Browser(driver, downloads)
    finally:
        driver.quit()
        patch.undo()


def wait_for_file(folder: Path, name: str) -> Path:
    """The downloaded file once Chromium has finished writing it (bounded wait)."""
    deadline = time.monotonic() + DOWNLOAD_WAIT_SECONDS
    target = folder / name
    while time.monotonic() < deadline:
        partial = list(folder.glob("*.crdownload"))
        if target.is_file() and not partial:
            return target
        time.sleep(0.1)
    pytest.fail(f"Chromium did not save {name} into {folder}: {sorted(os.listdir(folder))}")


def file_of(url: str) -> Path:
    parts = urlsplit(url)
    assert parts.scheme == "file", url
    return Path(unquote(parts.path))


def severe_console_messages(browser: Browser) -> list[str]:
    return [
        entry["message"]
        for entry in browser.driver.get_log("browser")
        if entry.get("level") == "SEVERE"
    ]


# ---------------------------------------------------------------- tests


def test_home_page_opens_from_disk_without_errors(browser: Browser, sites: Sites) -> None:
    from selenium.webdriver.common.by import By

    browser.open(sites.plain / "index.html")
    heading = browser.driver.find_element(By.TAG_NAME, "h1").text
    assert heading == read_title(REPO)
    svg = browser.driver.find_element(By.CSS_SELECTOR, "figure.chart svg[role=img]")
    assert svg.is_displayed() and svg.size["width"] > 400
    assert browser.run("return document.styleSheets.length") >= 1
    assert severe_console_messages(browser) == []


def read_title(root: Path) -> str:
    import json

    return str(json.loads((root / "datapackage.json").read_text(encoding="utf-8"))["title"])


@pytest.mark.parametrize("which", ["zip", "csv"])
def test_download_link_gives_the_file_the_page_describes(
    browser: Browser, sites: Sites, which: str
) -> None:
    from selenium.webdriver.common.by import By

    browser.open(sites.release / "index.html")
    rows = browser.driver.find_elements(By.CSS_SELECTOR, f"#downloads-table tr.kind-{which}")
    assert rows, f"no {which} row in the download table"
    row = rows[-1] if which == "csv" else rows[0]
    link = row.find_element(By.CSS_SELECTOR, "td:first-child a")
    stated_sha = row.find_element(By.CSS_SELECTOR, "td.sha256").text.strip()
    stated_bytes = int(
        row.find_element(By.CSS_SELECTOR, "td[data-bytes]").get_attribute("data-bytes")
    )
    on_disk = file_of(link.get_attribute("href"))
    assert on_disk.is_file() and on_disk.is_relative_to(sites.release)
    link.click()
    saved = wait_for_file(browser.downloads, on_disk.name)
    assert hashlib.sha256(saved.read_bytes()).hexdigest() == stated_sha
    assert saved.stat().st_size == stated_bytes
    assert saved.read_bytes() == on_disk.read_bytes()


def visible_ids(browser: Browser, table_css: str) -> list[str]:
    return browser.run(
        "return Array.from(document.querySelectorAll(arguments[0] + ' tbody tr'))"
        ".filter(r => r.offsetParent !== null).map(r => r.id);",
        table_css,
    )


def test_filtering_the_targets_table_shows_only_matching_rows(
    browser: Browser, sites: Sites
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    targets = read_csv(REPO / "resources/targets.csv")
    browser.open(sites.plain / "tables/targets.html")
    table = "#table-targets"
    assert len(visible_ids(browser, table)) == len(targets)
    box = browser.driver.find_element(By.CSS_SELECTOR, "input.filter[aria-controls=table-targets]")
    for words in (["revenue"], ["revenue", "shanxi"]):
        box.clear()
        box.send_keys(" ".join(words))
        expected = [
            f"target-{t['target_id']}"
            for t in targets
            if all(any(w in value.lower() for value in t.values()) for w in words)
        ]
        assert expected, f"the data has no target matching {words}; pick other words"
        assert visible_ids(browser, table) == expected
        status = browser.driver.find_element(By.CSS_SELECTOR, ".table-tools output").text
        assert status == f"{len(expected)} of {len(targets)} rows"
    box.clear()
    box.send_keys("revenue")
    box.send_keys(Keys.BACKSPACE * len("revenue"))  # typing fires the input event clear() does not
    assert len(visible_ids(browser, table)) == len(targets)


def test_sorting_a_number_column_orders_rows_by_value(browser: Browser, sites: Sites) -> None:
    from selenium.webdriver.common.by import By

    browser.open(sites.plain / "tables/targets.html")
    headers = browser.driver.find_elements(By.CSS_SELECTOR, "#table-targets thead th")
    names = [h.text.strip() for h in headers]
    column = names.index("value")
    headers[column].find_element(By.TAG_NAME, "button").click()
    assert headers[column].get_attribute("aria-sort") == "ascending"
    values = browser.run(
        "return Array.from(document.querySelectorAll('#table-targets tbody tr'))"
        ".map(r => r.cells[arguments[0]].getAttribute('data-sort'));",
        column,
    )
    numbers = [float(v) for v in values]
    assert numbers == sorted(numbers)
    assert sorted(numbers) == sorted(
        float(t["value"]) for t in read_csv(REPO / "resources/targets.csv")
    )


def test_a_foreign_key_link_leads_to_the_row_it_names(browser: Browser, sites: Sites) -> None:
    from selenium.webdriver.common.by import By

    browser.open(sites.plain / "tables/targets.html")
    headers = [
        h.text.strip()
        for h in browser.driver.find_elements(By.CSS_SELECTOR, "#table-targets thead th")
    ]
    column = headers.index("plan_id") + 1
    row = browser.driver.find_elements(By.CSS_SELECTOR, "#table-targets tbody tr")[-1]
    link = row.find_element(By.CSS_SELECTOR, f"td:nth-child({column}) a")
    plan_id = link.text.strip()
    link.click()
    assert browser.driver.current_url.endswith(f"/tables/plans.html#plan-{plan_id}")
    target = browser.run("return document.querySelector(':target');")
    assert target is not None and target.tag_name == "tr"
    assert target.get_attribute("id") == f"plan-{plan_id}"
    assert target.find_element(By.CSS_SELECTOR, "td").text.strip() == plan_id
    top = browser.run("return arguments[0].getBoundingClientRect().top;", target)
    assert 0 <= top < browser.run("return window.innerHeight;")


def test_printing_hides_navigation_and_controls(browser: Browser, sites: Sites) -> None:
    from selenium.webdriver.common.by import By

    browser.open(sites.plain / "tables/targets.html")
    browser.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        nav = browser.driver.find_element(By.CSS_SELECTOR, ".site-header nav")
        box = browser.driver.find_element(By.CSS_SELECTOR, ".table-tools input")
        status = browser.driver.find_element(By.CSS_SELECTOR, ".table-tools output")
        assert not nav.is_displayed() and not box.is_displayed()
        assert status.is_displayed()  # a filtered table prints with its "N of M rows"
        assert browser.driver.find_element(By.CSS_SELECTOR, "#table-targets").is_displayed()
    finally:
        browser.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG file"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.mark.parametrize("page", list(SCREENSHOTS))
def test_screenshot(browser: Browser, sites: Sites, tmp_path: Path, page: str) -> None:
    browser.driver.set_window_size(*WINDOW)
    browser.open(sites.plain / page)
    shot = tmp_path / SCREENSHOTS[page]
    assert browser.driver.save_screenshot(str(shot))
    width, height = png_size(shot)
    viewport = browser.run("return [window.innerWidth, window.innerHeight];")
    assert (width, height) == tuple(viewport)
    if os.environ.get(SCREENSHOT_ENV):
        target = REPO / "docs" / SCREENSHOTS[page]
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_suffix(".png.tmp")
        shutil.copyfile(shot, temporary)
        temporary.replace(target)


def test_targets_page_shows_the_value_columns_without_horizontal_scrolling(
    browser: Browser, sites: Sites
) -> None:
    browser.driver.set_window_size(*WINDOW)
    browser.open(sites.plain / "tables/targets.html")
    page_width, window_width = browser.run(
        "return [document.documentElement.scrollWidth, window.innerWidth];"
    )
    assert page_width <= window_width
    boxes = browser.run(
        "var found = {};"
        "document.querySelectorAll('#table-targets thead th').forEach(function (th) {"
        "  var r = th.getBoundingClientRect();"
        "  found[th.textContent.trim()] = [r.left, r.top, r.right, r.bottom]; });"
        "return [found, window.innerWidth, window.innerHeight];"
    )
    headers, width, height = boxes
    for name in ("value", "value_max", "unit"):
        left, top, right, bottom = headers[name]
        inside = left >= 0 and right <= width and top >= 0 and bottom <= height
        assert inside, f"the {name} header is at {headers[name]}, outside {width}x{height}"


def overview_rows() -> list[dict[str, Any]]:
    """The overview of the repository's tables, as the site's home page should list it."""
    frames = {name: loader.read_table(REPO, name) for name in TABLES}
    frame = overview("targets", frames=frames).astype(object)
    return [
        {k: ("" if v is None or v != v else str(v)) for k, v in row.items()}
        for row in frame.to_dict("records")
    ]


SHOWN_TEXT = (
    "region_name_en",
    "region_name_zh",
    "plan_title",
    "indicator",
    "subject",
    "stated",
    "unit",
    "quote",
)  # the overview's text columns the home page shows


def test_filtering_the_overview_by_region_and_words(browser: Browser, sites: Sites) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select

    rows = overview_rows()
    browser.open(sites.plain / "index.html")
    table = "#overview-targets"
    every = [f"overview-{r['target_id']}" for r in rows]
    assert visible_ids(browser, table) == every

    # a province that leaves some rows out, with a city or district of its own if there is one
    provinces = sorted(
        {r["province_id"] for r in rows},
        key=lambda p: (
            not any(r["province_id"] == p and r["region_id"] != p for r in rows),
            all(r["province_id"] == p for r in rows),
        ),
    )
    province = provinces[0]
    region = Select(browser.driver.find_element(By.CSS_SELECTOR, "select[data-facet=region]"))
    region.select_by_value(province)
    in_province = [r for r in rows if province in (r["region_id"], r["province_id"])]
    assert visible_ids(browser, table) == [f"overview-{r['target_id']}" for r in in_province]

    word = in_province[-1]["indicator"]
    box = browser.driver.find_element(
        By.CSS_SELECTOR, "input.filter[aria-controls=overview-targets]"
    )
    box.send_keys(word)
    expected = [
        f"overview-{r['target_id']}"
        for r in in_province
        if any(word.lower() in r[name].lower() for name in SHOWN_TEXT)
    ]
    assert visible_ids(browser, table) == expected
    status = browser.driver.find_element(By.CSS_SELECTOR, ".table-tools output").text
    assert status == f"{len(expected)} of {len(rows)} rows"

    region.select_by_value("")
    box.send_keys(Keys.BACKSPACE * len(word))
    assert visible_ids(browser, table) == every


def test_overview_choices_are_hidden_without_javascript(browser: Browser, sites: Sites) -> None:
    from selenium.webdriver.common.by import By

    browser.driver.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
    try:
        browser.open(sites.plain / "index.html")
        facets = browser.driver.find_element(By.CSS_SELECTOR, ".facets")
        assert not facets.is_displayed()
        assert len(visible_ids(browser, "#overview-targets")) == len(overview_rows())
    finally:
        browser.driver.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": False})
