"""The console at /ui in a real headless Chromium (Debian `chromium` + `chromium-driver`,
driven by selenium), against the real binary and the mock upstream: sign in, create a
key, use it from the `openai` client, see the request in the log and the overview's
numbers move, revoke it and see the next call refused, stream an answer in the
playground, upload an adapter and see its version change; and the refusals: a wrong
admin key, an expired session, a forged cross-site POST, a signed-out session.

Every page is photographed at laptop and phone widths into
`target/console-screenshots/` (or `$SWITCHYARD_SCREENSHOT_DIR`). The browser reaches
loopback only."""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.server
import json
import os
import shutil
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import openai
import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

from conftest import REPO, Model, Process, start_gateway

ADMIN_KEY = "sy-admin-console-e2e-0123456789"
GUESTS = Path(os.environ.get("SWITCHYARD_GUEST_TARGET_DIR", REPO / "target" / "wasm-guests"))
SHOUT_WASM = GUESTS / "wasm32-wasip2" / "release" / "test_adapter_shout.wasm"
SCREENSHOTS = Path(os.environ.get("SWITCHYARD_SCREENSHOT_DIR", REPO / "target" / "console-screenshots"))
LAPTOP = (1366, 900)
PHONE = (390, 844)
WAIT_S = 20


def chromium_paths() -> tuple[str, str]:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if not browser or not driver:
        pytest.fail("the console tests need Debian's chromium and chromium-driver (apt-get install chromium chromium-driver; .ci/run installs them)")
    return browser, driver


@pytest.fixture(scope="module")
def gateway(mock_upstream: Process, tmp_path_factory: pytest.TempPathFactory):
    workdir = tmp_path_factory.mktemp("console")
    # gpt-test is priced dearly ($2,000 / $8,000 per million tokens), so a single echo
    # shows as cents on the Spend page; gpt-other has no price.
    priced = Model("gpt-test", "mock-echo").toml(mock_upstream.url) + "price = { input = 2000.0, output = 8000.0 }\n"
    models = priced + Model("gpt-other", "mock-echo").toml(mock_upstream.url)
    settings = f'[auth]\nenable_client_auth = true\nadmin_key = "{ADMIN_KEY}"\n'
    proc = start_gateway(workdir, models, settings)
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def browser():
    binary_path, driver_path = chromium_paths()
    options = webdriver.ChromeOptions()
    options.binary_location = binary_path
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-default-apps",
        # Loopback only: every other host name resolves to nothing.
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
        f"--window-size={LAPTOP[0]},{LAPTOP[1]}",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=driver_path))
    driver.set_window_size(*LAPTOP)
    yield driver
    driver.quit()


def wait(driver, condition, timeout: float = WAIT_S):
    return WebDriverWait(driver, timeout).until(condition)


def shot(driver, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    # The whole page, not only the window: set the window to the document's height.
    width = driver.get_window_size()["width"]
    height = driver.execute_script("return Math.max(document.body.scrollHeight, document.documentElement.scrollHeight)")
    driver.set_window_size(width, min(max(height + 40, 600), 4000))
    driver.save_screenshot(str(path))
    return path


def page(driver, gateway: Process, name: str, heading: str) -> None:
    driver.get(f"{gateway.url}/ui/{name}")
    wait(driver, EC.text_to_be_present_in_element((By.CSS_SELECTOR, "main h1"), heading))


def signed_in(driver, gateway: Process) -> None:
    """Opens the console signed in, signing in only if the browser's session has ended."""
    driver.get(f"{gateway.url}/ui")
    # The page shows the navigation or the sign-in form once it has asked for the
    # session: wait for either, or an earlier test's session is taken for none.
    nav = (By.CSS_SELECTOR, "#nav:not([hidden])")
    wait(driver, lambda d: d.find_elements(*nav) or d.find_elements(By.NAME, "admin_key"))
    if not driver.find_elements(*nav):
        sign_in(driver, gateway)
        wait(driver, EC.visibility_of_element_located((By.ID, "nav")))


def sign_in(driver, gateway: Process, key: str = ADMIN_KEY) -> None:
    driver.get(f"{gateway.url}/ui")
    field = wait(driver, EC.element_to_be_clickable((By.NAME, "admin_key")))
    field.clear()
    field.send_keys(key)
    driver.find_element(By.CSS_SELECTOR, "form.signin button[type=submit]").click()


def api(gateway: Process, method: str, path: str, body=None, headers=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"{gateway.url}{path}", data=data, method=method)
    request.add_header("content-type", "application/json")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=15) as resp:
            return resp.status, json.loads(resp.read() or b"null"), resp.headers
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"null"), err.headers


