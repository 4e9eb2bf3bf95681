"""Shared by the browser tests: Debian's chromium through Playwright, screenshots under artifacts/."""

from pathlib import Path

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
CHROMIUM = "/usr/bin/chromium"
# The password the browser tests give the users they make.
PASSWORD = "browser-pass-2026"


def login(page, username: str, password: str = PASSWORD, then: str = "/projects/") -> None:
    """Sign in through the login form, asking to be sent on to ``then`` (the ledger unless said otherwise)."""
    page.goto(f"/accounts/login/?next={then}")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button:has-text('登录')")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def follow_menu(page, label: str) -> None:
    """Click a link of the navigation bar, opening its dropdown first where it sits in one."""
    link = page.locator(f"nav a:text-is('{label}')")
    if not link.is_visible():
        link.locator("xpath=ancestor::li[contains(@class, 'dropdown')]/a").click()
    link.click()


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
