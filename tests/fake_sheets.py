"""A loopback fake of the Google Sheets v4 API and Google's OAuth token endpoint.

Real gspread and google-auth talk to it over HTTP on 127.0.0.1: the service account's key is
made in the test with its own RSA key, google-auth signs a JWT with it and trades it here for
an access token (the signature and audience are checked), and every API call must carry a
token issued here. It keeps spreadsheets as cells (a value, or a formula with its computed
value) and answers as the real API does, as far as the product uses it, in the shapes of
gspread's own recorded responses: ``spreadsheets.get``, ``values.get``/``batchGet`` (rows from
the range's origin, trailing empty cells and rows trimmed, ``values`` left out when empty,
``UNFORMATTED_VALUE`` / ``FORMULA`` / ``FORMATTED_VALUE``, dates as serial numbers from
1899-12-30), ``values.update``/``batchUpdate`` (``RAW`` keeps text as text; ``USER_ENTERED``
makes ``=...`` a formula), a range past the grid refused with 400, Google's error JSON, and
403/404/429/500 on demand.
"""
from __future__ import annotations

import gzip
import io
import json
import os
import ssl
import tempfile
import re
import secrets
import shutil
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from flask import Flask, jsonify, request
from google.auth import jwt
from werkzeug.serving import make_server

EPOCH = datetime(1899, 12, 30)
STATUS_NAMES = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
                429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE"}
MESSAGES = {401: "Request had invalid authentication credentials.",
            403: "The caller does not have permission", 404: "Requested entity was not found.",
            429: "Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute per user' "
                 "of service 'sheets.googleapis.com'.",
            500: "Internal error encountered.", 503: "The service is currently unavailable."}
A1 = re.compile(r"^(?:'((?:[^']|'')*)'|([^!':]+))(?:!([A-Za-z]*)(\d*)(?::([A-Za-z]*)(\d*))?)?$")


