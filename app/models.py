"""Typed SQLAlchemy models: data only, no business logic, no commits."""

from datetime import UTC, datetime

from flask_login import UserMixin
from sqlalchemy import BigInteger, ForeignKey, Index, LargeBinary, String, Text, exists, func, select
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from app.extensions import db


def utcnow() -> datetime:
    """Return the current time in UTC (naive, as stored)."""
    return datetime.now(UTC).replace(tzinfo=None)


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    is_staff: Mapped[bool] = mapped_column(default=False)
    # Bumped to end every session of this user at its next request.
    session_version: Mapped[int] = mapped_column(default=1)
    # E.164 of the verified number of the SMS method (None: no SMS method).
    phone_e164: Mapped[str | None] = mapped_column(String(20), index=True)
    phone_last4: Mapped[str | None] = mapped_column(String(4), index=True)
    locked_at: Mapped[datetime | None]
    consecutive_code_failures: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    password_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_sign_in_at: Mapped[datetime | None]
    # Set once a link mailed to the current address was followed; reset links need it.
    email_verified_at: Mapped[datetime | None]
    # The method asked first at sign-in: "sms", "totp" or "webauthn" (None, or one no longer set:
    # the strongest one set; see app.security.methods).
    preferred_method: Mapped[str | None] = mapped_column(String(10))

    trusted_devices: Mapped[list["TrustedDevice"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )
    # Loaded only where a page lists or uses them; whether they exist comes with the user row
    # (has_app, has_passkey below), so two_factor_enabled costs no query.
    totp_credential: Mapped["TotpCredential | None"] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True, uselist=False
    )
    webauthn_credentials: Mapped[list["WebauthnCredential"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True, order_by="WebauthnCredential.id"
    )

    @property
    def has_sms(self) -> bool:
        return self.phone_e164 is not None

    @property
    def two_factor_enabled(self) -> bool:
        # On exactly when at least one method is set.
        return self.has_sms or self.has_app or self.has_passkey

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def is_locked(self) -> bool:
        return self.locked_at is not None

    def get_id(self) -> str:
        # The version makes old sessions invalid once it is bumped.
        return f"{self.id}:{self.session_version}"


class VerificationCode(db.Model):
    __tablename__ = "verification_codes"
    __table_args__ = (
        Index("ix_codes_user_created", "user_id", "created_at"),
        Index("ix_codes_phone_created", "phone_e164", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(20))
    phone_e164: Mapped[str] = mapped_column(String(20))
    digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    expires_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(default=0)
    consumed_at: Mapped[datetime | None]
    # Set when a resend replaces the code or the flow is abandoned.
    revoked_at: Mapped[datetime | None]


class EmailToken(db.Model):
    """A link sent by mail (verify an address, reset a password...): only its keyed digest is stored."""

    __tablename__ = "email_tokens"
    __table_args__ = (Index("ix_email_tokens_user_purpose", "user_id", "purpose", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(20))
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    # The address the link was sent to (a new address, for a change of address).
    email: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    used_at: Mapped[datetime | None]
    # Set when a newer link replaces it or the password changes.
    revoked_at: Mapped[datetime | None]


class StaffReset(db.Model):
    """A staff reset of two-factor waiting out its delay; the owner may cancel it meanwhile."""

    __tablename__ = "staff_resets"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    due_at: Mapped[datetime] = mapped_column(index=True)
    applied_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]


class SmsMessage(db.Model):
    """One text sent (code or notice); the hourly SMS caps count these rows."""

    __tablename__ = "sms_messages"
    __table_args__ = (
        Index("ix_sms_phone_created", "phone_e164", "created_at"),
        Index("ix_sms_user_created", "user_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # SET NULL keeps the per-number count if an account goes away within the hour.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    phone_e164: Mapped[str] = mapped_column(String(20))
    # "code_<purpose>" or "notice_<name>".
    kind: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class TrustedDevice(db.Model):
    __tablename__ = "trusted_devices"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    ip: Mapped[str | None] = mapped_column(String(45))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)

    user: Mapped[User] = relationship(back_populates="trusted_devices")


class RecoveryCode(db.Model):
    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime | None]


class TotpCredential(db.Model):
    """The authenticator-app method: one per account, its secret encrypted (app.security.secretbox)."""

    __tablename__ = "totp_credentials"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    secret_encrypted: Mapped[str] = mapped_column(Text)
    # The newest time step (unix time // 30) accepted: a code is good once, never again.
    last_step: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(back_populates="totp_credential")


class WebauthnCredential(db.Model):
    """A passkey or security key (WebAuthn); public key only, nothing secret."""

    __tablename__ = "webauthn_credentials"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    credential_id: Mapped[bytes] = mapped_column(LargeBinary(1024), unique=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary(2048))
    sign_count: Mapped[int] = mapped_column(BigInteger, default=0)
    name: Mapped[str] = mapped_column(String(60))
    transports: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(back_populates="webauthn_credentials")


class SecondFactorChallenge(db.Model):
    """A password-checked step waiting for a second factor: a sign-in or a re-authentication."""

    __tablename__ = "second_factor_challenges"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    purpose: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    # Counted here, not in the session, so parallel requests on one session can't each
    # see a fresh count (conditional UPDATE ... WHERE recovery_attempts < max).
    recovery_attempts: Mapped[int] = mapped_column(default=0)
    ended_at: Mapped[datetime | None]


class SecurityEvent(db.Model):
    """Append-only audit record; nothing updates or deletes these rows."""

    __tablename__ = "security_events"
    __table_args__ = (
        Index("ix_events_user_created", "user_id", "created_at"),
        Index("ix_events_type_created", "type", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    type: Mapped[str] = mapped_column(String(40))
    # Keyed digest of the email a sign-in attempt named, known account or not.
    subject: Mapped[str | None] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    ip: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(300))
    details: Mapped[str | None] = mapped_column(Text)


# Scalar subqueries in the user's own query: the methods' existence without loading them. A change
# of methods expires them with the relationships (METHOD_ATTRIBUTES), so the next read is fresh;
# a flush of the user row (say last_sign_in_at) changes none of them, hence expire_on_flush=False.
User.has_app = column_property(exists().where(TotpCredential.user_id == User.id), expire_on_flush=False)
User.has_passkey = column_property(exists().where(WebauthnCredential.user_id == User.id), expire_on_flush=False)
# A staff reset neither applied nor cancelled: only the sign-in's query loads it (undefer), so a
# sign-in looks for a due reset only when one is waiting.
User.staff_reset_waiting = column_property(
    exists().where(StaffReset.user_id == User.id, StaffReset.applied_at.is_(None), StaffReset.cancelled_at.is_(None)),
    deferred=True, expire_on_flush=False,
)
METHOD_ATTRIBUTES = ["totp_credential", "webauthn_credentials", "has_app", "has_passkey"]
# Unused recovery codes: loaded with a pending sign-in's user (its "running out" warning), else on
# first read; whatever changes the codes expires it (RECOVERY_ATTRIBUTES).
User.unused_recovery_codes = column_property(
    select(func.count()).where(RecoveryCode.user_id == User.id, RecoveryCode.used_at.is_(None)).scalar_subquery(),
    deferred=True, expire_on_flush=False,
)
RECOVERY_ATTRIBUTES = ["unused_recovery_codes"]
