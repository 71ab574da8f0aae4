"""``LOG_FORMAT=json``: one JSON object per line, for log shippers (Flagsmith's variable)."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "timestamp": datetime.fromtimestamp(record.created, tz=UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process,
        }
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        # Anything passed with ``extra=`` is kept, as a shipper would want it.
        entry.update({key: value for key, value in record.__dict__.items() if key not in _STANDARD})
        return json.dumps(entry, default=str)
