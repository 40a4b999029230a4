/**
 * The CPD menu in Google Sheets: Check readiness, Submit, Set up.
 *
 * Check sends the record's ranges to the CPD service's function endpoint and shows every
 * review criterion in a sidebar. Submit exports this spreadsheet as .xlsx (Drive export, with
 * the script's own OAuth token) and posts it to the service with the SHA-256 of the bytes as
 * the Idempotency-Key, so a double click is one submission; the receipt goes into the sheet's
 * Submission area. Set up asks the service for a code the member approves in the browser, where
 * they are signed in (the device flow: the script receives a token of its own, named for Google
 * Sheets and revocable on the member's settings page), or takes a token pasted instead; the
 * service's address and the token are kept in the user's own script properties, never in the sheet.
 */

var CPD_URL_PROPERTY = 'CPD_SERVICE_URL';
var CPD_TOKEN_PROPERTY = 'CPD_TOKEN';
var CPD_XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
var CPD_RETRY_BUDGET = 120;          // seconds, in all, a request waits for a service that answers 503
var CPD_CLIENT_ID = 'cpd-sheets';    // how the service names this program's tokens
var CPD_DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
var CPD_APPROVAL_WAIT = 120;         // seconds Set up waits for the code to be approved, after OK
var CPD_SUBMISSION_LABELS = {
  last_check: 'Last check:', submission_id: 'Submission id:', submission_status: 'Submission status:',
  submitted_at: 'Submitted at:', receipt: 'Receipt:'
};

function onOpen() {
  SpreadsheetApp.getUi().createMenu('CPD')
    .addItem('Check readiness', 'cpdCheck')
    .addItem('Submit', 'cpdSubmit')
    .addItem('Bring in new activities', 'cpdBringIn')
    .addSeparator()
    .addItem('Set up', 'cpdSetUp')
    .addToUi();
}

function cpdSetUp() {
  var ui = SpreadsheetApp.getUi();
  var url = ui.prompt('CPD service', 'Your CPD service\'s address (https://...)', ui.ButtonSet.OK_CANCEL);
  if (url.getSelectedButton() !== ui.Button.OK) return;
  var address = String(url.getResponseText()).trim().replace(/\/+$/, '');
  if (!/^https:\/\//.test(address) && !/^http:\/\/(127\.0\.0\.1|localhost)(:\d+)?$/.test(address)) {
    ui.alert('The address must start with https://');
    return;
  }
  var started = cpdFetchJson_(address + '/oauth/device', {
    method: 'post', payload: {client_id: CPD_CLIENT_ID, scope: 'read submit'}
  });
  if (started.code !== 200 || !started.body.user_code) {
    ui.alert('That address answers, but not as a CPD service (or it cannot be reached). Check it and set up again.');
    return;
  }
  var answer = ui.prompt('CPD service', 'Open ' + started.body.verification_uri_complete + ' in your browser, ' +
    'where you are signed in to the CPD service, check that it shows the code ' + started.body.user_code +
    ' and approve it. Then press OK.\n\n(Or paste a token made on your settings page here.)',
    ui.ButtonSet.OK_CANCEL);
  if (answer.getSelectedButton() !== ui.Button.OK) return;
  var token = String(answer.getResponseText()).trim() || cpdAwaitToken_(address, started.body);
  if (!token) {
    ui.alert('The code was not approved (or was denied) in time. Use CPD > Set up to start again.');
    return;
  }
  var props = PropertiesService.getUserProperties();
  props.setProperty(CPD_URL_PROPERTY, address);
  props.setProperty(CPD_TOKEN_PROPERTY, token);
  ui.alert('Saved for you only (not in the sheet). Use CPD > Check readiness or CPD > Submit.');
}

/** Poll the service for the token once the member has approved the code; null if denied or too late. */
function cpdAwaitToken_(address, started) {
  var interval = Number(started.interval) || 5;
  var waited = 0;
  for (;;) {
    var res = cpdFetchJson_(address + '/oauth/token', {
      method: 'post', payload: {grant_type: CPD_DEVICE_GRANT, device_code: started.device_code, client_id: CPD_CLIENT_ID}
    });
    if (res.code === 200 && res.body.access_token) return String(res.body.access_token);
    if (res.body.error === 'slow_down') interval += 5;
    else if (res.body.error !== 'authorization_pending') return null;
    if (waited >= CPD_APPROVAL_WAIT) return null;
    Utilities.sleep(interval * 1000);
    waited += interval;
  }
}

function cpdSettings_() {
  var props = PropertiesService.getUserProperties();
  var url = props.getProperty(CPD_URL_PROPERTY);
  var token = props.getProperty(CPD_TOKEN_PROPERTY);
  if (!url || !token) throw new Error('Set up first: CPD > Set up (your service\'s address and your token).');
  return {url: url, token: token};
}

