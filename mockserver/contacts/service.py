"""One function per operation, and the service's half of the duplicate-number rule.

Within a namespace at most one ACTIVE contact holds a number key. Every save — import, create,
update, bulk update, seed — asks the store who holds the numbers it is about to use, inside the
same write transaction that then stores the result, and refuses the taken ones with a reason
(the per-row report, 409). With ``deleted_hold`` (the profile's ``deletedNumbers: kept``) an
INACTIVE contact's number counts as held too. The store's half (``ports.py``): the transaction
is serialised per namespace, a unique index refuses a second holder (``NumberTaken``) and, when
a holder of a legacy-duplicated number leaves it, promotes the next holder so the number keeps
blocking.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from mockserver.contacts.csv_rows import (
    FIELD_TO_COLUMN,
    LENIENT_OPTIONAL,
    CsvColumns,
    CsvFileError,
    read_columns,
)
from mockserver.contacts.model import (
    ACTIVE,
    INACTIVE,
    Caller,
    Contact,
    InvalidField,
    Namespace,
    new_ids,
    new_tuple,
    now_iso,
    org_id_for,
)
from mockserver.contacts.phone import Phone
from mockserver.contacts.ports import ContactsStore, ContactsTransaction, NumberTaken
from mockserver.contacts.rules import (
    DUPLICATE_EXISTING,
    DUPLICATE_IN_FILE,
    DUPLICATE_IN_REQUEST,
    DUPLICATE_REASONS,
    INVALID_FIELD,
    NOT_FOUND,
    REJECT,
    SKIP,
    Candidate,
    ItemRules,
    Rejection,
    changes,
    split,
    with_empty_optional_fields,
)
from mockserver.errors import (
    KORE_CSV_MSG,
    ApiError,
    Conflict,
    ContactNotFound,
    InvalidArguments,
    NumberHeld,
    PayloadTooLarge,
    ValidationError,
)

PHONE_FIELD = "cellPhone.phoneNumber"
# Stores take a 64-bit OFFSET; a larger skip (valid per the spec) pages past the end all the same.
MAX_OFFSET = 2**63 - 1


@dataclass
class SaveOutcome:
    """What a create/import did: the contacts stored and the rows refused."""

    created: list[Contact]
    rejected: list[Rejection]


@dataclass
class BulkOutcome:
    requested: int
    succeeded: list[Contact] = field(default_factory=list)
    failed: list[Rejection] = field(default_factory=list)


@dataclass
class Page:
    contacts: list[Contact]
    skip: int
    limit: int
    total: int

    def to_wire(self) -> dict[str, Any]:
        return {
            "results": [c.to_wire() for c in self.contacts],
            "skip": self.skip,
            "limit": self.limit,
            "hasMore": self.skip + len(self.contacts) < self.total,
            "totalPages": math.ceil(self.total / self.limit),
            "totalResults": self.total,
        }


class RowsRejected(ValidationError):
    """``reject`` policy: one error entry per refused row, nothing stored. 400; when every
    refused row is a duplicate number, the status is the reading ``duplicateCreateStatus``."""

    def __init__(self, rejected: list[Rejection]) -> None:
        super().__init__(
            f"{len(rejected)} row(s) rejected; nothing was created",
            entries=[r.to_report() for r in rejected],
        )
        self.report = [r.to_report() for r in rejected]
        if all(r.reason in DUPLICATE_REASONS for r in rejected):
            self.reading = "duplicateCreateStatus"

    def resolved(self, value: Any) -> ApiError:
        return self if self.reading is None else self._with_status(value)


class ContactsService:
    def __init__(self, store: ContactsStore, rules: ItemRules) -> None:
        self.store = store
        self.rules = rules

    # -- create / import -------------------------------------------------------------------

    def import_csv(
        self,
        ns: Namespace,
        caller: Caller,
        data: bytes,
        *,
        policy: str,
        max_rows: int,
        optional_columns: frozenset[str] = frozenset(),
        deleted_hold: bool = False,
    ) -> SaveOutcome:
        """``optional_columns`` may be missing from the file (``requiredFields: lenient``)."""
        columns = _csv_columns(data, max_rows, optional_columns)
        return self._save(
            ns,
            caller,
            self._column_candidates(columns),
            policy=policy,
            field_name=FIELD_TO_COLUMN.get,
            deleted_hold=deleted_hold,
        )

    def create(
        self,
        ns: Namespace,
        caller: Caller,
        items: list[Any],
        *,
        policy: str,
        deleted_hold: bool = False,
    ) -> SaveOutcome:
        return self._save(
            ns,
            caller,
            self._candidates(enumerate(items, 1), _same, dedupe=True),
            policy=policy,
            field_name=_same,
            deleted_hold=deleted_hold,
        )

    def seed(
        self,
        ns: Namespace,
        caller: Caller,
        items: list[Any],
        *,
        legacy_duplicates: bool,
        deleted_hold: bool = False,
    ) -> SaveOutcome:
        """Control plane: store items; ``legacy_duplicates`` bypasses the rule (pre-rule data).
        Seeded data may leave out salutation and extension (stored empty). ``deleted_hold``:
        soft-deleted contacts keep their numbers, as the profile of the namespace may say."""
        items = [with_empty_optional_fields(item) for item in items]
        if not legacy_duplicates:
            screened = self._candidates(enumerate(items, 1), _same, dedupe=True)
            return self._save(
                ns, caller, screened, policy=SKIP, field_name=_same, deleted_hold=deleted_hold
            )
        return self._seed_legacy(ns, caller, enumerate(items, 1), _same)

    def seed_csv(
        self,
        ns: Namespace,
        caller: Caller,
        data: bytes,
        *,
        legacy_duplicates: bool,
        max_rows: int,
        deleted_hold: bool = False,
    ) -> SaveOutcome:
        """``seed`` from a file in the import's CSV format; rows are reported by CSV column. Its
        salutation and cellPhoneExtension columns may be left out, as a JSON seed's fields."""
        columns = _csv_columns(data, max_rows, LENIENT_OPTIONAL)
        if not legacy_duplicates:
            screened = self._column_candidates(columns)
            return self._save(
                ns,
                caller,
                screened,
                policy=SKIP,
                field_name=FIELD_TO_COLUMN.get,
                deleted_hold=deleted_hold,
            )
        return self._seed_legacy(ns, caller, columns.numbered_items(), FIELD_TO_COLUMN.get)

    def _seed_legacy(
        self,
        ns: Namespace,
        caller: Caller,
        numbered_items: Iterable[tuple[int, Any]],
        field_name: Callable[[str], str | None],
    ) -> SaveOutcome:
        candidates, rejected = self._candidates(numbered_items, field_name, dedupe=False)
        with self.store.write(ns) as tx:
            created = self._new_contacts(ns, caller, candidates)
            tx.insert(created, legacy=True)
        return SaveOutcome(created, rejected)

    def _save(
        self,
        ns: Namespace,
        caller: Caller,
        screened: tuple[list[Candidate], list[Rejection]],
        *,
        policy: str,
        field_name: Callable[[str], str | None],
        deleted_hold: bool = False,
    ) -> SaveOutcome:
        """Store the candidates (``screened``: what ``_candidates`` left, what it refused)."""
        candidates, rejected = screened
        with self.store.write(ns) as tx:
            keys = [c.phone.number_key for c in candidates]
            holders = tx.holders(ns, keys, inactive=deleted_hold)
            accepted = candidates
            if holders:  # the candidates whose numbers are held are refused
                accepted = []
                for candidate in candidates:
                    key = candidate.phone.number_key
                    holder = holders.get(key)
                    if holder is None:
                        accepted.append(candidate)
                        continue
                    rejected.append(
                        Rejection(
                            row=candidate.row,
                            reason=DUPLICATE_EXISTING,
                            msg=f"Row {candidate.row}: phone number {key} already belongs to "
                            f"contact {holder}",
                            field=field_name(PHONE_FIELD),
                            number=key,
                            holder_id=holder,
                        )
                    )
            rejected.sort(key=lambda r: r.row or 0)
            if rejected and policy == REJECT:
                raise RowsRejected(rejected)
            created = self._new_contacts(ns, caller, accepted)
            try:
                tx.insert(created)
            except NumberTaken as exc:  # only reachable if the namespace lock was bypassed
                raise Conflict(f"Phone number {exc.number_key} is already taken") from None
        return SaveOutcome(created, rejected)

    def _candidates(
        self,
        numbered_items: Iterable[tuple[int, Any]],
        field_name: Callable[[str], str | None],
        *,
        dedupe: bool,
    ) -> tuple[list[Candidate], list[Rejection]]:
        """Items that pass the field rules, and the refusals of the others (with ``dedupe``, a
        row repeating an earlier row's number is refused too)."""
        candidates, refused = split(self.rules.candidates(list(numbered_items)))
        rejected = _invalid_rows(refused, field_name)
        if dedupe:
            candidates = _first_of_each_number(candidates, rejected, field_name)
        return candidates, rejected

    def _column_candidates(self, columns: CsvColumns) -> tuple[list[Candidate], list[Rejection]]:
        """``_candidates`` of a file's rows (deduplicated, refusals by CSV column), a whole
        column at a time when every row passes the field rules."""
        candidates, refused = self.rules.column_candidates(columns)
        rejected = _invalid_rows(refused, FIELD_TO_COLUMN.get)
        return _first_of_each_number(candidates, rejected, FIELD_TO_COLUMN.get), rejected

    def _new_contacts(
        self, ns: Namespace, caller: Caller, candidates: list[Candidate]
    ) -> list[Contact]:
        stamp = now_iso()
        account, stream = ns
        org_id, user, aid = org_id_for(account), caller.user_id, caller.aid
        # positional, made at once (``new_tuple``): a 100,000-row import builds 100,000 of these
        return [
            new_tuple(
                Contact,
                (
                    contact_id,
                    account,
                    stream,
                    ACTIVE,
                    first,
                    last,
                    salutation,
                    number_key,
                    country_code,
                    extension,
                    org_id,
                    user,
                    aid,
                    None,
                    None,
                    stamp,
                    stamp,
                ),
            )
            for contact_id, (_, first, last, salutation, (number_key, country_code, extension)) in (
                zip(new_ids(len(candidates)), candidates, strict=True)
            )
        ]

    # -- read ------------------------------------------------------------------------------

    def list(self, ns: Namespace, *, skip: int, limit: int) -> Page:
        contacts, total = self.store.page(ns, skip=min(skip, MAX_OFFSET), limit=limit)
        return Page(contacts, skip, limit, total)

    # -- update ----------------------------------------------------------------------------

    def update(
        self,
        ns: Namespace,
        caller: Caller,
        contact_id: str,
        body: dict[str, Any],
        *,
        deleted_hold: bool = False,
    ) -> Contact:
        """``body`` may echo response fields (ignored); an ``id`` in it must be ``contact_id``."""
        patch = changes(body)
        named = patch.pop("id", contact_id)
        if named != contact_id:
            raise InvalidArguments(
                f"body.id: {named!r} names another contact than the path's {contact_id!r}"
            )
        with self.store.write(ns) as tx:
            return self._apply_patch(tx, ns, caller, contact_id, patch, set(), deleted_hold)

    def bulk_update(
        self,
        ns: Namespace,
        caller: Caller,
        items: list[dict[str, Any]],
        *,
        deleted_hold: bool = False,
    ) -> BulkOutcome:
        """Each item on its own; the successful ones are stored together. Items may echo
        response fields (ignored)."""
        outcome = BulkOutcome(requested=len(items))
        given: set[str] = set()  # numbers this request gave to a contact
        with self.store.write(ns) as tx:
            for item in items:
                patch = {k: v for k, v in changes(item).items() if k != "id"}
                try:
                    updated = self._apply_patch(
                        tx, ns, caller, item["id"], patch, given, deleted_hold
                    )
                except ApiError as exc:
                    outcome.failed.append(_failed_item(item["id"], exc))
                    continue
                outcome.succeeded.append(updated)
        return outcome

    def _apply_patch(
        self,
        tx: ContactsTransaction,
        ns: Namespace,
        caller: Caller,
        contact_id: str,
        patch: dict[str, Any],
        given: set[str],
        deleted_hold: bool = False,
    ) -> Contact:
        """Change one contact; a new number must not be held by another ACTIVE contact."""
        try:
            phone = self._patch_phone(patch)
        except InvalidField as exc:
            raise _refusal(InvalidArguments, INVALID_FIELD, f"{exc.field}: {exc.msg}") from None
        current = tx.get_active(ns, contact_id)
        if current is None:
            raise _refusal(ContactNotFound, NOT_FOUND, f"Contact {contact_id} not found")
        if phone is not None and phone.number_key != current.phone_number:
            key = phone.number_key
            holder = tx.holders(ns, [key], inactive=deleted_hold).get(key)
            if holder is not None:
                raise _refusal(
                    NumberHeld,
                    DUPLICATE_IN_REQUEST if key in given else DUPLICATE_EXISTING,
                    f"Phone number {key} already belongs to contact {holder}",
                    number=key,
                    holder_id=holder,
                )
        updated = _patched(current, patch, phone, caller)
        try:
            tx.update(updated, previous=current)
        except NumberTaken as exc:  # only reachable if the namespace lock was bypassed
            raise _refusal(
                Conflict, DUPLICATE_EXISTING, f"Phone number {exc.number_key} is already taken"
            ) from None
        if updated.phone_number != current.phone_number:
            given.add(updated.phone_number)
        return updated

    def _patch_phone(self, patch: dict[str, Any]) -> Phone | None:
        if "cellPhone" not in patch:
            return None
        return self.rules.phone(patch["cellPhone"])

    # -- delete ----------------------------------------------------------------------------

    def delete(self, ns: Namespace, caller: Caller, contact_id: str) -> Contact:
        with self.store.write(ns) as tx:
            current = tx.get_active(ns, contact_id)
            if current is None:  # as an update of an unknown id answers: with its reason
                raise _refusal(ContactNotFound, NOT_FOUND, f"Contact {contact_id} not found")
            deleted = _deleted(current, caller)
            tx.update(deleted, previous=current)
        return deleted

    def bulk_delete(self, ns: Namespace, caller: Caller, ids: list[str]) -> BulkOutcome:
        outcome = BulkOutcome(requested=len(ids))
        with self.store.write(ns) as tx:
            for contact_id in ids:
                current = tx.get_active(ns, contact_id)
                if current is None:
                    outcome.failed.append(
                        Rejection(
                            row=None,
                            id=contact_id,
                            reason=NOT_FOUND,
                            msg=f"Contact {contact_id} not found",
                        )
                    )
                    continue
                deleted = _deleted(current, caller)
                tx.update(deleted, previous=current)
                outcome.succeeded.append(deleted)
        return outcome


