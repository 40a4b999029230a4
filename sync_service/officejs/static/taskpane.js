// The CPD task pane: Check reads the Record and Plan sheets and asks the service for the
// readiness review (the same function as CPD.CRITERIA); Submit sends the workbook file itself to
// the service with the member's token, and both write into the Record sheet's Submission area.
// Sign in gets the pane a token of its own: the service shows a code the member approves in the
// browser where they are signed in (the device flow, RFC 8628); a token can be pasted instead.

// The Submission area (addin/workbook/layout.py SUBMISSION_AREA; a test keeps them the same).
const SUBMISSION = { last_check: "I3", submission_id: "I4", submission_status: "I5", submitted_at: "I6", receipt: "I7" };
const RETRY_BUDGET = 120;                  // seconds, in all, Submit waits for a service that answers 503

function inExcel() {
  return typeof Excel !== "undefined" && typeof Excel.run === "function";
}

async function sheetValues(context, name) {
  const sheet = context.workbook.worksheets.getItemOrNullObject(name);
  const used = sheet.getUsedRangeOrNullObject(true);
  used.load("values, rowIndex");
  await context.sync();
  if (sheet.isNullObject || used.isNullObject) return { values: [], firstRow: 1 };
  return { values: used.values, firstRow: used.rowIndex + 1 };
}

async function readRecord() {
  return Excel.run(async (context) => {
    const record = await sheetValues(context, "Record");
    const plan = await sheetValues(context, "Plan");
    return { record, plan };
  });
}

function show(text) {
  document.getElementById("status").textContent = text;
}

function renderCriteria(rows) {
  const table = document.getElementById("criteria");
  table.textContent = "";
  if (!Array.isArray(rows)) {
    show(String(rows));
    return;
  }
  rows.forEach((row, i) => {
    const tr = document.createElement(i === 0 ? "thead" : "tr");
    const line = i === 0 ? document.createElement("tr") : tr;
    row.forEach((cell) => {
      const td = document.createElement(i === 0 ? "th" : "td");
      td.textContent = cell;
      if (i > 0 && ["PASS", "WARN", "FAIL"].includes(cell)) td.className = cell;
      line.appendChild(td);
    });
    if (i === 0) tr.appendChild(line);
    table.appendChild(tr);
  });
}

async function writeCells(cells) {
  await Excel.run(async (context) => {
    const sheet = context.workbook.worksheets.getItem("Record");
    for (const [address, value] of Object.entries(cells)) {
      sheet.getRange(address).values = [[value]];
    }
    await context.sync();
  });
}

async function check() {
  if (!inExcel()) {
    show("Open this pane from the CPD tracker add-in in Excel.");
    return;
  }
  show("Checking...");
  const { record, plan } = await readRecord();
  const args = [record.values, record.values, plan.values.length ? plan.values : null, null, record.firstRow];
  const verdict = await callCpd("READINESS", args);
  const criteria = await callCpd("CRITERIA", args);
  const text = Array.isArray(verdict) ? `${verdict[0][0]} (${verdict[0][1]}/100)` : String(verdict);
  document.getElementById("verdict").textContent = Array.isArray(verdict)
    ? `${verdict[0][0]} (score ${verdict[0][1]}/100)` : String(verdict);
  renderCriteria(criteria);
  const when = new Date().toLocaleString("en-GB", { dateStyle: "medium", timeStyle: "short" });
  await writeCells({ [SUBMISSION.last_check]: `${text} at ${when}` });
  show("Checked " + new Date().toLocaleTimeString());
}