/** A cell value as the service's functions take it: a date as its serial number, blanks as "". */
function cpdValue_(v, tz) {
  if (v instanceof Date) {
    var ymd = Utilities.formatDate(v, tz, 'yyyy-MM-dd').split('-');
    return Math.round((Date.UTC(+ymd[0], +ymd[1] - 1, +ymd[2]) - Date.UTC(1899, 11, 30)) / 86400000);
  }
  return v === null || v === undefined ? '' : v;
}

function cpdValues_(range, tz) {
  return range.getValues().map(function (row) { return row.map(function (v) { return cpdValue_(v, tz); }); });
}

/** The record's ranges: the header block, the activity table from its header row, the plan. */
function cpdRanges_(ss) {
  var record = ss.getSheetByName('Record');
  var plan = ss.getSheetByName('Plan');
  if (!record) throw new Error('This spreadsheet has no Record sheet: start from the CPD template.');
  var tz = ss.getSpreadsheetTimeZone();
  var lastRow = Math.max(record.getLastRow(), 10);
  var lastCol = Math.max(record.getLastColumn(), 6);
  return {
    record: cpdValues_(record.getRange(3, 1, 5, 6), tz),
    activities: cpdValues_(record.getRange(9, 1, lastRow - 8, lastCol), tz),
    plan: plan ? cpdValues_(plan.getRange(4, 1, Math.max(plan.getLastRow(), 5) - 3, 7), tz) : ''
  };
}

/** A header of a response, whatever its case. */
function cpdHeader_(res, name) {
  var headers = res.getHeaders() || {};
  for (var k in headers) {
    if (k.toLowerCase() === name.toLowerCase()) return headers[k];
  }
  return null;
}

/**
 * The service's JSON answer. A service unavailable for a moment (503: its database away) is asked
 * again after its Retry-After, for up to CPD_RETRY_BUDGET seconds in all; every request the menu sends
 * is safe to repeat (a submission carries its Idempotency-Key).
 */
function cpdFetchJson_(url, params) {
  params.muteHttpExceptions = true;
  var waited = 0;
  var res = UrlFetchApp.fetch(url, params);
  while (res.getResponseCode() === 503 && waited < CPD_RETRY_BUDGET) {
    var wait = Math.min(Math.max(Number(cpdHeader_(res, 'Retry-After')) || 5, 1), 30, CPD_RETRY_BUDGET - waited);
    Utilities.sleep(wait * 1000);
    waited += wait;
    res = UrlFetchApp.fetch(url, params);
  }
  var body = {};
  try { body = JSON.parse(res.getContentText() || '{}'); } catch { body = {}; }
  return {code: res.getResponseCode(), body: body};
}

function cpdCall_(url, name, args) {
  var res = cpdFetchJson_(url + '/api/v1/functions/' + name, {
    method: 'post', contentType: 'application/json', payload: JSON.stringify({args: args})
  });
  if (res.code !== 200) {
    var e = res.body.error || {};
    throw new Error('The CPD service refused the check (' + (e.code || res.code) + '): ' + (e.message || ''));
  }
  return res.body.result;
}

