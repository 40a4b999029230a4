"""The OpenAPI description of the member's tokens (merged into ``openapi.SPEC``)."""
from __future__ import annotations

from .openapi_records import SEC, _id, _json, _list

SCHEMAS = {
    "Token": {"type": "object", "required": ["id", "scopes"], "properties": {
        "id": {"type": "string", "example": "tok_1a2b3c4d5e6f"}, "name": {"type": ["string", "null"]},
        "prefix": {"type": "string", "description": "The secret's first characters, to tell tokens apart"},
        "scopes": {"type": "array", "items": {"type": "string", "enum": ["read", "submit"]}},
        "created_at": {"type": "string", "format": "date-time"},
        "expires_at": {"type": ["string", "null"], "format": "date-time"},
        "last_used_at": {"type": ["string", "null"], "format": "date-time"},
        "token": {"type": "string", "description": "The secret: only in the answer that made it"}}},
    "NewToken": {"type": "object", "required": ["name"], "properties": {
        "name": {"type": "string", "maxLength": 100, "example": "Laptop cpd"},
        "scopes": {"type": "array", "items": {"type": "string", "enum": ["read", "submit"]},
                   "description": "Default both; never more than the calling token's own"},
        "expires": {"type": ["string", "null"], "example": "2027-12-31",
                    "description": "A date (the token ends at that day's end, UTC) or a date and time"}}},
}


def paths(errors) -> dict:
    """The paths, with ``errors(*codes)`` giving the shared error responses."""
    return {
        "/api/v1/tokens": {
            "post": {"summary": "Make a personal access token for a program: the secret is in this answer only",
                     "security": SEC, "requestBody": {"required": True, "content": {"application/json": {
                         "schema": {"$ref": "#/components/schemas/NewToken"}}}},
                     "responses": {"201": _json("Token", "The token, with its secret"), **errors(400, 401, 403)}},
            "get": {"summary": "The member's tokens that still work, with their last use", "security": SEC,
                    "responses": {"200": _json(_list("tokens", "Token"), "The tokens"), **errors(401)}}},
        "/api/v1/tokens/{token_id}": {"delete": {
            "summary": "Revoke a token now (the sessions made from it end too)", "security": SEC,
            "parameters": [_id("token_id")],
            "responses": {"204": {"description": "Revoked"}, **errors(401, 403, 404)}}},
    }
