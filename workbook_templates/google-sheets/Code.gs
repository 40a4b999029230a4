/**
 * The CPD menu in Google Sheets (an Editor add-on: Extensions > CPD tracker): Check readiness, Submit,
 * Bring in new activities, Set up.
 *
 * Check sends the record's ranges to the CPD service's function endpoint, shows every review criterion
 * in a sidebar and brings the Submission area up to date (the delivery's status and the institution's
 * receipt). Submit shows the verdict and the criteria not met and asks first, as every other path does;
 * then it posts the same ranges (no Drive access: the add-on sees only this spreadsheet) with the
 * SHA-256 of what it sends as the Idempotency-Key, so a double click is one submission; the submission
 * goes into the sheet's Submission area, its time as a date the sheet shows in the member's own locale
 * and time zone. Set up asks the service for a code the member approves in the browser, where they are
 * signed in (the device flow: the script receives a token of its own, named for Google Sheets and
 * revocable on the member's settings page), or takes a token pasted instead; the service's address and
 * the token are kept in the user's own properties, never in the sheet.
 */

var CPD_URL_PROPERTY = 'CPD_SERVICE_URL';
var CPD_TOKEN_PROPERTY = 'CPD_TOKEN';
var CPD_TIME_FORMAT = 'd mmm yyyy h:mm';   // a date cell: Sheets shows it in the spreadsheet's locale and time zone
var CPD_RETRY_BUDGET = 120;          // seconds, in all, a request waits for a service that answers 503
var CPD_CLIENT_ID = 'cpd-sheets';    // how the service names this program's tokens
var CPD_DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
var CPD_APPROVAL_WAIT = 120;         // seconds Set up waits for the code to be approved, after OK
var CPD_SUBMISSION_LABELS = {
  last_check: 'Last check:', submission_id: 'Submission id:', submission_status: 'Submission status:',
  submitted_at: 'Submitted at:', receipt: 'Receipt:'
};

function onInstall(e) {
  onOpen(e);
}

