// Runs the Google Sheets Apps Script (workbook_templates/google-sheets/*.gs) under node with small
// stand-ins for SpreadsheetApp, UrlFetchApp, PropertiesService, Utilities, HtmlService,
// CacheService and ScriptApp. UrlFetchApp really sends its requests (synchronously, as in Apps
// Script, through a child node process), so what the script sends is what the service accepts;
// nothing of Google's own is called (the add-on has no Drive access: a call to Drive fails here).
//
// Usage: node harness.js SCENARIO.json  ->  prints JSON: alerts, sidebar, writes, properties, requests.
'use strict';
const fs = require('fs');
const path = require('path');
const vm = require('vm');
const crypto = require('crypto');
const {spawnSync} = require('child_process');

const scenario = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const out = {alerts: [], sidebar: null, writes: {}, requests: [], menu: [], results: {}};

function colLetters(n) { let s = ''; while (n) { const r = (n - 1) % 26; s = String.fromCharCode(65 + r) + s; n = Math.floor((n - 1) / 26); } return s; }
// Dates are made in the script's own realm, so that `instanceof Date` holds there as in Apps Script.
let ScriptDate = Date;
function revive(v) { return v && typeof v === 'object' && v.$date ? new ScriptDate(v.$date + 'T00:00:00Z') : v; }

class Range {
  constructor(sheet, row, col, rows, cols) { Object.assign(this, {sheet, row, col, rows, cols}); }
  getValues() {
    const vals = [];
    for (let r = 0; r < this.rows; r++) {
      const line = [];
      for (let c = 0; c < this.cols; c++) {
        const v = (this.sheet.data[this.row - 1 + r] || [])[this.col - 1 + c];
        line.push(v === undefined || v === null ? '' : revive(v));
      }
      vals.push(line);
    }
    return vals;
  }
  setValues(values) {
    if (values.length !== this.rows || values.some(r => r.length !== this.cols)) {
      throw new Error(`The number of rows or columns in the data does not match the range (${this.rows} x ${this.cols})`);
    }
    values.forEach((line, r) => line.forEach((v, c) => this.sheet.getRange(this.row + r, this.col + c).setValue(v)));
    out.set_values = (out.set_values || 0) + 1;
    return this;
  }
  setValue(v) {
    const d = this.sheet.data;
    while (d.length < this.row) d.push([]);
    d[this.row - 1][this.col - 1] = v;
    out.writes[`${this.sheet.name}!${colLetters(this.col)}${this.row}`] = v instanceof ScriptDate ? {$datetime: v.toISOString()} : v;
    return this;
  }
  getValue() { return this.getValues()[0][0]; }
  setNumberFormat(f) { out.formats = Object.assign(out.formats || {}, {[`${this.sheet.name}!${colLetters(this.col)}${this.row}`]: f}); return this; }
}

class Sheet {
  constructor(name, data) { this.name = name; this.data = data; }
  getRange(row, col, rows, cols) { return new Range(this, row, col, rows || 1, cols || 1); }
  getLastRow() { let n = 0; this.data.forEach((r, i) => { if (r.some(v => v !== '' && v !== null)) n = i + 1; }); return n; }
  getLastColumn() { return Math.max(0, ...this.data.map(r => { let n = 0; r.forEach((v, i) => { if (v !== '' && v !== null) n = i + 1; }); return n; })); }
}

const sheets = {};
for (const [name, rows] of Object.entries(scenario.sheets)) sheets[name] = new Sheet(name, rows);
const spreadsheet = {
  getId: () => scenario.spreadsheet_id,
  getSpreadsheetTimeZone: () => 'Etc/UTC',
  getSheetByName: (n) => sheets[n] || null,
};
const prompts = (scenario.prompts || []).slice();
const answers = (scenario.answers || []).slice();        // what the member clicks in each Yes / No question
function menu(name) { return {items: [], addItem(l, f) { this.items.push([l, f]); return this; }, addSeparator() { return this; }, addToUi() { out.menu.push({name, items: this.items}); }}; }
const ui = {
  ButtonSet: {OK_CANCEL: 'OK_CANCEL', YES_NO: 'YES_NO'}, Button: {OK: 'OK', CANCEL: 'CANCEL', YES: 'YES', NO: 'NO'},
  createMenu(name) { return menu(name); },
  createAddonMenu() { return menu('(add-on)'); },
  alert(title, text, buttons) {
    if (buttons === undefined) { out.alerts.push(String(title)); return 'OK'; }
    const answer = answers.shift() || 'NO';
    out.questions = (out.questions || []).concat([{title: String(title), text: String(text), answer}]);
    return answer;
  },
  prompt(title, text) {
    out.prompts_seen = (out.prompts_seen || []).concat([String(text)]);
    const p = prompts.shift() || {button: 'CANCEL', text: ''};
    return {getSelectedButton: () => p.button, getResponseText: () => p.text};
  },
  showSidebar(html) { out.sidebar = html.getContent(); },
};

const props = Object.assign({}, scenario.properties || {});
const cache = {};

