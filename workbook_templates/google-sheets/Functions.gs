/**
 * Custom functions: =CPD_HOURS(...), =CPD_READINESS(...), ... calculate in the sheet through the
 * CPD service's function endpoint (the same functions Excel has). Answers are cached for ten
 * minutes (CacheService) by the SHA-256 of what was asked. The Summary sheet's native formulas
 * keep working without them.
 */
/* global CPD_URL_PROPERTY, cpdFetchJson_, cpdHex_, cpdValue_ -- from Code.gs: one scope for the project */

var CPD_CACHE_SECONDS = 600;

function cpdFunction_(name, args) {
  var url = PropertiesService.getUserProperties().getProperty(CPD_URL_PROPERTY);
  if (!url) return 'Set up first: CPD > Set up';
  var payload = JSON.stringify({args: args.map(function (a) { return a === undefined ? '' : cpdArg_(a); })});
  var cache = CacheService.getUserCache();
  var key = 'cpd:' + name + ':' + cpdHex_(Utilities.computeDigest(Utilities.DigestAlgorithm.SHA_256, payload));
  var hit = cache.get(key);
  if (hit !== null) return JSON.parse(hit);
  var res = cpdFetchJson_(url + '/api/v1/functions/' + name, {method: 'post', contentType: 'application/json', payload: payload});
  if (res.code !== 200) return 'CPD service: ' + ((res.body.error || {}).message || res.code);
  if (payload.length < 90000) cache.put(key, JSON.stringify(res.body.result), CPD_CACHE_SECONDS);
  return res.body.result;
}

function cpdArg_(a) {
  if (Array.isArray(a)) return a.map(function (row) { return Array.isArray(row) ? row.map(cpdArg_) : cpdArg_(row); });
  return cpdValue_(a, SpreadsheetApp.getActiveSpreadsheet().getSpreadsheetTimeZone());
}

/** Hours in the period (apportioned by days), optionally for one category or skill type. @customfunction */
function CPD_HOURS(activities, period_from, period_to, category, skill_type, profile) {
  return cpdFunction_('HOURS', [activities, period_from, period_to, category, skill_type, profile]);
}

/** Hours by category, skill type, competence, objective or topic. @customfunction */
function CPD_HOURS_BY(activities, by, period_from, period_to, profile) {
  return cpdFunction_('HOURS_BY', [activities, by, period_from, period_to, profile]);
}

/** Categories (or competences) covered and missing, with hours. @customfunction */
function CPD_COVERAGE(activities, period_from, period_to, what, profile) {
  return cpdFunction_('COVERAGE', [activities, period_from, period_to, what, profile]);
}

/** The hours a member with this status needs in the period. @customfunction */
function CPD_TARGET(profile, status, period_from, period_to, leave_days) {
  return cpdFunction_('TARGET', [profile, status, period_from, period_to, leave_days]);
}

/** Verdict and score: READY, 86. @customfunction */
function CPD_READINESS(record, activities, plan, profile) {
  return cpdFunction_('READINESS', [record, activities, plan, profile]);
}

/** Each review criterion: criterion, PASS / WARN / FAIL, reason, hint. @customfunction */
function CPD_CRITERIA(record, activities, plan, profile) {
  return cpdFunction_('CRITERIA', [record, activities, plan, profile]);
}
