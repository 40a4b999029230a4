"""The OpenAPI description of records, mentors and annotations (merged into ``openapi.SPEC``)."""
from __future__ import annotations

from addin import XLSX_CONTENT_TYPE

from ..store.mentoring import GrantState


def _json(schema: dict | str, description: str) -> dict:
    if isinstance(schema, str):
        schema = {"$ref": f"#/components/schemas/{schema}"}
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _list(key: str, item: str) -> dict:
    return {"type": "object", "properties": {key: {"type": "array", "items": {"$ref": f"#/components/schemas/{item}"}}}}


def _id(name: str) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}


SEC: list[dict[str, list[str]]] = [{"token": []}]
REC = _id("record_id")
PERIOD = {"type": "object", "properties": {"start": {"type": "string", "format": "date"},
                                           "end": {"type": "string", "format": "date"}}}
SCHEMAS = {
    "Record": {"type": "object", "required": ["id", "profile", "period"], "properties": {
        "id": {"type": "string", "example": "rec_AbCdEf123"}, "profile": {"type": "string"}, "period": PERIOD,
        "source": {"type": "string", "enum": ["upload", "sheet"]},
        "version": {"type": ["integer", "null"], "description": "The newest version's number"},
        "verdict": {"type": ["string", "null"]}, "score": {"type": ["integer", "null"]},
        "updated_at": {"type": "string", "format": "date-time"},
        "readiness": {"type": "object", "description": "On create and check: the readiness, as cpd check --json"}}},
    "RecordDetail": {"allOf": [{"$ref": "#/components/schemas/Record"}, {"type": "object", "properties": {
        "role": {"type": "string", "enum": ["owner", "mentor"]},
        "owner": {"type": ["string", "null"], "description": "To a mentor: the member's name"},
        "member": {"type": "object"}, "objectives": {"type": "array", "items": {"type": "object"}},
        "activities": {"type": "array", "items": {"type": "object"},
                       "description": "Each with its sheet row (row), which annotations name"},
        "drafts": {"type": "array", "items": {"type": "object"},
                   "description": "Activities marked Draft (not yet confirmed): shown, counted for nothing"},
        "annotations": {"type": "array", "items": {"$ref": "#/components/schemas/Annotation"}},
        "sheet_error": {"type": ["string", "null"],
                        "description": "To the owner: why annotations could not be written into the linked sheet"}}}]},
    "Evidence": {"type": "object", "required": ["id", "activity_row", "sha256"], "properties": {
        "id": {"type": "string", "example": "ev_AbCdEf123"}, "activity_row": {"type": "integer"},
        "filename": {"type": "string"}, "kind": {"type": "string", "enum": ["pdf", "png", "jpeg", "heic"]},
        "size": {"type": "integer"}, "sha256": {"type": "string"},
        "added_at": {"type": "string", "format": "date-time"}}},
    "InboxItem": {"type": "object", "required": ["id", "cells"], "properties": {
        "id": {"type": "string", "example": "in_AbCdEf123"}, "cells": {"type": "object"},
        "evidence": {"type": ["object", "null"]}}},
    "Grant": {"type": "object", "required": ["id", "email", "state"], "properties": {
        "id": {"type": "string", "example": "gr_AbCdEf123"}, "email": {"type": "string"},
        "record": {"type": ["string", "null"]}, "scope": {"type": "string", "enum": ["record", "all_records"]},
        "state": {"type": "string", "enum": [s.value for s in GrantState],
                  "description": "active at once for an address whose account is proven; else invited, until the "
                                 "invitation mailed to that address (and only there) is accepted"},
        "created_at": {"type": "string", "format": "date-time"},
        "expires_at": {"type": ["string", "null"], "format": "date-time"},
        "revoked_at": {"type": ["string", "null"], "format": "date-time"},
        "notified": {"type": "boolean", "description": "Whether an e-mail to the mentor was queued (mail is set up)"}}},
    "Annotation": {"type": "object", "required": ["id"], "properties": {
        "id": {"type": "string", "example": "an_AbCdEf123"}, "activity_row": {"type": ["integer", "null"]},
        "objective": {"type": ["string", "null"]}, "comment": {"type": ["string", "null"], "maxLength": 4000},
        "verified": {"type": "boolean"}, "author": {"type": "string"},
        "created_at": {"type": "string", "format": "date-time"},
        "reply_to": {"type": ["string", "null"],
                     "description": "A reply of the record's owner: the id of the mentor's comment it answers"},
        "notified": {"type": "boolean", "description": "Whether an e-mail to the member was queued"},
        "sheet": {"type": "object", "properties": {"queued": {"type": "boolean"}},
                  "description": "For a record kept in a linked sheet: a write of its annotations into the "
                                 "sheet is queued (the record's sheet_error says if it could not be written)"}}},
    "NewAnnotation": {"type": "object", "properties": {
        "activity_row": {"type": ["integer", "null"]}, "objective": {"type": ["string", "null"]},
        "comment": {"type": ["string", "null"], "maxLength": 4000}, "verified": {"type": "boolean"}},
        "description": "Against an activity (its row), an objective (its ref), or neither: the whole record. "
                       "Only an activity can be verified."},
    "NewGrant": {"type": "object", "required": ["email"], "properties": {
        "email": {"type": "string", "format": "email"},
        "expires": {"type": "string", "description": "A date (the grant ends at its end, UTC) or date-time"}}},
}


