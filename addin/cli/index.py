"""Every ``cpd`` command: the module that holds it and its help's first paragraph (what ``cpd --help`` shows
of it), so that the list is printed and a command found without importing any command's module; and the
entry points of the commands other parts of the product add, so that one of theirs is found without reading
every installed package's metadata.

Generated from the commands themselves: ``python -m addin.cli.make_index`` rewrites this file; a test fails
when it is not what the commands say.
"""
from __future__ import annotations

COMMANDS: dict[str, tuple[str, str]] = {
    'admin': ('sync_service.admin_cli',
     'Administer a CPD service: members and their tokens.'),
    'audit-pack': ('addin.cli.audit',
     "One PDF for a body's reviewer: what the body reads (the record report; a US board's log of "
     "activities; ICE's job summary, plan and record), an index of the evidence with each file's SHA-256 "
     'and the activities that lack the evidence the body asks for, then every evidence file in row order.'),
    'capture': ('addin.cli.capture',
     'Add drafts to LOG.xlsx from calendars (.ics), PDF certificates and Open Badges.'),
    'check': ('addin.cli.record',
     "Check a CPD workbook: would it pass the institution's review?"),
    'evidence': ('addin.cli.capture',
     'Evidence files kept beside a workbook (a certificate, a photo), named in its Evidence cells.'),
    'excel': ('addin.cli.excel',
     'The CPD add-in for Excel desktop (Windows; the functions need xlwings there).'),
    'export': ('addin.cli.record',
     "Export a workbook's activities as CSV (text that looks like a formula is kept as text)."),
    'import': ('addin.cli.workbook',
     'Bring an existing record (.xlsx in any layout, .csv, or the tracker form as .docx) into a new '
     'workbook.'),
    'login': ('addin.cli.service',
     'Sign cpd in to your CPD service: it shows a code and a link; approve the code in your browser, where'
     ' you are signed in, and cpd receives a token of its own. The address and token are kept in your own '
     'configuration (never in a workbook).'),
    'new': ('addin.cli.workbook',
     'Create a fresh CPD workbook for a member, profile(s) and period.'),
    'plan': ('addin.cli.plan',
     'The fewest activities that close every gap of every body the log is kept for, each by its deadline, '
     'saying which criteria of which bodies each one closes.'),
    'profiles': ('addin.cli.profiles',
     "List the institution profiles (the rules each institution's review applies)."),
    'pull': ('addin.cli.service',
     'Bring the activities you added from your phone into LOG.xlsx.'),
    'receiver': ('sync_service.cli',
     'Run the reference institution receiver: verifies, dedupes, stores and answers with a receipt.'),
    'report': ('addin.cli.record',
     'Make the record report a reviewer reads: PDF and/or HTML, with the verdict, every criterion, the '
     'plan, every activity and charts.'),
    'serve': ('sync_service.cli',
     "Run the CPD service: submissions (API), the member's pages, the add-in functions for Excel on the "
     "web and Mac, and the add-in's files. Its database is an SQLite file unless DATABASE_URL names "
     'another.'),
    'sheets': ('google_sheets.cli',
     'Check, write back and pull a CPD record kept in Google Sheets.'),
    'status': ('addin.cli.service',
     "Show a submission's delivery and the institution's receipt (default: your last submission)."),
    'submit': ('addin.cli.service',
     'Submit a CPD workbook to your CPD service, which delivers it to the institution.'),
    'worker': ('sync_service.cli',
     "Run a worker: do the service's jobs of the outbox: deliveries of stored submissions to the "
     'institution, mail, and writes into linked Google Sheets (several workers may run at once).'),
}

# The commands other parts of the product add (their ``cpd.commands`` entry points, as pyproject.toml declares
# them): found here, a command of theirs runs without reading every installed package's metadata first.
ENTRY_POINTS: dict[str, str] = {
    'admin': 'sync_service.cli:admin',
    'receiver': 'sync_service.cli:receiver',
    'serve': 'sync_service.cli:serve',
    'sheets': 'google_sheets.cli:sheets',
    'worker': 'sync_service.cli:worker',
}
