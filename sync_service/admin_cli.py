"""``cpd admin``: the service's administration from the command line: members (add, invite one or many,
list, deactivate and reactivate, a new sign-in link, their tokens, admin rights), the admins' audit trail,
the schema, and deliveries. Every change to a member is in the admins' audit trail, as "the command line"."""
from __future__ import annotations

import click

from addin import CpdError
from addin.cli.common import fail


@click.group()
@click.option("--database-url", envvar="DATABASE_URL", default=None,
              help="The service's database (default: its SQLite file; or set DATABASE_URL).")
@click.pass_context
def admin(ctx: click.Context, database_url: str | None) -> None:
    """Administer a CPD service: members and their tokens."""
    ctx.obj = {"database_url": database_url}


def _service_app(ctx: click.Context):
    from sync_service import create_app
    url = ctx.obj.get("database_url")
    return create_app({"DATABASE_URL": url} if url else None)


@admin.command("add-member")
@click.argument("email")
@click.option("--admin", "is_admin", is_flag=True, help="The member may use the admin page.")
@click.option("--name", default=None, help="How the member is named to others (a mentor's comments show it).")
@click.option("--invite", is_flag=True, help="E-mail them a sign-in link instead of printing a token.")
@click.pass_context
def admin_add_member(ctx: click.Context, email: str, is_admin: bool, name: str | None, invite: bool) -> None:
    """Add a member and print their first token (shown this once; only its hash is kept), or with --invite
    e-mail them a sign-in link."""
    from sqlalchemy.exc import IntegrityError
    from sync_service import db
    from sync_service.store import admin as members
    from sync_service.store.accounts import create_member, issue_token

    if "@" not in email or len(email) > 320:
        fail(CpdError("bad_option", f"{email!r} is not an e-mail address"))
    app = _service_app(ctx)
    with app.app_context():
        session = db.write_session()
        try:
            if invite:
                _need_mail(app)
                done = members.invite(session, None, email, _notices(app), name)
                if not done.created:
                    fail(CpdError("member_exists", "a member with that e-mail already exists"))
                done.member.is_admin = is_admin
                session.commit()
                click.echo(f"Member {done.member.public_id} added; a sign-in link is on its way to them.")
                return
            member = create_member(session, email, name)
            member.is_admin = is_admin
            members.log(session, None, member, "added")
            token = issue_token(session, member, name="First token")
            session.commit()
        except IntegrityError:
            fail(CpdError("member_exists", "a member with that e-mail already exists"))
        click.echo(f"Member {member.public_id} added. Their token (shown once; give it to them):")
        click.echo(token)


def _notices(app):
    from sync_service.store.messages import Notices
    return Notices(mail=bool(app.config.get("SMTP_URL")), public_url=app.config.get("PUBLIC_URL"))


def _need_mail(app) -> None:
    if not app.config.get("SMTP_URL") or not app.config.get("PUBLIC_URL"):
        fail(CpdError("mail_off", "inviting by e-mail needs CPD_SMTP_URL (the mail server) and CPD_PUBLIC_URL "
                                  "(the address the link points at)"))


def _member_command(name: str, help_text: str):
    """A command on one member (by e-mail or id), in a transaction, with the member not found as a one-liner."""
    def decorate(run):
        @admin.command(name, help=help_text)
        @click.argument("member")
        @click.pass_context
        def command(ctx: click.Context, member: str) -> None:
            from sync_service import db
            from sync_service.errors import ServiceError
            from sync_service.store import admin as members

            app = _service_app(ctx)
            with app.app_context():
                session = db.write_session()
                try:
                    message = run(app, session, members.find(session, member))
                    session.commit()
                except ServiceError as exc:
                    fail(CpdError(exc.code, exc.message))
            click.echo(message)
        return command
    return decorate


@_member_command("deactivate", "Stop a member signing in: their sessions end and their tokens stop at once.")
def admin_deactivate(app, session, member) -> str:
    from sync_service.store import admin as members
    members.deactivate(session, None, member)
    return f"{member.public_id} deactivated."


@_member_command("reactivate", "Let a deactivated member sign in again (their tokens stay revoked if revoked).")
def admin_reactivate(app, session, member) -> str:
    from sync_service.store import admin as members
    members.reactivate(session, None, member)
    return f"{member.public_id} reactivated."


@_member_command("send-link", "E-mail a member a new sign-in link (their older links stop working).")
def admin_send_link(app, session, member) -> str:
    from sync_service.store import admin as members
    _need_mail(app)
    members.send_link(session, None, member, _notices(app))
    return f"A sign-in link is on its way to {member.public_id}."


