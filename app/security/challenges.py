"""Second-factor challenges: one database row per password-checked step awaiting a second factor.

A pending sign-in and a re-authentication each own one. Recovery-code and authenticator-app
tries share one count on the row (recovery_attempts), taken with a conditional update, so
parallel requests on one session share one count (a count kept in the session would be read
fresh by each of them).
"""

from datetime import timedelta

from flask import current_app
from sqlalchemy import and_, select, update
from sqlalchemy.orm import undefer

from app.extensions import db
from app.models import SecondFactorChallenge, User, VerificationCode, utcnow
from app.security import SecurityError

SIGN_IN = "signin"
REAUTH = "reauth"


class TriesExhausted(SecurityError):
    """This sign-in or re-authentication has used up its tries at guessable codes (app or recovery)."""


def _max_tries() -> int:
    return int(current_app.config["CODE_MAX_ATTEMPTS"])


def open_challenge(user: User, purpose: str) -> int:
    """Start a challenge that lives as long as a pending sign-in; commits; return its id."""
    now = utcnow()
    challenge = SecondFactorChallenge(
        user_id=user.id, purpose=purpose, created_at=now,
        expires_at=now + timedelta(seconds=int(current_app.config["PENDING_SIGNIN_TTL_SECONDS"])),
    )
    db.session.add(challenge)
    db.session.commit()
    return challenge.id


def _live(challenge_id: int | None, user: User, purpose: str, *, user_id=None):
    # Expired, ended, out of tries, someone else's or another purpose's: not live.
    return (
        SecondFactorChallenge.id == (challenge_id or 0),
        SecondFactorChallenge.user_id == (user.id if user_id is None else user_id),
        SecondFactorChallenge.purpose == purpose,
        SecondFactorChallenge.ended_at.is_(None),
        SecondFactorChallenge.expires_at >= utcnow(),  # the same boundary as the session's own expiry
        SecondFactorChallenge.recovery_attempts < _max_tries(),
    )


def is_live(challenge_id: int | None, user: User, purpose: str) -> bool:
    """Tell whether the challenge can still be answered."""
    return db.session.scalar(select(SecondFactorChallenge.id).where(*_live(challenge_id, user, purpose))) is not None


def user_and_liveness(user_id: int, challenge_id: int | None, purpose: str,
                      code_id: int | None = None) -> tuple[User | None, bool]:
    """Load the user and tell whether the challenge can still be answered, in one query.

    The same query brings the step's current code (code_id) into the session, where the code
    checks find it without another query, and the count of unused recovery codes.
    """
    row = db.session.execute(
        select(User, SecondFactorChallenge.id, VerificationCode)
        .outerjoin(SecondFactorChallenge, and_(*_live(challenge_id, None, purpose, user_id=User.id)))
        .outerjoin(VerificationCode, and_(VerificationCode.id == (code_id or 0), VerificationCode.user_id == User.id))
        .where(User.id == user_id)
        .options(undefer(User.unused_recovery_codes))
    ).first()
    if row and row[2] is not None:
        # The session's identity map holds objects weakly: keep the code for this request's checks.
        db.session.info.setdefault("kept", []).append(row[2])
    return (row[0], row[1] is not None) if row else (None, False)


def take_recovery_try(challenge_id: int | None, user: User, purpose: str) -> int | None:
    """Count one recovery-code try; return the tries used so far, or None when none are left.

    Part of the caller's unit of work (no commit): the try counts only with its outcome.
    """
    taken = db.session.execute(
        update(SecondFactorChallenge)
        .where(*_live(challenge_id, user, purpose))
        .values(recovery_attempts=SecondFactorChallenge.recovery_attempts + 1)
    ).rowcount
    if taken != 1:
        return None
    return db.session.scalar(
        select(SecondFactorChallenge.recovery_attempts).where(SecondFactorChallenge.id == challenge_id)
    )


def end(challenge_id: int | None) -> None:
    """Mark the challenge answered or abandoned; part of the caller's unit of work (no commit)."""
    if challenge_id:
        db.session.execute(
            update(SecondFactorChallenge)
            .where(SecondFactorChallenge.id == challenge_id, SecondFactorChallenge.ended_at.is_(None))
            .values(ended_at=utcnow())
        )
