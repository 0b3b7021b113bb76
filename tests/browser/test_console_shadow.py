"""The console's Shadow tab in a real browser, on a proxy in front of a divergent host."""

from __future__ import annotations

from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec

from tests.browser.test_console import open_console, rows, tab, wait
from tests.shadow.conftest import Tenant, divergent_host, fictitious, person, shadowing

__all__ = ["divergent_host"]  # the stand-in tenant, a fixture


def test_the_shadow_tab_shows_the_differing_import_and_its_differences(
    browser, divergent_host, screenshot
):
    with shadowing(divergent_host) as (url, _):
        tenant = Tenant(url)
        number = fictitious()
        tenant.create(person("Alan", "Turing", fictitious()))
        tenant.import_rows(("Ada", "Lovelace", *number), ("Grace", "Hopper", *number))
        tenant.list()

        class Live:
            console = url + "/__mock__/ui"

        open_console(browser, Live())
        tab(browser, "shadow")
        wait(browser).until(
            ec.text_to_be_present_in_element((By.ID, "shadow-summary"), "differing")
        )
        assert "3 exchange(s)" in browser.find_element(By.ID, "shadow-summary").text
        table = rows(browser, "shadow-table")
        assert [r[3] for r in table] == ["listContacts", "importContacts", "createContacts"]
        assert table[1][4:7] == ["400", "200", "3 difference(s)"] and table[0][6] == "alike"
        browser.find_elements(By.CSS_SELECTOR, "#shadow-table tbody tr")[1].click()
        wait(browser).until(ec.visibility_of_element_located((By.ID, "shadow-detail")))
        differences = rows(browser, "shadow-differences")
        assert ["status", "400", "200"] in differences and ["created", "0", "1"] in differences
        screenshot("console-shadow")
        browser.find_element(By.ID, "shadow-differing").click()
        wait(browser).until(lambda b: _count(b) == 1)


def _count(browser) -> int:
    try:
        return len(rows(browser, "shadow-table"))
    except StaleElementReferenceException:  # the table is being filled again
        return -1


def test_a_plain_mock_says_it_is_no_proxy(browser, live):
    open_console(browser, live)
    tab(browser, "shadow")
    wait(browser).until(ec.text_to_be_present_in_element((By.ID, "shadow-summary"), "proxy"))
    assert "kore-mock proxy --upstream" in browser.find_element(By.ID, "shadow-summary").text
