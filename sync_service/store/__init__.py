"""The service's domain, as flaskr keeps ``get_db()`` apart from its views and datasette keeps HTTP in its
views: what is stored (``models``) and what is done with it, a module a concern (accounts, records and
their versions, annotations, mentoring, submissions, linked sheets, the group view's figures and what
may be shown of them, the durable outbox, the mail texts, the member's data export, rate-limit
counts). Each function takes a SQLAlchemy ``Session`` and what it needs as arguments, raises the
service's errors (``sync_service.errors``: a code, no HTTP status), and never imports Flask."""
