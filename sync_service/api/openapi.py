"""The API's OpenAPI 3.1 description, served at /api/v1/openapi.json."""
from __future__ import annotations

from flask import Blueprint, jsonify

from addin import XLSX_CONTENT_TYPE

from ..store.models import JobStatus
from . import openapi_accounts as accounts
from . import openapi_records as records

bp = Blueprint("api_openapi", __name__)

ERROR = {"type": "object", "required": ["error"], "properties": {"error": {
    "type": "object", "required": ["code", "message"], "properties": {
        "code": {"type": "string", "description": "Stable error code (see the README)"},
        "message": {"type": "string"}, "sheet": {"type": ["string", "null"]}, "cell": {"type": ["string", "null"]},
        "problems": {"type": "array", "items": {"type": "object"}},
        "request_id": {"type": "string", "description": "On a 500: what the service's log names"},
        "submission": {"type": "string", "description": "On a 409: the submission the key was used for"}}}}}
RECEIPT = {"type": "object", "required": ["id", "status", "received_at"], "properties": {
    "id": {"type": "string", "example": "sub_AbCdEf123456"},
    "status": {"type": "string", "enum": [s.value for s in JobStatus]},
    "received_at": {"type": "string", "format": "date-time"},
    "receipt_id": {"type": ["string", "null"], "description": "The institution's receipt, once delivered"},
    "verdict": {"type": "string", "enum": ["ready", "not_ready", "exempt"]}, "score": {"type": "integer"},
    "profile": {"type": "string"}}}

LINKED_SHEET = {"type": "object", "required": ["id", "key", "state"], "properties": {
    "id": {"type": "string", "example": "sh_AbCdEf123"}, "key": {"type": "string"},
    "state": {"type": "string", "enum": ["linked", "awaiting_code"]},
    "code": {"type": "string", "example": "CPD-7H3K-9QXW",
             "description": "While awaiting_code (only in the answer that made it): type it into the sheet"},
    "how": {"type": "string"}, "code_expires_at": {"type": ["string", "null"], "format": "date-time"},
    "title": {"type": "string"},
    "address": {"type": "string"}, "checked_at": {"type": ["string", "null"], "format": "date-time"},
    "verdict": {"type": ["string", "null"], "enum": ["ready", "not_ready", "exempt", None]},
    "score": {"type": ["integer", "null"]},
    "error": {"type": ["object", "null"], "description": "Why the last check could not read it (code, message)"}}}
SHEET_ID = {"name": "sheet_id", "in": "path", "required": True, "schema": {"type": "string"}}


def _errors(*codes: int) -> dict:
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    return {str(c): {"description": d, "content": error}
            for c, d in ((400, "Bad request (code says why)"), (401, "Missing, unknown or revoked token"),
                         (403, "The token lacks the scope this needs, or only the record's owner may do this"),
                         (404, "Not found, or another member's"),
                         (409, "The Idempotency-Key was used for another file (idempotency_key_reused)"),
                         (413, "Over the size limit, or too many rows (too_many_rows)"),
                         (422, "A value in the workbook cannot be read (sheet and cell given)"),
                         (429, "Too many requests (submissions a minute, failed tokens, function calls); "
                               "see Retry-After"),
                         (500, "The service failed; the body's request_id is what its log names"),
                         (503, "Google Sheets cannot be read now (quota, outage, credentials); see Retry-After"))
            if c in codes}


