"""The API's OpenAPI 3.1 description, served at /api/v1/openapi.json."""
from __future__ import annotations

from flask import Blueprint, jsonify

from addin.workbook.package import XLSX_CONTENT_TYPE

bp = Blueprint("openapi", __name__)

ERROR = {"type": "object", "required": ["error"], "properties": {"error": {
    "type": "object", "required": ["code", "message"], "properties": {
        "code": {"type": "string", "description": "Stable error code (see the README)"},
        "message": {"type": "string"}, "sheet": {"type": ["string", "null"]}, "cell": {"type": ["string", "null"]},
        "problems": {"type": "array", "items": {"type": "object"}}}}}}
RECEIPT = {"type": "object", "required": ["id", "status", "received_at"], "properties": {
    "id": {"type": "string", "example": "sub_AbCdEf123456"},
    "status": {"type": "string", "enum": ["queued", "retrying", "sending", "delivered", "failed", "dead"]},
    "received_at": {"type": "string", "format": "date-time"},
    "receipt_id": {"type": ["string", "null"], "description": "The institution's receipt, once delivered"},
    "verdict": {"type": "string", "enum": ["ready", "not_ready", "exempt"]}, "score": {"type": "integer"},
    "profile": {"type": "string"}}}


def _errors(*codes: int) -> dict:
    return {str(c): {"description": d, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
            for c, d in ((400, "Bad request (code says why)"), (401, "Missing, unknown or revoked token"),
                         (404, "Not found, or another member's"), (413, "Over the size limit"),
                         (422, "A value in the workbook cannot be read (sheet and cell given)"),
                         (429, "Too many submissions; see Retry-After")) if c in codes}


SPEC = {
    "openapi": "3.1.0",
    "info": {"title": "CPD tracker sync service", "version": "1",
             "description": "Submit CPD workbooks; run the CPD worksheet functions."},
    "components": {
        "securitySchemes": {"token": {"type": "http", "scheme": "bearer",
                                      "description": "A member's personal token (cpd_...)"}},
        "schemas": {"Error": ERROR, "Receipt": RECEIPT},
    },
    "paths": {
        "/api/v1/submissions": {"post": {
            "summary": "Submit a CPD workbook", "security": [{"token": []}],
            "parameters": [{"name": "Idempotency-Key", "in": "header", "required": False,
                            "schema": {"type": "string", "pattern": "^[A-Za-z0-9._:-]{8,128}$"},
                            "description": "Makes repeats one submission; default: the body's SHA-256"}],
            "requestBody": {"required": True, "content": {
                XLSX_CONTENT_TYPE: {
                    "schema": {"type": "string", "format": "binary"}}}},
            "responses": {
                "201": {"description": "Accepted and queued for delivery",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Receipt"}}}},
                "200": {"description": "The same submission as before (a repeat)",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Receipt"}}}},
                **_errors(400, 401, 413, 422, 429)}}},
        "/api/v1/submissions/{sub_id}": {"get": {
            "summary": "A submission's status and receipt", "security": [{"token": []}],
            "parameters": [{"name": "sub_id", "in": "path", "required": True, "schema": {"type": "string"}}],
            "responses": {"200": {"description": "The submission",
                                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Receipt"}}}},
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
                          **_errors(400, 404, 413)}}},
        "/api/v1/openapi.json": {"get": {"summary": "This description",
                                         "responses": {"200": {"description": "OpenAPI 3.1"}}}},
    },
}


@bp.get("/api/v1/openapi.json")
def spec():
    return jsonify(SPEC)
