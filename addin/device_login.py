"""Getting a token for ``cpd`` without copying anything: the device authorization grant (RFC 8628).

``start`` asks the service for a code pair; the member opens the link it gives, where they are signed
in, and approves the code; ``wait_for_token`` polls the service until it hands over the token (or says
the member denied it, or the code expired)."""
from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any

from msgspec import Struct

from .errors import CpdError

CLIENT_ID = "cpd-cli"
GRANT = "urn:ietf:params:oauth:grant-type:device_code"


class DeviceStart(Struct, frozen=True):
    device_code: str
    user_code: str
    verification_uri: str
    verification_uri_complete: str
    expires_in: int
    interval: int


def _post(url: str, fields: dict[str, str], timeout: float) -> tuple[int, dict[str, Any]]:
    """POST a form; (status, the JSON object answered). CpdError when the service cannot be reached or its
    answer is not OAuth's JSON."""
    request = urllib.request.Request(url, data=urllib.parse.urlencode(fields).encode(), method="POST",
                                     headers={"Accept": "application/json",
                                              "Content-Type": "application/x-www-form-urlencoded"})
    try:
        try:
            with urllib.request.urlopen(request, timeout=timeout) as resp:
                status, body = resp.status, resp.read()
        except urllib.error.HTTPError as err:
            status, body = err.code, err.read()
        answer = json.loads(body or b"{}")
    except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as err:
        raise CpdError("service_unreachable", f"cannot reach the CPD service ({getattr(err, 'reason', err)})") \
            from None
    except json.JSONDecodeError:
        raise CpdError("not_a_cpd_service", "the address answers, but not as a CPD service; check it") from None
    if not isinstance(answer, dict):
        raise CpdError("not_a_cpd_service", "the address answers, but not as a CPD service; check it")
    return status, answer


def start(service_url: str, scope: str = "read submit", timeout: float = 15.0) -> DeviceStart:
    status, answer = _post(f"{service_url}/oauth/device", {"client_id": CLIENT_ID, "scope": scope}, timeout)
    try:
        return DeviceStart(str(answer["device_code"]), str(answer["user_code"]), str(answer["verification_uri"]),
                           str(answer["verification_uri_complete"]), int(answer["expires_in"]),
                           int(answer.get("interval", 5)))
    except (KeyError, TypeError, ValueError):
        if status == 404:
            raise CpdError("not_a_cpd_service", f"{service_url} has no sign-in for programs; check the address, "
                           "or use --token") from None
        raise CpdError("service_error", f"the service could not start a sign-in ({answer.get('error', status)})") \
            from None


def wait_for_token(service_url: str, started: DeviceStart, *, sleep: Callable[[float], None] = time.sleep,
                   clock: Callable[[], float] = time.monotonic, timeout: float = 15.0) -> str:
    """Poll until the member approves: the token. CpdError ``login_denied`` or ``login_expired`` otherwise."""
    interval = max(1, started.interval)
    deadline = clock() + started.expires_in
    fields = {"grant_type": GRANT, "device_code": started.device_code, "client_id": CLIENT_ID}
    while clock() < deadline:
        sleep(interval)
        status, answer = _post(f"{service_url}/oauth/token", fields, timeout)
        if status == 200 and isinstance(answer.get("access_token"), str):
            return str(answer["access_token"])
        error = answer.get("error")
        if error == "authorization_pending":
            continue
        if error == "slow_down":
            interval += 5
            continue
        if error == "access_denied":
            raise CpdError("login_denied", "the request was denied on the service's page; nothing was saved")
        if error in ("expired_token", "invalid_grant"):
            break
        raise CpdError("service_error", f"the service refused the sign-in ({error or status})")
    raise CpdError("login_expired", "the code expired before it was approved; run 'cpd login' again")
