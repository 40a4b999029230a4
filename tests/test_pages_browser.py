"""The member's pages in a real headless Chromium against the running service: sign in, upload
the example, the worker delivers it to the reference receiver, and the receipt shows."""
from __future__ import annotations

import threading

from werkzeug.serving import make_server

from sync_service import signing
from sync_service.delivery import Endpoint, run_once
from sync_service.receiver import create_receiver
from test_taskpane import browser  # noqa: F401  (the Chromium fixture)
from workbook_templates import example_path


def test_member_submits_through_the_page_and_sees_the_receipt(browser, service, tmp_path):  # noqa: F811
    service.config["SESSION_COOKIE_SECURE"] = False          # plain http on 127.0.0.1 in this test
    server = make_server("127.0.0.1", 0, service, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    secret = signing.new_secret()
    inst = make_server("127.0.0.1", 0, create_receiver({"SIGNING_SECRETS": [secret],
                                                        "RECEIVER_DATABASE": str(tmp_path / "i.sqlite3")}))
    threading.Thread(target=inst.serve_forever, daemon=True).start()
    try:
        page = browser.new_page()
        page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(base) else r.abort())
        page.goto(base + "/")
        assert page.url.endswith("/login")
        page.fill("input[name=token]", service.config["TOKENS"]["a"])
        page.click("input[type=submit]")
        page.wait_for_url(base + "/")
        page.set_input_files("input[name=workbook]", str(example_path("iet")))
        page.click("text=Upload and submit")
        page.wait_for_selector("#verdict")
        assert page.inner_text("#verdict") == "Ready — score 100/100"
        rows = page.eval_on_selector_all("#criteria tr", "rows => rows.map(r => r.cells[1].textContent)")
        assert rows == ["Result"] + ["PASS"] * 7
        assert page.inner_text("#delivery") == "queued"
        endpoint = Endpoint(f"http://127.0.0.1:{inst.server_port}/cpd/submissions", (secret,))
        assert run_once(service.extensions["cpd_sessions"], endpoint) == "delivered"
        page.reload()
        assert page.inner_text("#delivery") == "delivered" and page.inner_text("#receipt").startswith("rcpt_")
        page.screenshot(path=str(tmp_path / "submission.png"), full_page=True)
        page.click("text=← Your submissions")
        assert page.inner_text("#submissions .receipt").startswith("rcpt_")
    finally:
        server.shutdown()
        inst.shutdown()