def admin(gateway: Process, method: str, path: str, body=None):
    return api(gateway, method, path, body, {"authorization": f"Bearer {ADMIN_KEY}"})


def session_cookie(gateway: Process) -> tuple[str, str]:
    """Signs in over HTTP: (cookie pair, CSRF token)."""
    status, body, headers = api(gateway, "POST", "/ui/api/session", {"admin_key": ADMIN_KEY})
    assert status == 200, body
    return headers["set-cookie"].split(";")[0], body["csrf_token"]


def stat(driver, stat_id: str) -> int:
    """A number of the overview's stat strip (waiting while the page redraws it)."""
    text = wait(driver, lambda d: d.find_element(By.CSS_SELECTOR, f"#{stat_id} .stat-value").text)
    return int(text.replace(",", ""))


def test_a_wrong_admin_key_is_refused_with_a_clear_message(gateway: Process, browser) -> None:
    sign_in(browser, gateway, "sy-not-the-admin-key")
    error = wait(browser, EC.visibility_of_element_located((By.ID, "signin-error")))
    wait(browser, lambda d: error.text)
    assert error.text == "Incorrect admin key."
    assert not browser.find_element(By.ID, "nav").is_displayed(), "still signed out"
    assert browser.get_cookie("switchyard_console") is None
    status, body, _ = api(gateway, "POST", "/ui/api/session", {"admin_key": "guess"})
    assert (status, body["error"]["message"]) == (401, "incorrect admin key")
    shot(browser, "signin-refused-laptop")


def test_a_key_made_in_the_console_serves_the_openai_client_and_shows_in_log_and_charts(gateway: Process, browser) -> None:
    sign_in(browser, gateway)
    wait(browser, EC.visibility_of_element_located((By.ID, "nav")))
    wait(browser, EC.presence_of_element_located((By.ID, "stat-requests")))
    cookie = browser.get_cookie("switchyard_console")
    assert cookie and cookie["httpOnly"] and cookie["sameSite"] == "Strict", cookie
    assert browser.execute_script("return document.cookie") == "", "the session is invisible to scripts"
    assert browser.execute_script("return localStorage.length + sessionStorage.length") == 0
    requests_before = stat(browser, "stat-requests")
    tokens_before = stat(browser, "stat-tokens")

    page(browser, gateway, "keys", "Keys")
    browser.find_element(By.ID, "new-key").click()
    name = wait(browser, EC.element_to_be_clickable((By.CSS_SELECTOR, ".key-form input[name=name]")))
    name.send_keys("console-e2e")
    browser.find_element(By.CSS_SELECTOR, ".key-form input[name=rpm]").send_keys("600")
    browser.find_element(By.CSS_SELECTOR, ".key-form button[type=submit]").click()
    secret = wait(browser, EC.visibility_of_element_located((By.ID, "new-secret"))).text
    assert secret.startswith("sy-"), secret
    row = wait(browser, EC.presence_of_element_located((By.XPATH, "//table[@id='keys-table']//tr[.//strong[text()='console-e2e']]")))
    assert "600 req/min" in row.text and "active" in row.text
    key_id = next(w for w in row.text.split() if w.startswith("key_"))
    shot(browser, "keys-created-laptop")
    browser.find_element(By.XPATH, "//button[text()='I have stored it']").click()
    assert not browser.find_elements(By.ID, "new-secret"), "the secret is shown once"

    client = openai.OpenAI(base_url=f"{gateway.url}/v1", api_key=secret, max_retries=0, timeout=30)
    answer = client.chat.completions.create(model="gpt-test", messages=[{"role": "user", "content": "hello from the console test"}])
    assert answer.choices[0].message.content == "echo: hello from the console test"

    page(browser, gateway, "requests", "Request log")
    client_field = browser.find_element(By.ID, "log-client")
    client_field.send_keys(key_id)
    deadline = time.monotonic() + WAIT_S
    while True:
        browser.find_element(By.CSS_SELECTOR, "form.filters button[type=submit]").click()
        time.sleep(0.3)
        rows = browser.find_elements(By.CSS_SELECTOR, "#log-table tbody tr")
        if rows and key_id in rows[0].text:
            break
        assert time.monotonic() < deadline, "the request never reached the log page"
    assert len(rows) == 1 and "gpt-test" in rows[0].text and "200" in rows[0].text, rows[0].text
    shot(browser, "requests-filtered-laptop")

    page(browser, gateway, "overview", "Overview")
    deadline = time.monotonic() + WAIT_S
    while stat(browser, "stat-requests") <= requests_before:
        assert time.monotonic() < deadline, "the overview's request count did not move"
        browser.find_element(By.ID, "refresh").click()
        time.sleep(0.3)
    assert stat(browser, "stat-tokens") > tokens_before
    by_key = browser.find_element(By.XPATH, "//section[h2='By key']").text
    assert "console-e2e" in by_key, by_key
    chart = browser.find_element(By.ID, "chart-requests")
    assert chart.find_elements(By.CSS_SELECTOR, "path.line"), "the requests chart has a line"
    shot(browser, "overview-after-call-laptop")

    page(browser, gateway, "keys", "Keys")
    revoke = wait(browser, EC.element_to_be_clickable((By.CSS_SELECTOR, "button[aria-label='Revoke console-e2e']")))
    revoke.click()
    wait(browser, EC.alert_is_present()).accept()
    wait(browser, EC.text_to_be_present_in_element((By.ID, "notice"), "revoked"))
    with pytest.raises(openai.AuthenticationError):
        client.chat.completions.create(model="gpt-test", messages=[{"role": "user", "content": "again"}])
    Select(browser.find_element(By.ID, "key-status")).select_by_value("revoked")
    wait(browser, EC.text_to_be_present_in_element((By.ID, "keys-table"), "console-e2e"))