function workbookBytes() {
  // The saved workbook as .xlsx bytes, read in slices (Office.js getFileAsync).
  return new Promise((resolve, reject) => {
    Office.context.document.getFileAsync(Office.FileType.Compressed, { sliceSize: 4194304 }, (result) => {
      if (result.status !== Office.AsyncResultStatus.Succeeded) {
        reject(new Error(result.error ? result.error.message : "cannot read the workbook"));
        return;
      }
      const file = result.value;
      const parts = [];
      const next = (i) => file.getSliceAsync(i, (slice) => {
        if (slice.status !== Office.AsyncResultStatus.Succeeded) {
          file.closeAsync();
          reject(new Error("cannot read the workbook"));
          return;
        }
        parts.push(Uint8Array.from(slice.value.data));
        if (parts.length < file.sliceCount) {
          next(i + 1);
          return;
        }
        file.closeAsync();
        const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
        let at = 0;
        parts.forEach((p) => { bytes.set(p, at); at += p.length; });
        resolve(bytes);
      });
      next(0);
    });
  });
}

async function sha256Hex(bytes) {
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

const DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";

async function postForm(path, fields) {
  const response = await fetch(cpdServiceUrl() + path, {
    method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" },
    body: new URLSearchParams(fields).toString(),
  });
  return { status: response.status, body: await response.json().catch(() => ({})) };
}

async function signIn() {
  const started = await postForm("/oauth/device", { client_id: "cpd-excel", scope: "read submit" });
  if (started.status !== 200 || !started.body.user_code) {
    show("The CPD service could not start a sign-in (" + (started.body.error || started.status) + ").");
    return;
  }
  const link = document.getElementById("device-link");
  link.href = started.body.verification_uri_complete;
  link.textContent = started.body.verification_uri;
  document.getElementById("device-code").textContent = started.body.user_code;
  document.getElementById("device").hidden = false;
  show("Waiting for you to approve the code in your browser...");
  let interval = Number(started.body.interval) || 5;
  const deadline = Date.now() + Number(started.body.expires_in || 600) * 1000;
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, interval * 1000));
    const polled = await postForm("/oauth/token", {
      grant_type: DEVICE_GRANT, device_code: started.body.device_code, client_id: "cpd-excel",
    });
    if (polled.status === 200 && polled.body.access_token) {
      localStorage.setItem("cpdToken", polled.body.access_token);
      document.getElementById("device").hidden = true;
      show("Signed in: the pane has a token of its own (listed, and revocable, on your settings page).");
      return;
    }
    if (polled.body.error === "slow_down") interval += 5;
    else if (polled.body.error !== "authorization_pending") {
      document.getElementById("device").hidden = true;
      show(polled.body.error === "access_denied" ? "The sign-in was denied." : "The code expired: sign in again.");
      return;
    }
  }
  show("The code expired: sign in again.");
}

async function submit() {
  const token = document.getElementById("token").value || localStorage.getItem("cpdToken") || "";
  if (!token) {
    show("Sign in first (or paste a token from your settings page on the service).");
    return;
  }
  localStorage.setItem("cpdToken", token);
  if (!inExcel() || typeof Office === "undefined" || !Office.context) {
    show("Open this pane from the CPD tracker add-in in Excel.");
    return;
  }
  show("Submitting...");
  const bytes = await workbookBytes();
  const key = await sha256Hex(bytes);
  let response;
  let waited = 0;
  for (;;) {
    try {
      response = await fetch(cpdServiceUrl() + "/api/v1/submissions", {
        method: "POST",
        headers: {
          "Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
          Authorization: "Bearer " + token,
          "Idempotency-Key": key,
        },
        body: bytes,
      });
    } catch (err) {
      show("Cannot reach the CPD service: " + err.message + "; nothing was submitted.");
      return;
    }
    // Unavailable for a moment (its database away): wait as it asks, then send again (the same
    // Idempotency-Key: one submission however many tries).
    if (response.status !== 503 || waited >= RETRY_BUDGET) break;
    const wait = Math.min(Math.max(Number(response.headers.get("Retry-After")) || 5, 1), 30, RETRY_BUDGET - waited);
    show(`The CPD service is unavailable for a moment; trying again in ${Math.round(wait)} s...`);
    await new Promise((resolve) => setTimeout(resolve, wait * 1000));
    waited += wait;
  }
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const e = body.error || {};
    show((e.sheet && e.cell ? `${e.sheet}!${e.cell}: ` : "") + (e.message || `The service answered ${response.status}.`));
    return;
  }
  await writeCells({
    [SUBMISSION.submission_id]: body.id,
    [SUBMISSION.submission_status]: body.status,
    [SUBMISSION.submitted_at]: body.received_at,
    [SUBMISSION.receipt]: body.receipt_id || "(awaiting the institution's receipt)",
  });
  show(`Submitted: ${body.id} (${body.status})`);
}

