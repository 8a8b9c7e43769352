"""Numbered pages of a query: fetch one row more than shown to know if there's a next."""

from dataclasses import dataclass

from sqlalchemy import Select

from app.extensions import db

MAX_PAGE = 100_000


@dataclass(frozen=True)
class Page:
    """One page of rows and where it sits."""

    items: list
    number: int
    has_next: bool

    @property
    def has_prev(self) -> bool:
        return self.number > 1


def page_number(raw: str | None) -> int:
    """Read a 1-based page number from a query argument, defaulting to 1."""
    try:
        return min(max(int(raw or 1), 1), MAX_PAGE)
    except ValueError:
        return 1


def fetch(stmt: Select, number: int, per_page: int) -> Page:
    """Run stmt for page number and return its rows."""
    rows = db.session.execute(stmt.limit(per_page + 1).offset((number - 1) * per_page)).all()
    return Page(items=rows[:per_page], number=number, has_next=len(rows) > per_page)
