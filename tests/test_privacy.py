"""A full run with seeded personal data leaves none of it in the logs."""
from __future__ import annotations

import io
import logging

import openpyxl

from sync_service import signing
from sync_service.jobs.delivery import Endpoint, run_once
from fault_endpoint import FaultEndpoint
from workbook_templates import example_path

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SEEDED = {"name": "Zephyrine Quattlebaum", "number": "MN-8842-QX", "title": "Confidential reactor audit",
          "reflection": "Learnt the secret fission shortcut and applied it to Plant Omega"}


def seeded_workbook() -> bytes:
    wb = openpyxl.load_workbook(example_path("iet"))
    ws = wb["Record"]
    ws["B3"], ws["B4"] = SEEDED["name"], SEEDED["number"]
    ws["C10"], ws["E10"] = SEEDED["title"], SEEDED["reflection"]
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_no_personal_data_in_the_logs(service, caplog):
    caplog.set_level(logging.DEBUG)
    token = service.config["TOKENS"]["a"]
    client = service.test_client()
    data = seeded_workbook()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": XLSX,
               "Content-Disposition": 'attachment; filename="Zephyrine-CPD-2025.xlsx"'}
    created = client.post("/api/v1/submissions", data=data, headers=headers)
    assert created.status_code == 201
    client.post("/api/v1/submissions", data=b"not a workbook", headers=headers)             # a refusal too
    client.get(f"/api/v1/submissions/{created.get_json()['id']}", headers={"Authorization": f"Bearer {token}"})
    ep = FaultEndpoint([("status", 200, {}, {"receipt_id": "R-1"})])
    try:
        assert run_once(service.extensions["cpd_sessions"], Endpoint(ep.url, (signing.new_secret(),))) == "delivered"
    finally:
        ep.close()
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert '"route":"/api/v1/submissions"' in text and '"status":201' in text and '"event":"delivery"' in text
    for secret in (*SEEDED.values(), token, "Zephyrine", "a@example.org", "Alex Morgan"):
        assert secret not in text, secret