def _csv_columns(data: bytes, max_rows: int, optional: frozenset[str]) -> CsvColumns:
    """An import file's rows, or the file's one error as an ApiError."""
    try:
        return read_columns(data, max_rows=max_rows, optional=optional)
    except CsvFileError as exc:
        if exc.too_large:
            raise PayloadTooLarge(exc.msg) from None
        raise ValidationError(f"{KORE_CSV_MSG}: {exc.msg}") from None


def _invalid_rows(
    refused: list[tuple[int, InvalidField]], field_name: Callable[[str], str | None]
) -> list[Rejection]:
    """The rows the field rules refused, as the per-row report shows them: the field by the
    name the request gave it (a file's column, ``cellPhoneNumber``, not ``cellPhone.phoneNumber``),
    in ``field`` and in the message."""
    rejected = []
    for row, error in refused:
        field, msg = field_name(error.field) or error.field, error.msg
        if field != error.field and msg.startswith(error.field + ": "):
            msg = field + msg[len(error.field) :]
        rejected.append(
            Rejection(
                row=row,
                reason=INVALID_FIELD,
                msg=f"Row {row}: {msg}",
                field=field,
                number=error.number,
            )
        )
    return rejected


def _first_of_each_number(
    candidates: list[Candidate], rejected: list[Rejection], field_name: Callable[[str], str | None]
) -> list[Candidate]:
    """The candidates whose number no earlier one of the same request has; each later one is
    refused (added to ``rejected``)."""
    keys = [c.phone.number_key for c in candidates]
    if len(set(keys)) == len(keys):
        return candidates
    first_row: dict[str, int] = {}
    kept: list[Candidate] = []
    for candidate, key in zip(candidates, keys, strict=True):
        row = candidate.row
        if key in first_row:
            rejected.append(
                Rejection(
                    row=row,
                    reason=DUPLICATE_IN_FILE,
                    msg=f"Row {row}: phone number {key} repeats row {first_row[key]}",
                    field=field_name(PHONE_FIELD),
                    number=key,
                )
            )
            continue
        first_row[key] = row
        kept.append(candidate)
    return kept


