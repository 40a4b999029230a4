"""Members' linked Google Sheets in the service: linking (proven by a code typed into the sheet),
checking, submitting, and their API and page actions. Reading and writing a sheet is the Google
Sheets adapter's (the ``google_sheets`` package, through its public names)."""
