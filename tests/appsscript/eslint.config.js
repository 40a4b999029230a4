// ESLint for the Google Sheets Apps Script: the .gs files are plain V8 scripts sharing one global
// scope (functions in one file are called from another), with Google's services as globals.
'use strict';
const js = require('@eslint/js');

const appsScript = Object.fromEntries(['SpreadsheetApp', 'UrlFetchApp', 'PropertiesService', 'Utilities',
  'HtmlService', 'CacheService', 'ScriptApp', 'Session', 'Logger', 'console'].map(name => [name, 'readonly']));

module.exports = [
  js.configs.recommended,
  {
    files: ['**/*.gs'],
    languageOptions: {ecmaVersion: 2020, sourceType: 'script', globals: appsScript},
    rules: {
      // Entry points (menu items, custom functions, triggers) are called by Apps Script, not by us.
      'no-unused-vars': ['error', {varsIgnorePattern: '^(onOpen|onInstall|cpd[A-Z]\\w*|CPD_[A-Z_]+)$'}],
      'no-undef': 'error',
      eqeqeq: 'error',
      'no-eval': 'error',
      'no-implied-eval': 'error',
      'prefer-const': 'off',
    },
  },
];
