"""Logging guards: some libraries print secrets (codes, phone numbers) in their DEBUG records."""

import logging


class DropDebugRecords(logging.Filter):
    """Let through only records above DEBUG, whatever level the logger is set to."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno > logging.DEBUG


def drop_debug_records(logger_name: str) -> None:
    """Guard a library's logger; a filter holds even when logging config sets it to DEBUG."""
    logger = logging.getLogger(logger_name)
    if not any(isinstance(f, DropDebugRecords) for f in logger.filters):
        logger.addFilter(DropDebugRecords())