def test_the_playground_streams_the_answer_token_by_token(gateway: Process, browser) -> None:
    page(browser, gateway, "playground", "Playground")
    Select(browser.find_element(By.ID, "pg-model")).select_by_value("gpt-test")
    words = " ".join(f"word{i}" for i in range(300))
    # Typing 2,000 characters key by key is slow: set the value as a paste would.
    prompt = browser.find_element(By.ID, "pg-prompt")
    browser.execute_script("arguments[0].value = arguments[1]", prompt, words)
    browser.find_element(By.ID, "pg-send").click()
    lengths = []
    deadline = time.monotonic() + WAIT_S
    while True:
        text, busy = browser.execute_script(
            "const a = document.getElementById('pg-answer'); return a ? [a.textContent, a.getAttribute('aria-busy')] : ['', 'true']"
        )
        lengths.append(len(text))
        if busy == "false":
            break
        assert time.monotonic() < deadline, "the stream did not finish"
    assert text == f"echo: {words}"
    partial = {n for n in lengths if 0 < n < len(text)}
    assert len(partial) >= 3, f"the answer appeared all at once: {sorted(set(lengths))[:10]}"
    chunks = int(browser.find_element(By.ID, "pg-answer").get_attribute("data-chunks"))
    assert chunks > 100, chunks
    assert "First token after" in browser.find_element(By.ID, "pg-stats").text
    shot(browser, "playground-streamed-laptop")
    status, log, _ = admin(gateway, "GET", "/admin/requests?order=desc&client_id=console&limit=5")
    assert status == 200 and log["data"], log
    assert log["data"][0]["streamed"] and log["data"][0]["model"] == "gpt-test", "logged under the client `console`"


def test_an_uploaded_adapter_swaps_in_and_its_version_shows(gateway: Process, browser) -> None:
    assert SHOUT_WASM.is_file(), f"{SHOUT_WASM} is missing: build the e2e crate (it builds the test adapters)"
    page(browser, gateway, "components", "Components")
    version = wait(browser, EC.presence_of_element_located((By.CSS_SELECTOR, "[data-component-version='openai']")))
    before = version.text
    assert before and before != "9.9.9-shout"
    browser.find_element(By.ID, "upload-file").send_keys(str(SHOUT_WASM))
    name = browser.find_element(By.ID, "upload-name")
    name.clear()
    name.send_keys("openai")
    browser.find_element(By.CSS_SELECTOR, "form.upload button[type=submit]").click()
    result = browser.find_element(By.ID, "upload-result")
    wait(browser, lambda d: "serving" in result.text or "refused" in result.text, timeout=60)
    assert result.text == f"openai 9.9.9-shout is serving (was {before}).", result.text
    wait(browser, EC.text_to_be_present_in_element((By.CSS_SELECTOR, "[data-component-version='openai']"), "9.9.9-shout"))
    shot(browser, "components-swapped-laptop")
    status, body, _ = admin(gateway, "POST", "/admin/keys", {"name": "after-swap"})
    assert status == 201, body
    client = openai.OpenAI(base_url=f"{gateway.url}/v1", api_key=body["secret"], max_retries=0, timeout=30)
    answer = client.chat.completions.create(model="gpt-test", messages=[{"role": "user", "content": "quiet please"}])
    assert answer.choices[0].message.content == "ECHO: QUIET PLEASE", "the uploaded version answers"
    status, bad, _ = admin_put(gateway, "openai", b"not wasm at all")
    assert status == 400 and bad["error"]["code"] == "component_invalid", bad
    assert "not a WebAssembly file" in bad["error"]["message"]


