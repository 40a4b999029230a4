// The CPD task pane: Check reads the Record and Plan sheets and asks the service for the
// readiness review (the same function as CPD.CRITERIA); Submit sends the record to the service
// with the member's token and writes the receipt into the Record sheet's Submission area.

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
  document.getElementById("verdict").textContent = Array.isArray(verdict)
    ? `${verdict[0][0]} (score ${verdict[0][1]}/100)` : String(verdict);
  renderCriteria(criteria);
  show("Checked " + new Date().toLocaleTimeString());
}

async function submit() {
  const token = document.getElementById("token").value || localStorage.getItem("cpdToken") || "";
  if (!token) {
    show("Enter your CPD service token first (from your page on the service).");
    return;
  }
  localStorage.setItem("cpdToken", token);
  if (!inExcel()) {
    show("Open this pane from the CPD tracker add-in in Excel.");
    return;
  }
  show("Submitting...");
  const { record, plan } = await readRecord();
  try {
    const response = await fetch(cpdServiceUrl() + "/api/v1/submissions", {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: "Bearer " + token },
      body: JSON.stringify({ record: record.values, plan: plan.values }),
    });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      show((body.error && body.error.message) || `The service answered ${response.status}.`);
      return;
    }
    show(`Submitted: ${body.id} (${body.status})`);
  } catch (err) {
    show("Cannot reach the CPD service: " + err.message);
  }
}

document.getElementById("check").addEventListener("click", () => check().catch((e) => show(e.message)));
document.getElementById("submit").addEventListener("click", () => submit().catch((e) => show(e.message)));
if (typeof Office !== "undefined" && Office.onReady) Office.onReady(() => show("Ready."));