def paths(errors) -> dict:
    """The paths, with ``errors(*codes)`` giving the shared error responses."""
    grant_body = {"required": True,
                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/NewGrant"}}}}
    return {
        "/api/v1/records": {
            "post": {"summary": "Keep a record: a new one, or a new version of the member's record for the same "
                                "period and profile (the workbook as the body, or JSON {\"sheet\": address})",
                     "security": SEC, "requestBody": {"required": True, "content": {
                         XLSX_CONTENT_TYPE: {"schema": {"type": "string", "format": "binary"}},
                         "application/json": {"schema": {"type": "object", "required": ["sheet"],
                                                         "properties": {"sheet": {"type": "string"}}}}}},
                     "responses": {"201": _json("Record", "A new record or version, with its readiness"),
                                   "200": _json("Record", "The same as the newest version: nothing added"),
                                   "202": {"description": "A sheet not linked yet: its link's code (as POST "
                                           "/api/v1/sheets answers), to type into the sheet and confirm first",
                                           "content": {"application/json": {"schema": {
                                               "$ref": "#/components/schemas/LinkedSheet"}}}},
                                   **errors(400, 401, 403, 409, 413, 422, 429, 503)}},
            "get": {"summary": "The member's records", "security": SEC,
                    "responses": {"200": _json(_list("records", "Record"), "The records"), **errors(401)}}},
        "/api/v1/records/{record_id}": {"get": {
            "summary": "A record (the owner's, or one granted to the caller as mentor): its newest version, "
                       "readiness and annotations", "security": SEC, "parameters": [REC],
            "responses": {"200": _json("RecordDetail", "The record"), **errors(401, 404)}}},
        "/api/v1/records/{record_id}/check": {"post": {
            "summary": "Check the record now (a linked sheet is pulled again); nothing is sent",
            "security": SEC, "parameters": [REC],
            "responses": {"200": _json("Record", "The record with its readiness now"),
                          **errors(401, 404, 409, 422, 503)}}},
        "/api/v1/records/{record_id}/submit": {"post": {
            "summary": "Submit the record's newest version, with its mentors' verifications (owner only)",
            "security": SEC, "parameters": [REC],
            "responses": {"201": _json("Receipt", "Accepted and queued for delivery"),
                          "200": _json("Receipt", "The same version and annotations as before: that submission"),
                          **errors(401, 403, 404, 409, 422, 429)}}},
        "/api/v1/records/{record_id}/workbook": {"get": {
            "summary": "The record as a workbook, with mentors' comments as cell comments and verifications "
                       "in the Verified by / Verified on columns", "security": SEC, "parameters": [REC],
            "responses": {"200": {"description": "The workbook", "content": {XLSX_CONTENT_TYPE: {
                "schema": {"type": "string", "format": "binary"}}}}, **errors(401, 404, 409)}}},
        "/api/v1/records/{record_id}/mentors": {
            "post": {"summary": "Grant a mentor this record, by e-mail (owner only)", "security": SEC,
                     "parameters": [REC], "requestBody": grant_body,
                     "responses": {"201": _json("Grant", "Granted (or invited)"),
                                   "200": _json("Grant", "A live grant to that address already"),
                                   **errors(400, 401, 403, 404)}},
            "get": {"summary": "The grants that cover this record (owner only)", "security": SEC,
                    "parameters": [REC], "responses": {"200": _json(_list("mentors", "Grant"), "The grants"),
                                                       **errors(401, 403, 404)}}},
        "/api/v1/records/{record_id}/mentors/{grant_id}": {"delete": {
            "summary": "Revoke a grant of this record (owner only)", "security": SEC,
            "parameters": [REC, _id("grant_id")],
            "responses": {"204": {"description": "Revoked"}, **errors(401, 403, 404)}}},
        "/api/v1/mentors": {
            "post": {"summary": "Grant a mentor all the member's records, by e-mail", "security": SEC,
                     "requestBody": grant_body,
                     "responses": {"201": _json("Grant", "Granted (or invited)"),
                                   "200": _json("Grant", "A live grant to that address already"),
                                   **errors(400, 401, 403)}},
            "get": {"summary": "Every grant the member made", "security": SEC,
                    "responses": {"200": _json(_list("mentors", "Grant"), "The grants"), **errors(401)}}},
        "/api/v1/mentors/{grant_id}": {"delete": {
            "summary": "Revoke a grant", "security": SEC, "parameters": [_id("grant_id")],
            "responses": {"204": {"description": "Revoked"}, **errors(401, 404)}}},
        "/api/v1/mentees": {"get": {
            "summary": "The caller's mentees and the records their live grants cover", "security": SEC,
            "responses": {"200": _json({"type": "object", "properties": {"mentees": {"type": "array", "items": {
                "type": "object", "properties": {"name": {"type": "string"}, "records": {
                    "type": "array", "items": {"$ref": "#/components/schemas/Record"}}}}}}}, "The mentees"),
                **errors(401)}}},
        "/api/v1/me": {"get": {
            "summary": "Who the token is for, and its scopes (cpd login checks a token with it)", "security": SEC,
            "responses": {"200": _json({"type": "object", "properties": {
                "member": {"type": "string"}, "name": {"type": "string"},
                "scopes": {"type": "array", "items": {"type": "string"}}}}, "The token's member"),
                **errors(401, 403)}}},
        "/api/v1/stats": {"get": {
            "summary": "The institution's group view (admins): aggregates by period, small groups suppressed",
            "security": SEC,
            "parameters": [{"name": n, "in": "query", "required": False, "schema": {"type": "string"},
                            "description": d} for n, d in (("period", "the year the periods end in, e.g. 2025"),
                                                           ("profile", "a profile id, e.g. iet"),
                                                           ("grade", "a grade as members write it"))],
            "responses": {"200": _json({"type": "object", "properties": {
                "filters": {"type": "object"}, "min_group": {"type": "integer"},
                "periods": {"type": "array", "items": {"type": "object"}}}}, "The group view"),
                **errors(400, 401, 403)}}},
        "/api/v1/audit": {"get": {
            "summary": "The member's audit trail: grants, invitations, revocations, mentors' access and annotations",
            "security": SEC, "responses": {"200": _json({"type": "object", "properties": {"events": {
                "type": "array", "items": {"type": "object"}}}}, "Newest first"), **errors(401)}}},
        "/api/v1/records/{record_id}/annotations": {
            "get": {"summary": "The record's annotations", "security": SEC, "parameters": [REC],
                    "responses": {"200": _json(_list("annotations", "Annotation"), "The annotations"),
                                  **errors(401, 404)}},
            "post": {"summary": "Annotate a record granted to you: comment, verify, or both", "security": SEC,
                     "parameters": [REC], "requestBody": {"required": True, "content": {"application/json": {
                         "schema": {"$ref": "#/components/schemas/NewAnnotation"}}}},
                     "responses": {"201": _json("Annotation",
                                                "Stored; a write into a linked sheet queued (sheet.queued)"),
                                   **errors(400, 401, 403, 404, 422)}}},
        "/api/v1/records/{record_id}/annotations/{annotation_id}": {"delete": {
            "summary": "Remove your own annotation (and so your verification)", "security": SEC,
            "parameters": [REC, _id("annotation_id")],
            "responses": {"204": {"description": "Removed"}, **errors(401, 404)}}},
        "/api/v1/records/{record_id}/evidence": {
            "get": {"summary": "The record's evidence files (owner and live mentors)", "security": SEC,
                    "parameters": [REC], "responses": {"200": _json(_list("evidence", "Evidence"), "The files"),
                                                      **errors(401, 404)}},
            "post": {"summary": "Keep a file (PDF, PNG, JPEG or HEIC, from its bytes) as an activity's evidence "
                                "(the owner)", "security": SEC,
                     "parameters": [REC, {"name": "row", "in": "query", "required": True,
                                          "schema": {"type": "integer"}, "description": "The activity's sheet row"},
                                    {"name": "filename", "in": "query", "schema": {"type": "string"}}],
                     "requestBody": {"required": True, "content": {"application/octet-stream": {
                         "schema": {"type": "string", "format": "binary"}}}},
                     "responses": {"201": _json("Evidence", "Kept"), "200": _json("Evidence", "Kept already"),
                                   **errors(400, 401, 403, 404, 413, 503)}}},
        "/api/v1/records/{record_id}/inbox": {
            "get": {"summary": "Activities added from a phone, waiting for cpd pull (the owner)", "security": SEC,
                    "parameters": [REC], "responses": {"200": _json({"type": "object", "properties": {
                        "items": {"type": "array", "items": {"$ref": "#/components/schemas/InboxItem"}}}},
                        "Oldest first"), **errors(401, 403, 404)}},
            "post": {"summary": "Add an activity (the phone page's form as JSON): into a linked sheet at once, "
                                "else into the inbox", "security": SEC, "parameters": [REC],
                     "requestBody": {"required": True, "content": {"application/json": {"schema": {
                         "type": "object", "description": "start_date (YYYY-MM-DD), end_date, title, provider, "
                         "location, instructor, hours, category, topics, reflection, further_action, status "
                         "(Draft or Confirmed)"}}}},
                     "responses": {"201": _json({"type": "object"}, "{where: sheet, row} or {where: inbox, ...}"),
                                   **errors(400, 401, 403, 404, 422, 503)}}},
        "/api/v1/inbox/rows": {"post": {
            "summary": "The Sheets menu's Bring in: the sheet's ranges in, its record's waiting activities laid out "
                       "in its columns out", "security": SEC,
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "properties": {"record": {"type": "array"}, "activities": {"type": "array"}}}}}},
            "responses": {"200": _json({"type": "object", "properties": {
                "record": {"type": ["string", "null"]}, "first_row": {"type": ["integer", "null"]},
                "rows": {"type": "array"}, "items": {"type": "array", "items": {"type": "string"}}}},
                "What to write, and the items it holds"), **errors(400, 401, 422)}}},
        "/api/v1/records/{record_id}/inbox/{item_id}/certificate": {"get": {
            "summary": "The certificate an inbox item came with", "security": SEC,
            "parameters": [REC, _id("item_id")], "responses": {"200": {"description": "The file"},
                                                               **errors(401, 403, 404, 503)}}},
        "/api/v1/records/{record_id}/inbox/{item_id}": {"delete": {
            "summary": "Take an item out of the inbox (written into the workbook)", "security": SEC,
            "parameters": [REC, _id("item_id"), {"name": "row", "in": "query", "schema": {"type": "integer"},
                                                 "description": "The sheet row it was written to (Sheets menu)"}],
            "responses": {"204": {"description": "Taken"}, **errors(401, 403, 404)}}},
        "/api/v1/records/{record_id}/evidence/{evidence_id}": {
            "get": {"summary": "An evidence file, as a download (a mentor's is in the owner's audit trail)",
                    "security": SEC, "parameters": [REC, _id("evidence_id")],
                    "responses": {"200": {"description": "The file as it was added",
                                          "content": {"application/pdf": {}, "image/png": {}, "image/jpeg": {},
                                                      "image/heic": {}}}, **errors(401, 404, 503)}},
            "delete": {"summary": "Take an evidence file off its activity (the owner)", "security": SEC,
                       "parameters": [REC, _id("evidence_id")],
                       "responses": {"204": {"description": "Removed"}, **errors(401, 403, 404)}}},
    }