def admin_put(gateway: Process, name: str, data: bytes):
    request = urllib.request.Request(f"{gateway.url}/admin/plugins/{name}", data=data, method="PUT")
    request.add_header("authorization", f"Bearer {ADMIN_KEY}")
    request.add_header("content-type", "application/wasm")
    try:
        with urllib.request.urlopen(request, timeout=60) as resp:
            return resp.status, json.loads(resp.read()), resp.headers
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read()), err.headers


def forged_expired_cookie() -> str:
    """A cookie signed exactly as the gateway signs (the test knows the admin key),
    expired a minute ago: refused for its age, not its signature."""
    key = hmac.new(ADMIN_KEY.encode(), b"switchyard console session key v1", hashlib.sha256).digest()
    payload = f"v1.{'ab' * 16}.{int(time.time()) - 60}"
    mac = hmac.new(key, payload.encode(), hashlib.sha256).digest()
    return f"{payload}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"


def test_an_expired_session_goes_back_to_sign_in(gateway: Process, browser) -> None:
    expired = forged_expired_cookie()
    status, body, _ = api(gateway, "GET", "/admin/keys", headers={"cookie": f"switchyard_console={expired}"})
    assert (status, body["error"]["code"]) == (401, "session_expired"), body
    assert "sign in again" in body["error"]["message"]
    browser.get(f"{gateway.url}/ui")
    browser.delete_all_cookies()
    browser.add_cookie({"name": "switchyard_console", "value": expired, "path": "/", "httpOnly": True, "sameSite": "Strict"})
    browser.get(f"{gateway.url}/ui/keys")
    wait(browser, EC.visibility_of_element_located((By.NAME, "admin_key")))
    assert not browser.find_element(By.ID, "nav").is_displayed()


class AttackerPage(http.server.BaseHTTPRequestHandler):
    """Another site (localhost vs 127.0.0.1, another port): its page posts to the
    gateway's admin API with the browser's credentials, as a CSRF attack would."""

    target = ""

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        body = f"""<!doctype html><title>attacker</title><script>
fetch("{self.target}/admin/keys", {{method: "POST", mode: "no-cors", credentials: "include",
  headers: {{"content-type": "text/plain"}}, body: JSON.stringify({{name: "forged-by-attacker"}})}})
  .then(() => document.title = "sent", () => document.title = "sent");
</script>""".encode()
        self.send_response(200)
        self.send_header("content-type", "text/html")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


def test_a_forged_cross_site_post_changes_nothing(gateway: Process, browser) -> None:
    sign_in(browser, gateway)
    wait(browser, EC.visibility_of_element_located((By.ID, "nav")))
    AttackerPage.target = gateway.url
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), AttackerPage)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        browser.get(f"http://localhost:{server.server_address[1]}/")
        wait(browser, lambda d: d.title == "sent")
    finally:
        server.shutdown()
    status, keys, _ = admin(gateway, "GET", "/admin/keys?status=all&search=forged")
    assert status == 200 and keys["data"] == [], "the forged POST created a key"

    cookie, csrf = session_cookie(gateway)
    status, body, _ = api(gateway, "POST", "/admin/keys", {"name": "no-token"}, {"cookie": cookie})
    assert (status, body["error"]["code"]) == (403, "csrf_token_invalid"), body
    status, body, _ = api(
        gateway, "POST", "/admin/keys", {"name": "evil-origin"}, {"cookie": cookie, "x-csrf-token": csrf, "origin": "http://evil.example"}
    )
    assert (status, body["error"]["code"]) == (403, "cross_site_request"), body
    status, body, _ = api(gateway, "POST", "/admin/keys", {"name": "with-token"}, {"cookie": cookie, "x-csrf-token": csrf})
    assert status == 201, "the same session with its token may"