function columnLetters(n) {
  let s = "";
  for (; n > 0; n = Math.floor((n - 1) / 26)) s = String.fromCharCode(65 + ((n - 1) % 26)) + s;
  return s;
}

// Bring in new activities: those added from a phone to this workbook's record on the service. The service
// reads the Record sheet's ranges (as Check sends them) and lays the waiting ones out in this sheet's own
// columns; they are written under the activity table in one range, then taken from the service's inbox.
async function bringIn() {
  const token = document.getElementById("token").value || localStorage.getItem("cpdToken") || "";
  if (!token) {
    show("Sign in first (or paste a token from your settings page on the service).");
    return;
  }
  if (!inExcel()) {
    show("Open this pane from the CPD tracker add-in in Excel.");
    return;
  }
  const { record } = await readRecord();
  const rows = record.values;
  const at = (n) => rows[n - record.firstRow] || [];
  const header = [3, 4, 5, 6, 7].map((n) => at(n).slice(0, 6));
  const table = [];
  for (let n = 9; n < record.firstRow + rows.length; n++) table.push(at(n));
  const auth = { Authorization: "Bearer " + token };
  const response = await fetch(cpdServiceUrl() + "/api/v1/inbox/rows", {
    method: "POST", headers: { ...auth, "Content-Type": "application/json" },
    body: JSON.stringify({ record: header, activities: table }),
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const e = body.error || {};
    show((e.sheet && e.cell ? `${e.sheet}!${e.cell}: ` : "") + (e.message || `The service answered ${response.status}.`));
    return;
  }
  if (!body.record) {
    show("Your CPD service has no record for this workbook's profile and period yet: Submit it once first.");
    return;
  }
  const epoch = Date.UTC(1899, 11, 30);
  const values = body.rows.map((row) => row.map((v) => (v && v.$date ? (Date.parse(v.$date + "T00:00:00Z") - epoch) / 86400000 : v)));
  if (values.length) {
    const last = body.first_row + values.length - 1;
    const address = `A${body.first_row}:${columnLetters(values[0].length)}${last}`;
    await Excel.run(async (context) => {
      context.workbook.worksheets.getItem("Record").getRange(address).values = values;
      await context.sync();
    });
  }
  for (const [i, id] of body.items.entries()) {
    const row = i < values.length ? `?row=${body.first_row + i}` : "";
    await fetch(`${cpdServiceUrl()}/api/v1/records/${encodeURIComponent(body.record)}/inbox/${encodeURIComponent(id)}${row}`,
      { method: "DELETE", headers: auth });
  }
  show(values.length ? `Brought in ${values.length} ${values.length === 1 ? "activity" : "activities"} from your phone (row ${body.first_row}${values.length > 1 ? " on" : ""}).`
    : "Nothing new to bring in.");
}

document.getElementById("check").addEventListener("click", () => check().catch((e) => show(e.message)));
document.getElementById("bring-in").addEventListener("click", () => bringIn().catch((e) => show(e.message)));
document.getElementById("submit").addEventListener("click", () => submit().catch((e) => show(e.message)));
document.getElementById("sign-in").addEventListener("click", () => signIn().catch((e) => show(e.message)));
if (typeof Office !== "undefined" && Office.onReady) Office.onReady(() => show("Ready."));
