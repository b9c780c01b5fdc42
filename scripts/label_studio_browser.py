"""Drive Label Studio's labeling screen in headless Chromium the way a person does.

Used by the e2e offset test and by `scripts/screenshot.py`. Debian's `chromium` is the browser
(Playwright's own browser download is not reachable here); `ensure_chromium` installs it with
apt-get when it is missing and we are root, as on CI machines.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager

from playwright.sync_api import Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
)
TEXT_CONTAINER = ".lsf-richtext__container"
HIGHLIGHT = f"{TEXT_CONTAINER} .htx-highlight"

# The screen rectangle covering `word` (its n-th occurrence) inside the rendered task text. Label
# Studio splits the text into one span per line, so the search walks every text node.
WORD_RECT_JS = """([word, occurrence]) => {
  const root = document.querySelector('%s');
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  let seen = 0, node;
  while ((node = walker.nextNode())) {
    let from = 0, index;
    while ((index = node.data.indexOf(word, from)) >= 0) {
      if (seen++ === occurrence) {
        const range = document.createRange();
        range.setStart(node, index);
        range.setEnd(node, index + word.length);
        const rects = range.getClientRects();
        const first = rects[0], last = rects[rects.length - 1];
        return {left: first.left + 1, right: last.right - 1,
                top: (first.top + first.bottom) / 2, bottom: (last.top + last.bottom) / 2};
      }
      from = index + 1;
    }
  }
  return null;
}""" % TEXT_CONTAINER


class BrowserError(RuntimeError):
    """The browser could not be started or the labeling screen did not show what was expected."""


def ensure_chromium() -> str:
    """Path of Debian's Chromium, installing the package first when missing and running as root."""
    if os.path.exists(CHROMIUM):
        return CHROMIUM
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise BrowserError(
            f"[BR001] expected Chromium at {CHROMIUM}, found nothing (install it: apt-get install -y chromium)"
        )
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "chromium"]):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        completed = subprocess.run(command, capture_output=True, text=True, env=env)
        if completed.returncode != 0:
            raise BrowserError(f"[BR002] `{' '.join(command)}` failed:\n{completed.stderr[-2000:]}")
    return CHROMIUM


class LabelingScreen:
    """A logged-in browser page on Label Studio's labeling screen."""

    def __init__(self, page: Page, url: str):
        self.page = page
        self.url = url

    def log_in(self, email: str, password: str) -> None:
        self.page.goto(self.url + "/user/login/")
        self.page.fill("input[name=email]", email)
        self.page.fill("input[name=password]", password)
        self.page.click("button[type=submit], input[type=submit]")
        self.page.wait_for_load_state("networkidle")
        if "/user/login" in self.page.url:
            raise BrowserError(f"[BR003] login as {email} failed: still on {self.page.url}")

    def open_task(self, project_id: int, task_id: int) -> None:
        self.page.goto(f"{self.url}/projects/{project_id}/data?task={task_id}")
        self.page.wait_for_selector(TEXT_CONTAINER, timeout=60_000)
        # Regions and relations are drawn after the text; give the overlay a moment to settle.
        self.page.wait_for_load_state("networkidle")
        self.page.wait_for_timeout(500)

    def word_rect(self, word: str, occurrence: int = 0) -> dict:
        rect = self.page.evaluate(WORD_RECT_JS, [word, occurrence])
        if rect is None:
            raise BrowserError(f"[BR004] expected {word!r} (occurrence {occurrence}) on the labeling screen, not found")
        return rect

    def label(self, first_word: str, hotkey: str, last_word: str | None = None) -> None:
        """Pick the label by its hotkey, then drag the mouse from the first word to the last.

        Words are found by their first occurrence in the text, so name unambiguous ones.
        """
        start = self.word_rect(first_word)
        end = self.word_rect(last_word) if last_word else start
        self.page.keyboard.press(hotkey)
        self.page.mouse.move(start["left"], start["top"])
        self.page.mouse.down()
        self.page.mouse.move(end["right"], end["bottom"], steps=8)
        self.page.mouse.up()
        self.page.wait_for_timeout(300)

    def submit(self) -> None:
        def annotation_saved(response) -> bool:
            return "/annotations" in response.url and response.request.method == "POST"

        with self.page.expect_response(annotation_saved):
            self.page.click("button:has-text('Submit')")

    def highlighted_texts(self) -> list[str]:
        """The text inside every region highlight, in document order (what a person sees marked)."""
        return self.page.eval_on_selector_all(HIGHLIGHT, "nodes => nodes.map(node => node.textContent)")


@contextmanager
def labeling_screen(
    url: str, email: str, password: str, width: int = 1280, height: int = 800
) -> Iterator[LabelingScreen]:
    """A headless Chromium page logged in to Label Studio; closed on exit."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=ensure_chromium(), args=list(CHROMIUM_FLAGS))
        try:
            screen = LabelingScreen(browser.new_page(viewport={"width": width, "height": height}), url)
            screen.log_in(email, password)
            yield screen
        finally:
            browser.close()