def test_spend_and_a_team_budget_are_run_from_the_console(gateway: Process, browser) -> None:
    status, key, _ = admin(gateway, "POST", "/admin/keys", {"name": "spender", "team": "research"})
    assert status == 201, key
    signed_in(browser, gateway)
    # A key's "Budget" action opens the Spend page with the form set for that key.
    page(browser, gateway, "keys", "Keys")
    wait(browser, EC.element_to_be_clickable((By.CSS_SELECTOR, "a[aria-label='Budget for spender']"))).click()
    wait(browser, EC.text_to_be_present_in_element((By.CSS_SELECTOR, "main h1"), "Spend"))
    form = wait(browser, EC.presence_of_element_located((By.CSS_SELECTOR, "form.budget-form")))
    assert form.find_element(By.NAME, "subject").get_attribute("value") == key["id"]
    Select(form.find_element(By.NAME, "scope")).select_by_value("team")
    form.find_element(By.NAME, "subject").clear()
    form.find_element(By.NAME, "subject").send_keys("research")
    form.find_element(By.NAME, "amount").send_keys("0.05")
    form.find_element(By.NAME, "soft").send_keys("50")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    row = wait(browser, EC.presence_of_element_located((By.XPATH, "//table[@id='budgets']//tr[.//strong[text()='research']]")))
    assert "month" in row.text and "$0.0500" in row.text and "within" in row.text, row.text

    client = openai.OpenAI(base_url=f"{gateway.url}/v1", api_key=key["secret"], max_retries=0, timeout=30)
    client.chat.completions.create(model="gpt-test", messages=[{"role": "user", "content": "what does this cost"}])
    # The next call finds the team's $0.05 spent: refused until the month is over.
    with pytest.raises(openai.RateLimitError) as refused:
        for _ in range(5):
            client.chat.completions.create(model="gpt-test", messages=[{"role": "user", "content": "and this"}])
    assert refused.value.body["code"] == "budget_exceeded", refused.value.body

    page(browser, gateway, "spend", "Spend")
    cost = wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, "#stat-cost .stat-value").text)
    assert cost.startswith("$") and float(cost[1:].replace(",", "")) >= 0.05, cost
    row = wait(browser, EC.presence_of_element_located((By.XPATH, "//table[@id='budgets']//tr[.//strong[text()='research']]")))
    assert "spent" in row.text, row.text
    by_model = browser.find_element(By.XPATH, "//section[h2='By model']").text
    assert "gpt-test" in by_model, by_model
    assert browser.find_element(By.ID, "chart-cost").find_elements(By.CSS_SELECTOR, "path.line, circle, rect")
    shot(browser, "spend-laptop")


PAGES = [
    ("overview", "Overview"),
    ("keys", "Keys"),
    ("models", "Models"),
    ("components", "Components"),
    ("requests", "Request log"),
    ("spend", "Spend"),
    ("conversations", "Conversations"),
    ("responses", "Stored responses"),
    ("playground", "Playground"),
]


def test_every_page_renders_at_laptop_and_phone_widths_without_script_errors(gateway: Process, browser) -> None:
    signed_in(browser, gateway)
    browser.get_log("browser")
    for width, height, label in ((*LAPTOP, "laptop"), (*PHONE, "phone")):
        for name, heading in PAGES:
            browser.set_window_size(width, height)
            page(browser, gateway, name, heading)
            time.sleep(0.2)
            overflow = browser.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
            shot(browser, f"{name}-{label}")
            assert overflow <= 1, f"{name} at {label} width scrolls sideways by {overflow}px"
    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert not errors, errors
    browser.set_window_size(*LAPTOP)


def test_signing_out_ends_the_session(gateway: Process, browser) -> None:
    browser.get(f"{gateway.url}/ui")
    wait(browser, EC.visibility_of_element_located((By.ID, "signout")))
    value = browser.get_cookie("switchyard_console")["value"]
    browser.find_element(By.ID, "signout").click()
    wait(browser, EC.visibility_of_element_located((By.NAME, "admin_key")))
    status, body, _ = api(gateway, "GET", "/admin/keys", headers={"cookie": f"switchyard_console={value}"})
    assert (status, body["error"]["code"]) == (401, "session_ended"), body