def _sheet(description: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/LinkedSheet"}}}}


SPEC = {
    "openapi": "3.1.0",
    "info": {"title": "CPD tracker sync service", "version": "1",
             "description": "Submit CPD workbooks; keep records and share them with mentors; run the CPD "
                            "worksheet functions."},
    "components": {
        "securitySchemes": {"token": {"type": "http", "scheme": "bearer",
                                      "description": "A member's personal token (cpd_...)"}},
        "schemas": {"Error": ERROR, "Receipt": RECEIPT, "LinkedSheet": LINKED_SHEET, **records.SCHEMAS,
                    **accounts.SCHEMAS},
    },
    "paths": {
        "/api/v1/submissions": {"post": {
            "summary": "Submit a CPD workbook", "security": [{"token": []}],
            "parameters": [{"name": "Idempotency-Key", "in": "header", "required": False,
                            "schema": {"type": "string", "pattern": "^[A-Za-z0-9._:-]{8,128}$"},
                            "description": "Makes repeats one submission; default: the body's SHA-256"}],
            "requestBody": {"required": True, "content": {
                XLSX_CONTENT_TYPE: {
                    "schema": {"type": "string", "format": "binary"}},
                "application/json": {"schema": {
                    "type": "object", "required": ["record", "activities"],
                    "description": "A Google Sheet's ranges, as the functions take them (the Sheets add-on)",
                    "properties": {k: {"type": "array", "items": {"type": "array", "items": {}}}
                                   for k in ("record", "activities", "plan")}}}}},
            "responses": {
                "201": {"description": "Accepted and queued for delivery",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Receipt"}}}},
                "200": {"description": "The same submission as before (a repeat)",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Receipt"}}}},
                **_errors(400, 401, 403, 409, 413, 422, 429, 500)}}},
        "/api/v1/submissions/{sub_id}": {"get": {
            "summary": "A submission's status and receipt", "security": [{"token": []}],
            "parameters": [{"name": "sub_id", "in": "path", "required": True, "schema": {"type": "string"}}],
            "responses": {"200": {"description": "The submission", "content": {
                                      "application/json": {"schema": {"$ref": "#/components/schemas/Receipt"}}}},
                          **_errors(401, 404)}}},
        "/api/v1/functions": {"get": {
            "summary": "The CPD worksheet functions and their parameters",
            "responses": {"200": {"description": "The functions", "content": {"application/json": {
                "schema": {"type": "object"}}}}}}},
        "/api/v1/functions/{name}": {"post": {
            "summary": "Run a CPD worksheet function (what the Office.js add-in calls)",
            "parameters": [{"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["args"], "properties": {"args": {"type": "array"}}}}}},
            "responses": {"200": {"description": "The result: a number, text or a 2-D array",
                                  "content": {"application/json": {"schema": {"type": "object",
                                                                              "properties": {"result": {}}}}}},
                          **_errors(400, 404, 413, 429)}}},
        "/api/v1/sheets": {
            "post": {"summary": "Link a Google Sheet (shared with the service account) and check it",
                     "security": [{"token": []}],
                     "requestBody": {"required": True, "content": {"application/json": {"schema": {
                         "type": "object", "required": ["sheet"], "properties": {"sheet": {
                             "type": "string", "description": "The sheet's address as the browser shows it, or its key",
                             "example": "https://docs.google.com/spreadsheets/d/1AbC.../edit#gid=0"}}}}}},
                     "responses": {"202": _sheet("Not linked yet: the body's code is to be typed into the sheet, "
                                                 "then POST .../confirm (it proves the member can edit the sheet)"),
                                   "200": _sheet("Linked already (proven)"),
                                   **_errors(400, 401, 409, 422, 503)}},
            "get": {"summary": "The member's linked sheets and their last check", "security": [{"token": []}],
                    "responses": {"200": {"description": "The linked sheets", "content": {"application/json": {
                        "schema": {"type": "object", "properties": {"sheets": {
                            "type": "array", "items": {"$ref": "#/components/schemas/LinkedSheet"}}}}}}},
                        **_errors(401)}}},
        "/api/v1/sheets/{sheet_id}": {
            "get": {"summary": "Check a linked sheet now: its readiness, criterion by criterion",
                    "security": [{"token": []}], "parameters": [SHEET_ID],
                    "responses": {"200": {"description": "The sheet and its readiness", "content": {
                        "application/json": {"schema": {"type": "object", "properties": {
                            "sheet": {"$ref": "#/components/schemas/LinkedSheet"}, "readiness": {"type": "object"}}}}}},
                        **_errors(401, 404, 422, 503)}},
            "delete": {"summary": "Unlink a sheet (the sheet itself is not touched)", "security": [{"token": []}],
                       "parameters": [SHEET_ID],
                       "responses": {"204": {"description": "Unlinked"}, **_errors(401, 404)}}},
        "/api/v1/sheets/{sheet_id}/confirm": {"post": {
            "summary": "Prove a link: the service reads the sheet and finds the code the member typed into it; "
                       "the sheet is then linked, and checked",
            "security": [{"token": []}], "parameters": [SHEET_ID],
            "responses": {"201": {"description": "Linked, and checked", "content": {"application/json": {"schema": {
                "type": "object", "properties": {"sheet": {"$ref": "#/components/schemas/LinkedSheet"},
                                                 "readiness": {"type": "object"}}}}}},
                **_errors(401, 404, 409, 422, 503)}}},
        "/api/v1/sheets/{sheet_id}/submissions": {"post": {
            "summary": "Submit a linked sheet: its values are pulled, read and stored as a submission "
                       "(the same values give the same submission)",
            "security": [{"token": []}], "parameters": [SHEET_ID],
            "responses": {
                "201": {"description": "Accepted and queued for delivery",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Receipt"}}}},
                "200": {"description": "The same values as an earlier submission: that submission",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Receipt"}}}},
                **_errors(401, 404, 422, 429, 503)}}},
        "/api/v1/openapi.json": {"get": {"summary": "This description",
                                         "responses": {"200": {"description": "OpenAPI 3.1"}}}},
        **records.paths(_errors),
        **accounts.paths(_errors),
    },
}


@bp.get("/api/v1/openapi.json")
def spec():
    return jsonify(SPEC)
