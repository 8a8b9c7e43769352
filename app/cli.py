"""Flask commands: users create / set-staff, cleanup, totp rotate-keys, mail-worker, apply-staff-resets."""

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext

from app.security import SecurityError, accounts, maintenance, totp
from app.security.secretbox import KeyMissing
from app.security.audit import SYSTEM

users_cli = AppGroup("users", help="Manage user accounts.")


@users_cli.command("create")
@click.argument("email")
@click.option("--password", help="Password (prompted when omitted).")
@click.option("--staff", is_flag=True, help="Give the support staff role.")
def create_user(email: str, password: str | None, staff: bool) -> None:
    """Create a user account."""
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = accounts.create_user(email, password, SYSTEM, is_staff=staff)
    except SecurityError as exc:
        raise click.ClickException(exc.message)
    click.echo(f"Created {'staff ' if staff else ''}user {user.email}")


@users_cli.command("set-staff")
@click.argument("email")
@click.option("--off", is_flag=True, help="Remove the staff role instead.")
def set_staff(email: str, off: bool) -> None:
    """Grant (or with --off revoke) the staff role."""
    user = accounts.find_by_email(email)
    if user is None:
        raise click.ClickException(f"No user {email}")
    accounts.set_staff(user, not off, SYSTEM)
    click.echo(f"{user.email} is {'no longer ' if off else 'now '}staff")


@click.command("cleanup")
@with_appcontext
def cleanup() -> None:
    """Delete spent codes, texts, mail links, browsers, challenges, staff resets, session files; blank old IPs (idempotent)."""
    counts = maintenance.cleanup()
    click.echo(" ".join(f"{k}={v}" for k, v in counts.items()))


@click.command("apply-staff-resets")
@with_appcontext
def apply_staff_resets() -> None:
    """Apply the staff resets of two-factor whose waiting period is over (idempotent; run from cron)."""
    from app.security import staff_resets

    click.echo(f"applied={staff_resets.apply_due()}")


@click.command("mail-worker")
@click.option("--once", is_flag=True, help="Send what is queued now, then stop.")
@with_appcontext
def mail_worker(once: bool) -> None:
    """Send the mail queued in Redis (MAIL_QUEUE=redis); runs until stopped unless --once."""
    from flask import current_app

    queue = current_app.extensions["mail_queue"]
    if not hasattr(queue, "work"):
        raise click.ClickException("MAIL_QUEUE=thread sends from each app process; no worker is needed.")
    taken = queue.work(once=once)
    click.echo(f"mail={taken}")


totp_cli = AppGroup("totp", help="Authenticator-app secrets.")


@totp_cli.command("rotate-keys")
def rotate_keys() -> None:
    """Re-encrypt every authenticator-app secret with the newest TOTP_ENCRYPTION_KEYS key."""
    try:
        count = totp.reencrypt_all()
    except KeyMissing as exc:
        raise click.ClickException(str(exc))
    click.echo(f"Re-encrypted {count} secret{'s' if count != 1 else ''} with the newest key.")


def register_commands(app: Flask) -> None:
    """Attach the CLI groups."""
    app.cli.add_command(users_cli)
    app.cli.add_command(totp_cli)
    app.cli.add_command(cleanup)
    app.cli.add_command(mail_worker)
    app.cli.add_command(apply_staff_resets)
