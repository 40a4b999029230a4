"""What the service does later or elsewhere: the jobs of the durable outbox (``store.outbox``), each
kind in a module of its own (``delivery``, ``mail``, ``sheet_writes``, ``reminders``), and one worker that runs them
all (``worker``). No web framework here: ``cpd worker`` runs them in processes of their own, made from
the service's settings (a mapping, such as the app's config)."""
from __future__ import annotations

from collections.abc import Mapping

from .worker import Kind


def local_kinds(config: Mapping, names: tuple[str, ...] = ("reminder", "mail", "sheet_write")) -> list[Kind]:
    """The kinds that need only the service's settings: deadline reminders and mail (when ``SMTP_URL`` is set;
    a bad one raises ValueError; reminders first, so a drain sends what they queue) and writes into linked
    sheets (when the service has a Google key file). Deliveries need their endpoint (``delivery.Endpoint``)."""
    kinds: list[Kind] = []
    if "reminder" in names and config.get("SMTP_URL"):
        from ..store.messages import Notices
        from .reminders import Reminders
        kinds.append(Reminders(Notices(mail=True, public_url=config.get("PUBLIC_URL")), config["SECRET_KEY"],
                               config.get("CLOCK")))
    if "mail" in names and config.get("SMTP_URL"):
        from .mail import Mail, SmtpSettings
        kinds.append(Mail(SmtpSettings.parse(config["SMTP_URL"], config.get("SMTP_FROM"))))
    if "sheet_write" in names:
        from .sheet_writes import SheetWrites, settings_from
        settings = settings_from(config)
        if settings.credentials_file:            # sheets are linked only where the service can read them
            kinds.append(SheetWrites(settings))
    return kinds
