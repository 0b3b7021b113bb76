"""A namespace's contacts as a CSV file in the import's format (so it can be imported again)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable

from mockserver.contacts.csv_rows import COLUMNS
from mockserver.contacts.model import Contact

EXPORT_COLUMNS = (*COLUMNS, "id", "status", "createdAt")
_UNSAFE_IN_FILENAME = re.compile(r"[^A-Za-z0-9._-]")


def csv_attachment(stream_id: str) -> str:
    """The export's Content-Disposition: the stream id names the file, any character a header
    or a file system would not take (a line end, a quote, a slash) made ``_``."""
    return f'attachment; filename="{_UNSAFE_IN_FILENAME.sub("_", stream_id)}.csv"'


def contacts_csv(contacts: Iterable[Contact]) -> str:
    """The import's six columns (number without its country code), then id, status, createdAt."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(EXPORT_COLUMNS)
    for c in contacts:
        number = c.phone_number.removeprefix(c.country_code)
        writer.writerow(
            (
                c.first_name,
                c.last_name,
                c.salutation,
                number,
                c.country_code,
                c.extension,
                c.id,
                c.status,
                c.created_at,
            )
        )
    return out.getvalue()