def _refusal(kind: type[ApiError], reason: str, msg: str, **details: str) -> ApiError:
    """An ApiError of ``kind`` that also says why, for bulk operations' failedRecords."""
    if kind is InvalidArguments:
        error: ApiError = InvalidArguments(msg)
    else:
        entry = {
            "msg": msg,
            "reason": reason,
            "number": details.get("number"),
            "holderId": details.get("holder_id"),
        }
        error = kind(msg, entries=[entry])
    error.reason = reason  # type: ignore[attr-defined]
    error.details = details  # type: ignore[attr-defined]
    return error


def _failed_item(contact_id: str, error: ApiError) -> Rejection:
    details = getattr(error, "details", {})
    return Rejection(
        row=None,
        id=contact_id,
        reason=getattr(error, "reason", INVALID_FIELD),
        msg=getattr(error, "detail", error.msg),
        field=PHONE_FIELD if "number" in details else None,
        number=details.get("number"),
        holder_id=details.get("holder_id"),
    )


def _same(name: str) -> str:
    return name


def _patched(
    current: Contact, patch: dict[str, Any], phone: Phone | None, caller: Caller
) -> Contact:
    fields: dict[str, Any] = {
        "updated_by": caller.user_id,
        "updated_by_aid": caller.aid,
        "updated_at": now_iso(),
    }
    for wire, attr in (
        ("firstName", "first_name"),
        ("lastName", "last_name"),
        ("salutation", "salutation"),
    ):
        if wire in patch:
            fields[attr] = patch[wire]
    if phone is not None:
        fields.update(
            phone_number=phone.number_key,
            country_code=phone.country_code,
            extension=phone.extension,
        )
    return current.changed(**fields)


def _deleted(current: Contact, caller: Caller) -> Contact:
    return current.changed(
        status=INACTIVE,
        updated_by=caller.user_id,
        updated_by_aid=caller.aid,
        updated_at=now_iso(),
    )