function cpdEscape_(text) {
  return String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Text written into a cell stays text: a leading = + - @ would make Sheets run it as a formula. */
function cpdText_(value) {
  var s = String(value === null || value === undefined ? '' : value);
  return /^[=+\-@\t\r]/.test(s) ? "'" + s : s;
}

/** The cells right of the Submission area's labels on the Record sheet. */
function cpdSubmissionCells_(sheet) {
  var values = sheet.getRange(1, 1, 40, Math.max(sheet.getLastColumn(), 9)).getValues();
  var cells = {};
  for (var r = 0; r < values.length; r++) {
    for (var c = 0; c < values[r].length; c++) {
      for (var key in CPD_SUBMISSION_LABELS) {
        if (String(values[r][c]).trim() === CPD_SUBMISSION_LABELS[key] && !cells[key]) {
          cells[key] = sheet.getRange(r + 1, c + 2);
        }
      }
    }
  }
  return cells;
}

function cpdWriteBack_(ss, values) {
  var cells = cpdSubmissionCells_(ss.getSheetByName('Record'));
  for (var key in values) {
    if (cells[key]) cells[key].setValue(cpdText_(values[key]));
  }
}

function cpdCheck() {
  var ui = SpreadsheetApp.getUi();
  try {
    var s = cpdSettings_();
    var ss = SpreadsheetApp.getActiveSpreadsheet();
    var r = cpdRanges_(ss);
    var verdict = cpdCall_(s.url, 'READINESS', [r.record, r.activities, r.plan]);
    var criteria = cpdCall_(s.url, 'CRITERIA', [r.record, r.activities, r.plan]);
    var html = '<h2>' + cpdEscape_(verdict[0][0]) + (verdict[0][1] !== undefined ? ' (' + cpdEscape_(verdict[0][1]) + '/100)' : '') + '</h2><table>';
    criteria.slice(1).forEach(function (row) {
      html += '<tr><td><b>' + cpdEscape_(row[1]) + '</b></td><td>' + cpdEscape_(row[0]) + ': ' + cpdEscape_(row[2]) +
        (row[3] && row[1] !== 'PASS' ? '<br><i>' + cpdEscape_(row[3]) + '</i>' : '') + '</td></tr>';
    });
    html += '</table>';
    ui.showSidebar(HtmlService.createHtmlOutput(html).setTitle('CPD readiness'));
    var when = Utilities.formatDate(new Date(), ss.getSpreadsheetTimeZone(), 'dd MMM yyyy HH:mm');
    cpdWriteBack_(ss, {last_check: verdict[0][0] + ' (' + verdict[0][1] + '/100) at ' + when});
  } catch (e) {
    ui.alert(e.message);
  }
}

function cpdHex_(bytes) {
  return bytes.map(function (b) { return ('0' + (b & 0xff).toString(16)).slice(-2); }).join('');
}

function cpdSubmit() {
  var ui = SpreadsheetApp.getUi();
  try {
    var s = cpdSettings_();
    var ss = SpreadsheetApp.getActiveSpreadsheet();
    var exported = UrlFetchApp.fetch('https://docs.google.com/spreadsheets/d/' + ss.getId() + '/export?format=xlsx', {
      headers: {Authorization: 'Bearer ' + ScriptApp.getOAuthToken()}, muteHttpExceptions: true
    });
    if (exported.getResponseCode() !== 200) {
      throw new Error('Google Sheets could not export this spreadsheet (' + exported.getResponseCode() + '); try again.');
    }
    var bytes = exported.getContent();
    var key = cpdHex_(Utilities.computeDigest(Utilities.DigestAlgorithm.SHA_256, bytes));
    var res = cpdFetchJson_(s.url + '/api/v1/submissions', {
      method: 'post', contentType: CPD_XLSX, payload: bytes,
      headers: {Authorization: 'Bearer ' + s.token, 'Idempotency-Key': key}
    });
    if (res.code === 200 || res.code === 201) {
      var b = res.body;
      cpdWriteBack_(ss, {submission_id: b.id, submission_status: b.status, submitted_at: b.received_at,
                         receipt: b.receipt_id || '(awaiting the institution\'s receipt)'});
      ui.alert('Submitted: ' + b.id + ' (' + b.status + ').' + (b.receipt_id ? ' Receipt: ' + b.receipt_id : ''));
      return;
    }
    var e = res.body.error || {};
    if (res.code === 401) throw new Error('The CPD service did not accept your token: CPD > Set up with a new one.');
    var where = e.sheet && e.cell ? e.sheet + '!' + e.cell + ': ' : '';
    throw new Error('Not submitted (' + (e.code || res.code) + '): ' + where + (e.message || 'the service refused it'));
  } catch (err) {
    ui.alert(err.message);
  }
}

/**
 * Bring in the activities added from a phone to this record on the service: the service reads the
 * sheet's ranges (as Check sends them), lays the waiting ones out in this sheet's own columns, and this
 * writes them under the activity table in one setValues; each is then taken from the service's inbox.
 */
function cpdBringIn() {
  var ui = SpreadsheetApp.getUi();
  try {
    var s = cpdSettings_();
    var ss = SpreadsheetApp.getActiveSpreadsheet();
    var r = cpdRanges_(ss);
    var auth = {Authorization: 'Bearer ' + s.token};
    var res = cpdFetchJson_(s.url + '/api/v1/inbox/rows', {
      method: 'post', contentType: 'application/json', headers: auth,
      payload: JSON.stringify({record: r.record, activities: r.activities})
    });
    if (res.code === 401) throw new Error('The CPD service did not accept your token: CPD > Set up with a new one.');
    if (res.code !== 200) {
      var e = res.body.error || {};
      throw new Error('Nothing brought in (' + (e.code || res.code) + '): ' + (e.message || 'the service refused'));
    }
    var b = res.body;
    if (!b.record) {
      ui.alert('Your CPD service has no record for this sheet\'s profile and period yet: Submit it once first.');
      return;
    }
    var rows = b.rows.map(function (row) {
      return row.map(function (v) { return v && v.$date ? new Date(v.$date + 'T00:00:00Z') : v; });
    });
    if (rows.length) ss.getSheetByName('Record').getRange(b.first_row, 1, rows.length, rows[0].length).setValues(rows);
    b.items.forEach(function (id, i) {
      var row = i < rows.length ? '?row=' + (b.first_row + i) : '';
      cpdFetchJson_(s.url + '/api/v1/records/' + encodeURIComponent(b.record) + '/inbox/' + encodeURIComponent(id) + row,
                    {method: 'delete', headers: auth});
    });
    ui.alert(rows.length ? 'Brought in ' + rows.length + (rows.length === 1 ? ' activity' : ' activities') +
             ' from your phone (row ' + b.first_row + (rows.length > 1 ? ' on' : '') + '). Drafts count once you confirm them.'
             : 'Nothing new to bring in.');
  } catch (err) {
    ui.alert(err.message);
  }
}