function httpFetch(url, params) {
  params = params || {};
  const headers = Object.assign({}, params.headers || {});
  if (params.contentType) headers['Content-Type'] = params.contentType;
  let body = null;
  if (params.payload !== undefined && !Array.isArray(params.payload) && typeof params.payload === 'object') {
    // Apps Script sends an object as a form (application/x-www-form-urlencoded)
    body = Buffer.from(new URLSearchParams(params.payload).toString()).toString('base64');
    headers['Content-Type'] = headers['Content-Type'] || 'application/x-www-form-urlencoded';
  } else if (params.payload !== undefined) {
    body = typeof params.payload === 'string' ? Buffer.from(params.payload).toString('base64')
      : Buffer.from(params.payload.map(b => b & 0xff)).toString('base64');
  }
  out.requests.push({url, method: (params.method || 'get').toUpperCase(), headers});
  const child = `
    let input = ''; process.stdin.on('data', d => input += d); process.stdin.on('end', async () => {
      const q = JSON.parse(input);
      const r = await fetch(q.url, {method: q.method, headers: q.headers, body: q.body === null ? undefined : Buffer.from(q.body, 'base64')});
      const buf = Buffer.from(await r.arrayBuffer());
      process.stdout.write(JSON.stringify({code: r.status, headers: Object.fromEntries(r.headers), body: buf.toString('base64')}));
    });`;
  const res = spawnSync(process.execPath, ['-e', child], {
    input: JSON.stringify({url, method: (params.method || 'get').toUpperCase(), headers, body}), maxBuffer: 64 << 20});
  if (res.status !== 0) throw new Error('fetch failed: ' + res.stderr);
  return JSON.parse(res.stdout);
}

function response(code, bytes, headers) {
  return {
    getResponseCode: () => code, getHeaders: () => headers || {},
    getContent: () => Array.from(bytes, b => (b << 24) >> 24),            // Java bytes are signed
    getContentText: () => bytes.toString('utf8'),
  };
}

const context = {
  SpreadsheetApp: {getUi: () => ui, getActiveSpreadsheet: () => spreadsheet},
  PropertiesService: {getUserProperties: () => ({
    getProperty: k => (k in props ? props[k] : null), setProperty: (k, v) => { props[k] = String(v); },
    deleteProperty: k => { delete props[k]; }})},
  CacheService: {getUserCache: () => ({get: k => (k in cache ? cache[k] : null), put: (k, v) => { cache[k] = v; }})},
  ScriptApp: {getOAuthToken: () => 'script-oauth-token'},
  HtmlService: {createHtmlOutput: (html) => ({setTitle() { return this; }, getContent: () => html})},
  Utilities: {
    sleep(ms) {                                                // Apps Script's sleep blocks; so does this
      out.sleeps = (out.sleeps || []).concat([ms]);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
    },
    DigestAlgorithm: {SHA_256: 'sha256'}, Charset: {UTF_8: 'utf8'},
    computeDigest(alg, value) {
      const data = typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value.map(b => b & 0xff));
      return Array.from(crypto.createHash(alg).update(data).digest(), b => (b << 24) >> 24);
    },
    formatDate(d, tz, fmt) {
      const p = n => String(n).padStart(2, '0');
      const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
      return fmt.replace('yyyy', d.getUTCFullYear()).replace('MMM', months[d.getUTCMonth()]).replace('MM', p(d.getUTCMonth() + 1))
        .replace('dd', p(d.getUTCDate())).replace('HH', p(d.getUTCHours())).replace('mm', p(d.getUTCMinutes()));
    },
  },
  UrlFetchApp: {
    fetch(url, params) {
      if (url.startsWith('https://docs.google.com/')) {      // the add-on has no Drive scope: Google would refuse
        throw new Error('Exception: You do not have permission to call UrlFetchApp.fetch on ' + url);
      }
      const r = httpFetch(url, params);
      return response(r.code, Buffer.from(r.body, 'base64'), r.headers);
    },
  },
  Session: {getActiveUser: () => ({getEmail: () => scenario.google_email || ''})},
  Logger: {log() {}},
  console,
};
vm.createContext(context);
ScriptDate = vm.runInContext('Date', context);
const dir = path.resolve(__dirname, '../../workbook_templates/google-sheets');
for (const f of fs.readdirSync(dir).filter(n => n.endsWith('.gs')).sort()) {
  vm.runInContext(fs.readFileSync(path.join(dir, f), 'utf8'), context, {filename: f});
}
for (const step of scenario.steps) {
  if (typeof step === 'string') context[step]();
  else out.results[step.name] = vm.runInContext(`${step.call}(...${JSON.stringify(step.args)}.map(__revive))`,
    Object.assign(context, {__revive: a => Array.isArray(a) ? a.map(r => Array.isArray(r) ? r.map(revive) : revive(r)) : revive(a)}));
}
out.properties = props;
out.cache_keys = Object.keys(cache).length;
process.stdout.write(JSON.stringify(out));