function onOpen() {
  SpreadsheetApp.getUi().createAddonMenu()
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
  var me = Session.getActiveUser().getEmail();     // the one thing the add-on asks of the Google account
  var answer = ui.prompt('CPD service', 'Open ' + started.body.verification_uri_complete + ' in your browser, ' +
    'where you are signed in to the CPD service' + (me ? ' (with your account for ' + me + ')' : '') +
    ', check that it shows the code ' + started.body.user_code +
    ' and approve it. Then press OK.\n\n(Or paste a token made on your settings page here.)',
    ui.ButtonSet.OK_CANCEL);
  if (answer.getSelectedButton() !== ui.Button.OK) return;
  var token = String(answer.getResponseText()).trim() || cpdAwaitToken_(address, started.body);
  if (!token) {
    ui.alert('The code was not approved (or was denied) in time. Use Extensions > CPD tracker > Set up to start again.');
    return;
  }
  var props = PropertiesService.getUserProperties();
  props.setProperty(CPD_URL_PROPERTY, address);
  props.setProperty(CPD_TOKEN_PROPERTY, token);
  ui.alert('Saved for you only (not in the sheet). Use Extensions > CPD tracker > Check readiness or CPD > Submit.');
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
  if (!url || !token) throw new Error('Set up first: Extensions > CPD tracker > Set up (your service\'s address and your token).');
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

/** Where in the sheet the service's error is ("Record!A10: "), said once, before its message. */
function cpdWhere_(e) {
  return e.sheet && e.cell ? e.sheet + '!' + e.cell + ': ' : '';
}

function cpdCall_(url, name, args) {
  var res = cpdFetchJson_(url + '/api/v1/functions/' + name, {
    method: 'post', contentType: 'application/json', payload: JSON.stringify({args: args})
  });
  if (res.code !== 200) {
    var e = res.body.error || {};
    throw new Error('The CPD service refused the check (' + (e.code || res.code) + '): ' + cpdWhere_(e) + (e.message || ''));
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
    var when = Utilities.formatDate(new Date(), ss.getSpreadsheetTimeZone(), 'd MMM yyyy HH:mm');
    cpdWriteBack_(ss, {last_check: verdict[0][0] + ' (' + verdict[0][1] + '/100) at ' + when});
    cpdRefreshSubmission_(s, ss);
  } catch (e) {
    ui.alert(e.message);
  }
}

function cpdHex_(bytes) {
  return bytes.map(function (b) { return ('0' + (b & 0xff).toString(16)).slice(-2); }).join('');
}

/** The verdict and the criteria not met, as the question Submit asks before it sends anything. */
function cpdSubmitQuestion_(verdict, criteria) {
  var unmet = criteria.slice(1).filter(function (row) { return row[1] === 'FAIL' || row[1] === 'WARN'; });
  var text = 'Readiness: ' + verdict[0][0] + ' (' + verdict[0][1] + '/100).';
  if (unmet.length) {
    text += '\n\nNot met:\n' + unmet.map(function (row) {
      return '- ' + row[1] + ' ' + row[0] + ': ' + row[2];
    }).join('\n');
  }
  return text + '\n\nSubmit this record to your institution now?';
}

function cpdSubmit() {
  var ui = SpreadsheetApp.getUi();
  try {
    var s = cpdSettings_();
    var ss = SpreadsheetApp.getActiveSpreadsheet();
    var r = cpdRanges_(ss);
    var verdict = cpdCall_(s.url, 'READINESS', [r.record, r.activities, r.plan]);
    if (verdict[0][0] === 'INVALID') {
      ui.alert('Not submitted: fix the record first. ' + verdict[0][1]);
      return;
    }
    var criteria = cpdCall_(s.url, 'CRITERIA', [r.record, r.activities, r.plan]);
    if (ui.alert('Submit your CPD record', cpdSubmitQuestion_(verdict, criteria), ui.ButtonSet.YES_NO) !== ui.Button.YES) {
      ui.alert('Nothing was sent.');
      return;
    }
    var payload = JSON.stringify({record: r.record, activities: r.activities, plan: r.plan});
    var key = cpdHex_(Utilities.computeDigest(Utilities.DigestAlgorithm.SHA_256, payload, Utilities.Charset.UTF_8));
    var res = cpdFetchJson_(s.url + '/api/v1/submissions', {
      method: 'post', contentType: 'application/json', payload: payload,
      headers: {Authorization: 'Bearer ' + s.token, 'Idempotency-Key': key}
    });
    if (res.code === 200 || res.code === 201) {
      cpdShowSubmission_(ss, res.body);
      ui.alert('Submitted: ' + res.body.id + ' (' + cpdStatus_(res.body) + ').' +
               (res.body.receipt_id ? ' Receipt: ' + res.body.receipt_id : ' The receipt follows once it is delivered: ' +
                'Extensions > CPD tracker > Check readiness brings it into the sheet.'));
      return;
    }
    var e = res.body.error || {};
    if (res.code === 401) throw new Error('The CPD service did not accept your token: Extensions > CPD tracker > Set up with a new one.');
    throw new Error('Not submitted (' + (e.code || res.code) + '): ' + cpdWhere_(e) + (e.message || 'the service refused it'));
  } catch (err) {
    ui.alert(err.message);
  }
}

/** A submission's status as a member reads it: delivered, or waiting (queued, retrying), or failed. */
function cpdStatus_(b) {
  return {queued: 'waiting to be delivered', retrying: 'waiting to be delivered (retrying)',
          sending: 'being delivered', delivered: 'delivered', failed: 'refused by the institution: see your CPD page',
          dead: 'not delivered: see your CPD page'}[b.status] || String(b.status);
}

/** The submission in the Submission area: its id, status, time (a date cell) and receipt. */
function cpdShowSubmission_(ss, b) {
  cpdWriteBack_(ss, {submission_id: b.id, submission_status: cpdStatus_(b),
                     receipt: b.receipt_id || '(follows once delivered)'});
  var cells = cpdSubmissionCells_(ss.getSheetByName('Record'));
  if (cells.submitted_at && b.received_at) {
    cells.submitted_at.setValue(new Date(b.received_at)).setNumberFormat(CPD_TIME_FORMAT);
  }
}

/** Check brings the Submission area up to date: the submission's delivery and receipt, from the service. */
function cpdRefreshSubmission_(s, ss) {
  var cells = cpdSubmissionCells_(ss.getSheetByName('Record'));
  var id = cells.submission_id ? String(cells.submission_id.getValue()).trim() : '';
  if (!/^sub_[A-Za-z0-9_-]+$/.test(id)) return;
  var res = cpdFetchJson_(s.url + '/api/v1/submissions/' + encodeURIComponent(id),
                          {headers: {Authorization: 'Bearer ' + s.token}});
  if (res.code === 200) cpdShowSubmission_(ss, res.body);
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
    if (res.code === 401) throw new Error('The CPD service did not accept your token: Extensions > CPD tracker > Set up with a new one.');
    if (res.code !== 200) {
      var e = res.body.error || {};
      throw new Error('Nothing brought in (' + (e.code || res.code) + '): ' + cpdWhere_(e) + (e.message || 'the service refused'));
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
