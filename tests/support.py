"""Plain test helpers: constants and functions with no fixtures (those live in conftest.py)."""


class FixtureValue:
    """A settings value only known once a fixture runs: getattr(fixture, attr), e.g. a private server's URL."""

    def __init__(self, fixture: str, attr: str) -> None:
        self.fixture, self.attr = fixture, attr