@_member_command("revoke-tokens", "Revoke every token of a member (they can still sign in by e-mail).")
def admin_revoke_tokens(app, session, member) -> str:
    from sync_service.store import admin as members
    n = members.revoke_tokens(session, None, member)
    return f"{n} token{'s' if n != 1 else ''} of {member.public_id} revoked."


@_member_command("make-admin", "Let a member use the admin pages.")
def admin_make_admin(app, session, member) -> str:
    from sync_service.store import admin as members
    members.set_admin(session, None, member, True)
    return f"{member.public_id} is an admin."


@_member_command("unmake-admin", "Take a member's admin rights.")
def admin_unmake_admin(app, session, member) -> str:
    from sync_service.store import admin as members
    members.set_admin(session, None, member, False)
    return f"{member.public_id} is no longer an admin."


@admin.command("invite")
@click.argument("csv_file", type=click.File("r", encoding="utf-8-sig"))
@click.pass_context
def admin_invite(ctx: click.Context, csv_file) -> None:
    """Invite the members in a CSV file (email,name,membership number,grade; a header row is optional): each is
    e-mailed a sign-in link. Prints what became of each row."""
    from sync_service import db
    from sync_service.store import admin as members

    app = _service_app(ctx)
    _need_mail(app)
    with app.app_context():
        report = members.invite_csv(db.write_session(), None, csv_file.read(), _notices(app))
    for line in report:
        click.echo(f"row {line['row']}: {line['email'] or '(blank)'}: {line['outcome'].replace('_', ' ')}"
                   + (f" ({line['why']})" if line["why"] else ""))
    counts = {k: sum(1 for r in report if r["outcome"] == k) for k in ("invited", "already_there", "refused")}
    click.echo(f"{counts['invited']} invited, {counts['already_there']} already there, {counts['refused']} refused.")


@admin.command("members")
@click.argument("search", default="")
@click.pass_context
def admin_members(ctx: click.Context, search: str) -> None:
    """List members (those whose address, name or membership number holds SEARCH)."""
    from sync_service import db
    from sync_service.store import admin as members

    with _service_app(ctx).app_context():
        for m in members.search(db.session(), search):
            state = "deactivated" if m.deactivated_at else "proven" if m.verified else "not proven"
            click.echo(f"{m.public_id}  {m.email}  {m.name or ''}  {state}{'  admin' if m.is_admin else ''}")


@admin.command("audit")
@click.pass_context
def admin_audit(ctx: click.Context) -> None:
    """The admins' audit trail, newest first."""
    from sync_service import db
    from sync_service.store import admin as members

    with _service_app(ctx).app_context():
        for e in members.trail(db.session()):
            click.echo(f"{e['at']:%Y-%m-%d %H:%M}  {e['who']} {e['what']} {e['email'] or e['subject']}")


@admin.command("migrate")
@click.pass_context
def admin_migrate(ctx: click.Context) -> None:
    """Bring the database schema up to date (run once before starting several web workers with
    CPD_AUTO_MIGRATE=false)."""
    from sync_service import create_app
    from sync_service.store.database import upgrade
    url = ctx.obj.get("database_url")
    app = create_app({"AUTO_MIGRATE": False, **({"DATABASE_URL": url} if url else {})})
    upgrade(app.extensions["cpd_engine"])
    click.echo("Database schema is up to date.")


@admin.command("resend")
@click.argument("submission_id")
@click.pass_context
def admin_resend(ctx: click.Context, submission_id: str) -> None:
    """Queue a failed or dead-lettered delivery again."""
    from sync_service import db
    from sync_service.jobs.delivery import resend

    with _service_app(ctx).app_context():
        if not resend(db.session(), submission_id):
            fail(CpdError("not_resendable", f"{submission_id}: no such submission, or it is delivered or being sent"))
    click.echo(f"{submission_id} queued again.")


@admin.command("enable-endpoint")
@click.pass_context
def admin_enable_endpoint(ctx: click.Context) -> None:
    """Deliver again after the institution's endpoint answered 410 Gone."""
    from sync_service import db
    from sync_service.jobs.delivery import enable_endpoint

    with _service_app(ctx).app_context():
        enable_endpoint(db.session())
    click.echo("Endpoint enabled; queued deliveries will be sent.")


@admin.command("revoke-token")
@click.argument("token")
@click.pass_context
def admin_revoke_token(ctx: click.Context, token: str) -> None:
    """Revoke a token: it stops working at once."""
    from sync_service import db
    from sync_service.store.accounts import revoke

    with _service_app(ctx).app_context():
        session = db.write_session()
        if not revoke(session, token.strip()):
            fail(CpdError("token_unknown", "no such active token"))
        session.commit()
    click.echo("Token revoked.")


