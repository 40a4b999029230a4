"""The OpenAPI description of the member's tokens and the device flow that gives a program one (merged into
``openapi.SPEC``)."""
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
    "OAuthError": {"type": "object", "required": ["error"], "properties": {
        "error": {"type": "string", "enum": ["invalid_client", "invalid_scope", "authorization_pending", "slow_down",
                                             "access_denied", "expired_token", "invalid_grant",
                                             "unsupported_grant_type"]},
        "error_description": {"type": "string"}}},
}
FORM = "application/x-www-form-urlencoded"
OAUTH_ERROR = {"description": "OAuth's error (RFC 6749 5.2): authorization_pending and slow_down mean poll again",
               "content": {"application/json": {"schema": {"$ref": "#/components/schemas/OAuthError"}}}}


def paths(errors) -> dict:
    """The paths, with ``errors(*codes)`` giving the shared error responses."""
    return {
        "/oauth/device": {"post": {
            "summary": "A program asks for a token (RFC 8628): a code pair to show the member, who approves it at "
                       "verification_uri where they are signed in",
            "requestBody": {"required": True, "content": {FORM: {"schema": {
                "type": "object", "required": ["client_id"], "properties": {
                    "client_id": {"type": "string", "enum": ["cpd-cli", "cpd-excel", "cpd-sheets"]},
                    "scope": {"type": "string", "example": "read submit"}}}}}},
            "responses": {"200": _json({"type": "object", "required": ["device_code", "user_code"], "properties": {
                "device_code": {"type": "string"}, "user_code": {"type": "string", "example": "WDJB-MJHT"},
                "verification_uri": {"type": "string"}, "verification_uri_complete": {"type": "string"},
                "expires_in": {"type": "integer"}, "interval": {"type": "integer"}}}, "The code pair"),
                "400": OAUTH_ERROR, "401": OAUTH_ERROR, **errors(429)}}},
        "/oauth/token": {"post": {
            "summary": "The program polls for its token, every interval seconds, until the member decides",
            "requestBody": {"required": True, "content": {FORM: {"schema": {
                "type": "object", "required": ["grant_type", "device_code", "client_id"], "properties": {
                    "grant_type": {"type": "string", "enum": ["urn:ietf:params:oauth:grant-type:device_code"]},
                    "device_code": {"type": "string"}, "client_id": {"type": "string"}}}}}},
            "responses": {"200": _json({"type": "object", "required": ["access_token"], "properties": {
                "access_token": {"type": "string"}, "token_type": {"type": "string", "enum": ["Bearer"]},
                "scope": {"type": "string"}}}, "Approved: the new token (a personal access token named for the "
                                               "program)"), "400": OAUTH_ERROR}}},
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