def col_number(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def col_letters(n: int) -> str:
    out = ""
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out


def quote(title: str) -> str:
    """A title as the API writes it in a range: bare when it is a plain name (Record), else quoted
    ('🌵 test 1', as in gspread's recorded responses)."""
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", title) and not re.fullmatch(r"[A-Za-z]{1,3}\d+", title):
        return title
    return "'" + title.replace("'", "''") + "'"


def serial(value):
    """A cell value as the API sends it unformatted: dates as serial numbers, whole numbers as integers."""
    if isinstance(value, datetime):
        value = (value - EPOCH).total_seconds() / 86400
    elif isinstance(value, date):
        value = (value - EPOCH.date()).days
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


@dataclass
class Cell:
    value: object = None            # a typed value, or a formula's computed value
    formula: str | None = None
    note: str | None = None         # a cell note (set by spreadsheets.batchUpdate updateCells)


@dataclass
class Sheet:
    title: str
    rows: int = 1000
    cols: int = 26
    cells: dict = field(default_factory=dict)      # (row, col), 1-based -> Cell


@dataclass
class Spreadsheet:
    key: str
    title: str
    sheets: dict = field(default_factory=dict)     # title -> Sheet, in order
    shared: dict = field(default_factory=dict)     # e-mail -> "reader" | "writer"


class ApiError(Exception):
    def __init__(self, status: int, message: str | None = None):
        self.status, self.message = status, message or MESSAGES.get(status, "Error")


def loopback_tls() -> tuple[ssl.SSLContext, str]:
    """A server context for 127.0.0.1 whose certificate a certificate authority made here signs, and the
    authority's certificate file (what a client is told to trust)."""
    from datetime import timedelta, timezone

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    import ipaddress
    now = datetime.now(timezone.utc)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fake Google CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=1))
          .not_valid_after(now + timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                       data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                       crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    folder = tempfile.mkdtemp(prefix="fake-google-tls-")
    pem = serialization.Encoding.PEM
    with open(f"{folder}/server.pem", "wb") as fh:
        fh.write(cert.public_bytes(pem))
    with open(f"{folder}/server.key", "wb") as fh:
        fh.write(key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    with open(f"{folder}/ca.pem", "wb") as fh:
        fh.write(ca.public_bytes(pem))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(f"{folder}/server.pem", f"{folder}/server.key")
    os.remove(f"{folder}/server.key")          # loaded: the server's key does not stay on disk
    return context, f"{folder}/ca.pem"


class FakeSheets:
    """The fake's state, its HTTP server, and the knobs a test turns."""

    def __init__(self, tls: bool = False):
        self.books: dict[str, Spreadsheet] = {}
        self.accounts: dict[str, bytes] = {}          # client e-mail -> public key (PEM)
        self.tokens: dict[str, str] = {}              # access token -> client e-mail
        self.oauth_clients: dict[str, dict] = {}       # installed-app client id -> its secret and its user
        self.codes: dict[str, dict] = {}               # authorization code -> what it was issued for
        self.refresh: dict[str, str] = {}              # refresh token -> the user
        self.calls: list[tuple[str, str, dict]] = []  # (method, API path, query) of each API request
        self.token_requests = 0
        self.batch_updates = 0                        # spreadsheets.batchUpdate calls (cell notes)
        self.faults: dict[str, list] = defaultdict(list)   # "read" | "write" | "token" -> [(status, headers), ...]
        self.always: dict[str, tuple[int, dict]] = {}
        self.delay = 0.0                                # seconds before each API answer (bench: excluded time)
        self.answering = 0.0                            # seconds spent making API answers (bench: Google's share)
        self.compressed = 0                             # API answers sent gzip-compressed
        self.tls = tls                                  # HTTPS with its own certificate authority (ca_file)
        self.ca_file = ""
        self.lock = threading.Lock()
        self.app = self._make_app()
        self.url = ""

    # -- set-up -----------------------------------------------------------------------------
    def start(self) -> "FakeSheets":
        context = None
        if self.tls:
            context, self.ca_file = loopback_tls()
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True, ssl_context=context)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"{'https' if self.tls else 'http'}://127.0.0.1:{self.server.server_port}"
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(5)
        if self.ca_file:                       # the authority's folder (loopback_tls) goes with the server
            shutil.rmtree(os.path.dirname(self.ca_file), ignore_errors=True)

    def service_account(self, path, email: str = "cpd-checker@cpd-test.iam.gserviceaccount.com") -> str:
        """Make a service account with a fresh RSA key, register its public key, write its key file."""
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
        self.accounts[email] = key.public_key().public_bytes(serialization.Encoding.PEM,
                                                             serialization.PublicFormat.SubjectPublicKeyInfo)
        info = {"type": "service_account", "project_id": "cpd-test", "private_key_id": secrets.token_hex(8),
                "private_key": pem, "client_email": email, "client_id": "100000000000000000001",
                "token_uri": f"{self.url}/token", "auth_uri": f"{self.url}/auth"}
        path.write_text(json.dumps(info))
        return email

    def oauth_client(self, path, signs_in_as: str = "alex.morgan@gmail.com") -> str:
        """An installed-app ("Desktop app") OAuth client's JSON at ``path``; whoever opens its authorization
        link signs in as ``signs_in_as`` and allows access (Google's consent screen, answered yes)."""
        client_id = f"{secrets.token_hex(6)}-cpd.apps.googleusercontent.com"
        self.oauth_clients[client_id] = {"secret": "GOCSPX-" + secrets.token_urlsafe(18), "user": signs_in_as}
        path.write_text(json.dumps({"installed": {
            "client_id": client_id, "client_secret": self.oauth_clients[client_id]["secret"],
            "project_id": "cpd-test", "auth_uri": f"{self.url}/auth", "token_uri": f"{self.url}/token",
            "redirect_uris": ["http://localhost"]}}))
        return client_id

    def add(self, title: str = "CPD record", *, share: dict | None = None, key: str | None = None) -> Spreadsheet:
        key = key or secrets.token_urlsafe(33)[:44].replace("-", "x")
        book = Spreadsheet(key, title, shared=dict(share or {}))
        self.books[key] = book
        return book

    def load_xlsx(self, data: bytes, *, share: dict | None = None, title: str = "CPD record",
                  key: str | None = None) -> Spreadsheet:
        """A spreadsheet as Google Sheets makes one when an .xlsx file is imported: every cell's value,
        every formula with its cached result (none for files openpyxl wrote), dates as dates."""
        import openpyxl
        book = self.add(title, share=share, key=key)
        formulas = openpyxl.load_workbook(io.BytesIO(data))
        cached = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
        for ws in formulas.worksheets:
            sheet = Sheet(ws.title, rows=max(1000, ws.max_row), cols=max(26, ws.max_column))
            for row in ws.iter_rows():
                for c in row:
                    v = c.value
                    if v is None:
                        continue
                    text = getattr(v, "text", v)            # an array formula
                    if isinstance(text, str) and text.startswith("="):
                        sheet.cells[(c.row, c.column)] = Cell(cached[ws.title].cell(c.row, c.column).value, text)
                    else:
                        sheet.cells[(c.row, c.column)] = Cell(v)
            book.sheets[ws.title] = sheet
        return book

    def fail(self, kind: str, status: int, times: int = 1, headers: dict | None = None) -> None:
        """The next ``times`` requests of ``kind`` ("read", "write", "token") answer ``status``."""
        self.faults[kind] += [(status, headers or {})] * times

    def fail_always(self, kind: str, status: int, headers: dict | None = None) -> None:
        self.always[kind] = (status, headers or {})

    def api_calls(self) -> int:
        return len(self.calls)

    # -- ranges and values ------------------------------------------------------------------
    def _range(self, book: Spreadsheet, a1: str) -> tuple[Sheet, int, int, int, int]:
        m = A1.match(a1)
        if not m:
            raise ApiError(400, f"Unable to parse range: {a1}")
        title = m.group(1).replace("''", "'") if m.group(1) is not None else m.group(2)
        sheet = book.sheets.get(title)
        if sheet is None:
            raise ApiError(400, f"Unable to parse range: {a1}")
        c1 = col_number(m.group(3)) if m.group(3) else 1
        r1 = int(m.group(4)) if m.group(4) else 1
        if m.group(5) is None and m.group(6) is None:
            c2, r2 = (c1, r1) if m.group(3) or m.group(4) else (sheet.cols, sheet.rows)
        else:
            c2 = col_number(m.group(5)) if m.group(5) else sheet.cols
            r2 = int(m.group(6)) if m.group(6) else sheet.rows
        if r2 > sheet.rows or c2 > sheet.cols:
            raise ApiError(400, f"Range ({title}!{col_letters(c2)}{r2}) exceeds grid limits. Max rows: "
                                f"{sheet.rows}, max columns: {sheet.cols}")
        return sheet, r1, c1, r2, c2

    def _value(self, cell: Cell | None, render: str):
        if cell is None:
            return ""
        if render == "FORMULA" and cell.formula is not None:
            return cell.formula
        v = cell.value
        if v is None:
            return ""
        if render == "FORMATTED_VALUE":
            if isinstance(v, bool):
                return "TRUE" if v else "FALSE"
            if isinstance(v, (datetime, date)):
                return f"{v:%d/%m/%Y}"
            return str(serial(v))
        return serial(v)

    def _values(self, book: Spreadsheet, a1: str, render: str) -> dict:
        sheet, r1, c1, r2, c2 = self._range(book, a1)
        rows = []
        for r in range(r1, r2 + 1):
            row = [self._value(sheet.cells.get((r, c)), render) for c in range(c1, c2 + 1)]
            while row and row[-1] == "":
                row.pop()
            rows.append(row)
        while rows and not rows[-1]:
            rows.pop()
        out = {"range": f"{quote(sheet.title)}!{col_letters(c1)}{r1}:{col_letters(c2)}{r2}", "majorDimension": "ROWS"}
        if rows:
            out["values"] = rows
        return out

    @staticmethod
    def _extended(value) -> dict:
        """A value as the API's ExtendedValue: dates as serial numbers."""
        if isinstance(value, bool):
            return {"boolValue": value}
        if isinstance(value, (int, float, date)):
            return {"numberValue": serial(value)}
        return {"stringValue": str(value)}

    def _grid_data(self, sheet: Sheet, r1: int, c1: int, r2: int, c2: int, formulas_only: bool = False) -> dict:
        """A range's GridData as spreadsheets.get with includeGridData gives it: rowData to the last row with
        a cell in it; each row's cells to its last one; an empty cell as {}. ``formulas_only``: the field
        mask asked for userEnteredValue.formulaValue, so a cell without a formula has no userEnteredValue."""
        rows = []
        for r in range(r1, r2 + 1):
            cells = []
            for c in range(c1, c2 + 1):
                cell = sheet.cells.get((r, c))
                if cell is None or (cell.value in (None, "") and cell.formula is None):
                    cells.append({})
                    continue
                shown = {} if cell.value in (None, "") else {"effectiveValue": self._extended(cell.value)}
                typed = {"formulaValue": cell.formula} if cell.formula is not None else self._extended(cell.value)
                entered = {} if formulas_only and cell.formula is None else {"userEnteredValue": typed}
                cells.append({**entered, **shown})
            while cells and not cells[-1]:
                cells.pop()
            rows.append({"values": cells} if cells else {})
        while rows and not rows[-1]:
            rows.pop()
        out: dict = {"rowData": rows}
        if r1 > 1:
            out["startRow"] = r1 - 1
        if c1 > 1:
            out["startColumn"] = c1 - 1
        return out

    def _write(self, book: Spreadsheet, a1: str, values: list, option: str) -> dict:
        sheet, r1, c1, _, _ = self._range(book, a1)
        n = 0
        for i, row in enumerate(values):
            for j, v in enumerate(row):
                if option == "USER_ENTERED" and isinstance(v, str) and v.startswith("="):
                    cell = Cell("#NAME?", v)          # the fake computes nothing: an unknown function's answer
                elif option == "USER_ENTERED" and isinstance(v, str) and re.fullmatch(r"-?\d+(\.\d+)?", v):
                    cell = Cell(float(v))
                else:
                    cell = Cell(v)
                old = sheet.cells.get((r1 + i, c1 + j))
                cell.note = old.note if old else None        # writing a value keeps the cell's note
                sheet.cells[(r1 + i, c1 + j)] = cell
                n += 1
        return {"spreadsheetId": book.key, "updatedRange": f"{quote(sheet.title)}!{col_letters(c1)}{r1}",
                "updatedRows": len(values), "updatedColumns": max(map(len, values), default=0), "updatedCells": n}

    # -- HTTP ---------------------------------------------------------------------------------
    def _make_app(self) -> Flask:
        app = Flask("fake_sheets")
        fake = self

        def error(status: int, message: str | None = None, headers: dict | None = None):
            body = {"error": {"code": status, "message": message or MESSAGES.get(status, "Error"),
                              "status": STATUS_NAMES.get(status, "UNKNOWN")}}
            return jsonify(body), status, headers or {}

        def fault(kind: str):
            with fake.lock:
                if fake.faults[kind]:
                    return fake.faults[kind].pop(0)
            return fake.always.get(kind)

        @app.get("/auth")
        def authorize():
            """Google's authorization endpoint for an installed app: the user signs in and allows access at
            once; the browser goes back to the app's loopback redirect with a code (PKCE S256 remembered)."""
            q = request.args
            client = fake.oauth_clients.get(q.get("client_id", ""))
            redirect = q.get("redirect_uri", "")
            if client is None or not re.match(r"^http://(127\.0\.0\.1|localhost):\d+/?$", redirect) or \
                    q.get("response_type") != "code" or q.get("code_challenge_method", "S256") != "S256":
                return jsonify(error="invalid_request"), 400
            code = "4/" + secrets.token_urlsafe(24)
            fake.codes[code] = {"client": q["client_id"], "redirect": redirect, "user": client["user"],
                                "challenge": q.get("code_challenge")}
            from urllib.parse import urlencode
            return "", 302, {"Location": f"{redirect}?{urlencode({'state': q.get('state', ''), 'code': code})}"}

        def user_grant():
            import base64
            import hashlib
            form = request.form
            basic = request.authorization                  # the client's id and secret, as Basic auth or in the form
            client_id = basic.username if basic else form.get("client_id", "")
            secret = basic.password if basic else form.get("client_secret")
            client = fake.oauth_clients.get(client_id or "")
            if client is None or secret != client["secret"]:
                return jsonify(error="invalid_client"), 401
            if form["grant_type"] == "refresh_token":
                user = fake.refresh.get(form.get("refresh_token", ""))
                if user is None:
                    return jsonify(error="invalid_grant"), 400
                refresh = None
            else:
                issued = fake.codes.pop(form.get("code", ""), None)
                verifier = form.get("code_verifier", "")
                if issued is None or issued["client"] != client_id or issued["redirect"] != form.get(
                        "redirect_uri") or (issued["challenge"] and base64.urlsafe_b64encode(
                        hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode() != issued["challenge"]):
                    return jsonify(error="invalid_grant"), 400
                user, refresh = issued["user"], "1//" + secrets.token_urlsafe(30)
                fake.refresh[refresh] = user
            access = "ya29.user-" + secrets.token_urlsafe(24)
            fake.tokens[access] = user
            return jsonify(access_token=access, expires_in=3599, token_type="Bearer",
                           scope="https://www.googleapis.com/auth/spreadsheets",
                           **({"refresh_token": refresh} if refresh else {}))

        @app.post("/token")
        def token():
            fake.token_requests += 1
            f = fault("token")
            if f:
                return jsonify(error="internal_failure" if f[0] >= 500 else "invalid_grant",
                               error_description="Token request failed"), f[0]
            if request.form.get("grant_type") in ("authorization_code", "refresh_token"):
                return user_grant()
            if request.form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
                return jsonify(error="unsupported_grant_type"), 400
            assertion = request.form.get("assertion", "")
            try:
                claims = jwt.decode(assertion, verify=False)
                pem = fake.accounts[claims["iss"]]
                # google-auth addresses the grant to Google's token endpoint whatever the key file's token_uri
                claims = jwt.decode(assertion, certs=pem,
                                    audience=[f"{fake.url}/token", "https://oauth2.googleapis.com/token"])
            except Exception:
                return jsonify(error="invalid_grant", error_description="Invalid JWT Signature."), 400
            access = "ya29.fake-" + secrets.token_urlsafe(24)
            fake.tokens[access] = claims["iss"]
            return jsonify(access_token=access, expires_in=3599, token_type="Bearer")

        def caller() -> str | None:
            header = request.headers.get("Authorization", "")
            return fake.tokens.get(header[7:]) if header.startswith("Bearer ") else None

        def book_for(key: str, writing: bool) -> Spreadsheet:
            who = caller()
            if who is None:
                raise ApiError(401)
            book = fake.books.get(key)
            if book is None:
                raise ApiError(404)
            role = book.shared.get(who)
            if role is None or (writing and role != "writer"):
                raise ApiError(403)
            return book

        @app.errorhandler(ApiError)
        def api_error(exc: ApiError):
            return error(exc.status, exc.message)

        @app.before_request
        def count_and_fail():
            if request.path.startswith("/v4/"):
                request.environ["fake.started"] = time.perf_counter()
                with fake.lock:
                    fake.calls.append((request.method, request.path, request.args.to_dict(flat=False)))
                if fake.delay:
                    time.sleep(fake.delay)
                f = fault("write" if request.method in ("PUT", "POST") else "read")
                if f:
                    return error(f[0], headers=f[1])
            return None

        @app.after_request
        def time_the_answer(response):
            started = request.environ.get("fake.started")
            if started is None:
                return response
            if "gzip" in request.headers.get("Accept-Encoding", "") and "gzip" in request.headers.get(
                    "User-Agent", "") and response.status_code == 200:
                # as Google documents: an answer compressed for a client that accepts gzip and says so in its agent
                response.set_data(gzip.compress(response.get_data(), compresslevel=1, mtime=0))   # a front end's usual level
                response.headers["Content-Encoding"] = "gzip"
                with fake.lock:
                    fake.compressed += 1
            with fake.lock:                             # jsonify has made the body: the answer is ready
                fake.answering += time.perf_counter() - started
            return response

        @app.get("/v4/spreadsheets/<key>")
        def get(key):
            book = book_for(key, False)
            sheets = [{"properties": {"sheetId": i, "title": s.title, "index": i, "sheetType": "GRID",
                                      "gridProperties": {"rowCount": s.rows, "columnCount": s.cols}}}
                      for i, s in enumerate(book.sheets.values())]
            if request.args.get("includeGridData") == "true" and request.args.getlist("ranges"):
                # as Google answers: only the sheets the ranges name, each with a GridData per range
                data: dict = {}
                for a1 in request.args.getlist("ranges"):
                    sheet, r1, c1, r2, c2 = fake._range(book, a1)
                    data.setdefault(sheet.title, []).append(fake._grid_data(
                        sheet, r1, c1, r2, c2, "userEnteredValue.formulaValue" in request.args.get("fields", "")))
                sheets = [{**s, "data": data[s["properties"]["title"]]} for s in sheets
                          if s["properties"]["title"] in data]
            return jsonify(spreadsheetId=book.key, properties={"title": book.title, "locale": "en_GB",
                                                               "timeZone": "Europe/London"},
                           sheets=sheets, spreadsheetUrl=f"https://docs.google.com/spreadsheets/d/{book.key}/edit")

        @app.get("/v4/spreadsheets/<key>/values:batchGet")
        def batch_get(key):
            book = book_for(key, False)
            render = request.args.get("valueRenderOption", "FORMATTED_VALUE")
            ranges = [fake._values(book, a1, render) for a1 in request.args.getlist("ranges")]
            return jsonify(spreadsheetId=book.key, valueRanges=ranges)

        @app.get("/v4/spreadsheets/<key>/values/<path:a1>")
        def values_get(key, a1):
            book = book_for(key, False)
            return jsonify(fake._values(book, a1, request.args.get("valueRenderOption", "FORMATTED_VALUE")))

        @app.put("/v4/spreadsheets/<key>/values/<path:a1>")
        def values_update(key, a1):
            book = book_for(key, True)
            option = request.args.get("valueInputOption")
            if option not in ("RAW", "USER_ENTERED"):
                raise ApiError(400, "'valueInputOption' is required but not specified")
            return jsonify(fake._write(book, a1, (request.get_json() or {}).get("values") or [], option))

        @app.post("/v4/spreadsheets/<key>:batchUpdate")
        def spreadsheet_batch_update(key):
            """Only what the product sends: updateCells setting cell notes (fields "note")."""
            book = book_for(key, True)
            body = request.get_json() or {}
            by_id = dict(enumerate(book.sheets.values()))
            replies = []
            for req in body.get("requests") or []:
                upd = req.get("updateCells")
                if not upd or upd.get("fields") != "note":
                    raise ApiError(400, f"unsupported request: {sorted(req)}")
                rng = upd["range"]
                sheet = by_id.get(rng.get("sheetId"))
                if sheet is None:
                    raise ApiError(400, f"No grid with id: {rng.get('sheetId')}")
                for i, row in enumerate(upd.get("rows") or []):
                    for j, value in enumerate(row.get("values") or []):
                        at = (rng["startRowIndex"] + 1 + i, rng["startColumnIndex"] + 1 + j)
                        if at[0] > sheet.rows or at[1] > sheet.cols:
                            raise ApiError(400, "Range exceeds grid limits")
                        cell = sheet.cells.setdefault(at, Cell())
                        cell.note = value.get("note") or None
                replies.append({})
            fake.batch_updates += 1
            return jsonify(spreadsheetId=book.key, replies=replies)

        @app.post("/v4/spreadsheets/<key>/values:batchUpdate")
        def batch_update(key):
            book = book_for(key, True)
            body = request.get_json() or {}
            option = body.get("valueInputOption")
            if option not in ("RAW", "USER_ENTERED"):
                raise ApiError(400, "'valueInputOption' is required but not specified")
            responses = [fake._write(book, d["range"], d.get("values") or [], option) for d in body.get("data", [])]
            return jsonify(spreadsheetId=book.key, totalUpdatedCells=sum(r["updatedCells"] for r in responses),
                           responses=responses)

        return app
