"""Structures: identifiers (S1, S2), the public picker (S4), requests and their review (S3), membership (S5)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, case, delete, distinct, func, insert, intersect, select, true, union_all
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Select
from sqlalchemy.sql.selectable import ScalarSelect
from stdnum.exceptions import ValidationError
from stdnum.fr import siret as stdnum_siret

from parcourspro_gql.auth.viewer import Viewer
from parcourspro_gql.clock import clock
from parcourspro_gql.domain import audit, naf, years
from parcourspro_gql.domain.base import get_or_refuse, require_manager, required_reason, settings_of
from parcourspro_gql.domain.errors import DomainError, ErrorCode
from parcourspro_gql.domain.ids import structure_global_id
from parcourspro_gql.domain.notifications import About, notify
from parcourspro_gql.domain.search import MAX_SEARCH_WORDS, search_words
from parcourspro_gql.loaders.pagination import Keyed, past_cursor, windowed_page
from parcourspro_gql.mail.outbox import enqueue
from parcourspro_gql.models import (
    Account,
    AccountRole,
    AffiliationStatus,
    Membership,
    NotificationKind,
    Role,
    Structure,
    StructureChange,
    StructureSearchTerm,
    StructureSearchTermCount,
    StructureStatus,
)
from parcourspro_gql.models._types import in_ids, normalize_search, search_terms


@dataclass(frozen=True)
class AddressData:
    street: str
    postal_code: str
    city: str


def search_text(name: str, siret: str, city: str) -> str:
    """What the search column of a structure stores: name, SIRET and city, without case or accents."""
    return normalize_search(f"{name} {siret} {city}")


def check_siret(raw: str, field: str = "siret") -> str:
    """S1: 14 digits once spaces are removed, valid for python-stdnum (Luhn, La Poste's rule)."""
    compact = stdnum_siret.compact(raw)
    try:
        return str(stdnum_siret.validate(compact))
    except ValidationError as error:
        raise DomainError(
            ErrorCode.INVALID_SIRET, "Numéro SIRET invalide : vérifiez les 14 chiffres.", field
        ) from error


def check_ape(raw: str, field: str = "apeCode") -> str:
    """S2: NN.NNX (dot optional, letter upper-cased), present in the NAF version in force."""
    code = naf.normalize(raw)
    if code is None or naf.label(code, clock.now().date()) is None:
        version = naf.version_on(clock.now().date()).name
        raise DomainError(
            ErrorCode.INVALID_APE_CODE, f"Code APE inconnu de la nomenclature {version}.", field
        )
    return code


def _text(value: str, field: str, maximum: int, minimum: int = 1) -> str:
    value = " ".join(value.split())
    if not minimum <= len(value) <= maximum:
        raise DomainError(
            ErrorCode.INVALID_INPUT, f"Ce champ doit compter de {minimum} à {maximum} caractères.", field
        )
    return value


def check_address(address: AddressData) -> AddressData:
    postal_code = address.postal_code.replace(" ", "")
    if not (len(postal_code) == 5 and postal_code.isdigit()):
        raise DomainError(ErrorCode.INVALID_INPUT, "Code postal invalide (5 chiffres).", "address.postalCode")
    return AddressData(
        street=_text(address.street, "address.street", 200),
        postal_code=postal_code,
        city=_text(address.city, "address.city", 100),
    )


def can_view(viewer: Viewer, structure: Structure) -> bool:
    """Validated structures are public; others only to managers, their requester and their own accounts."""
    if structure.status is StructureStatus.VALIDATED or viewer.is_manager:
        return True
    if viewer.account_id is None:
        return False
    return structure.requested_by_id == viewer.account_id or structure.id == viewer.structure_id


def public_search(search: str | None) -> Select[Any]:
    """S4: validated structures with, for every word of `search`, a word of their name, SIRET or city that
    starts with it ("pess" finds Pessac, "839527660" a SIRET by its SIREN). Each word is an index range scan
    of the search terms; case and accents are ignored."""
    statement = select(Structure).where(Structure.status == StructureStatus.VALIDATED)
    found = _matches(search)
    if found is not None:
        # The matches by primary key (`in_ids`, an id list computed once), not a walk of every validated
        # structure in name order probing the terms of each (1,685 probes for "pessac", 20 ms). A page with
        # its count comes from search_keyed instead.
        statement = statement.where(in_ids(Structure.id, select(found.c.structure_id).scalar_subquery()))
    return statement


# A search's totalCount is exact up to this many matches, read from the terms' index and never more; above
# it, an estimate from the terms' counts, flagged (Connection.totalCountIsEstimate; docs/decisions.md).
EXACT_COUNT_LIMIT = 500
SEARCH_ORDER = (Structure.name, Structure.id)
# A prefix's terms are walked one by one when its first WALK_SAMPLE terms hold more than WALK_FROM structures
# each on average (an index probe per term costs about as much as reading that many matches); otherwise its
# matches are read.
WALK_FROM, WALK_SAMPLE = 8, 64


def search_keyed(search: str | None, dialect: str) -> Keyed | None:
    """How a page of `public_search` and its count are read from the terms' index (each term carries its
    structure's name), whatever the number of matches; only the page's structures are then fetched. None
    without search words. The structures that are not validated (the managers' queue and the rejected, a
    few) are set aside by a hashed list of their ids."""
    words = sorted(search_terms(" ".join(search_words(search))))
    if not words:
        return None
    if len(words) > 1:
        return _several_words(search)
    word = words[0]
    return Keyed(
        page=lambda limit, after, total: _one_word_page(word, limit, after, total, dialect == "postgresql"),
        total=lambda: select(_one_word_total(word)),
        # Exact counts stop at EXACT_COUNT_LIMIT; an estimate (the terms' counts) is always above it.
        estimate=lambda count: count > EXACT_COUNT_LIMIT,
    )


def _not_validated() -> Select[Any]:
    others = [status for status in StructureStatus if status is not StructureStatus.VALIDATED]
    return select(Structure.id).where(Structure.status.in_(others))


def _one_word_page(word: str, limit: int, after: bool, total: bool, walk: bool) -> Select[Any]:
    """At most `limit + 1` structures with a term starting with `word`, in name order after the cursor.

    Every match, grouped to drop a structure's repeats (two terms with the prefix), when the prefix's terms
    hold few matches each (SIRETs: "3" is a thousand terms of one structure). Otherwise on PostgreSQL (`walk`)
    term by term: the prefix's distinct terms from their counts, then for each an index range of (term, name,
    structure_id) stopping at `limit + 1` rows after the cursor, merged and rid of repeats. The first `limit
    + 1` of that union are the page's: a structure of the page has fewer than `limit + 1` matches before it,
    so it is among its own term's first `limit + 1`. It reads a few rows per term, not every match ("pessac":
    11 of 2,000). Both ways are in the statement, one switched off by a one-time condition on the counts.
    """
    term, counts = StructureSearchTerm, StructureSearchTermCount
    kept = term.structure_id.not_in(_not_validated())
    cursor = past_cursor((term.name, term.structure_id), SEARCH_ORDER) if after else true()
    keys = cast(Select[Any], select(term.structure_id.label("id"), term.name.label("name")))
    grouped = keys.where(term.term >= word, term.term < word + "{", kept, cursor).group_by(
        term.structure_id, term.name
    )
    page: Select[Any]
    if not walk:
        page = grouped.order_by(term.name, term.structure_id).limit(limit + 1)
    else:
        in_range = (counts.term >= word, counts.term < word + "{")
        # Decided on the prefix's first terms (a bounded read): their structures per term.
        first_terms = select(counts.structures).where(*in_range).limit(WALK_SAMPLE).subquery("first_terms")
        dense = select(
            func.coalesce(func.sum(first_terms.c.structures), 0) > func.count() * WALK_FROM
        ).scalar_subquery()
        terms = select(counts.term).where(*in_range, dense).subquery("terms")
        each = keys.where(term.term == terms.c.term, kept, cursor)
        per_term = each.order_by(term.name, term.structure_id).limit(limit + 1).lateral("per_term")
        walked = select(per_term.c.id, per_term.c.name).select_from(terms).join(per_term, true()).distinct()
        either = union_all(
            walked.order_by(per_term.c.name, per_term.c.id).limit(limit + 1),
            grouped.where(~dense).order_by(term.name, term.structure_id).limit(limit + 1),
        ).subquery("either")
        page = select(either).order_by(either.c.name, either.c.id).limit(limit + 1)
    if not total:
        return page
    # The count as an uncorrelated scalar subquery: computed once (an InitPlan on PostgreSQL), not per row.
    paged = page.subquery("page")
    return select(paged, _one_word_total(word).label("total_count"))


def _one_word_total(word: str) -> ScalarSelect[Any]:
    """The search's count: exact up to EXACT_COUNT_LIMIT matches (the distinct structures of at most that
    many index entries of the terms, and one more to know there are more); above it, the sum of the prefix's
    terms' counts, an estimate (every structure of any status with such a term, once per term), which is then
    above the limit too."""
    term, counts = StructureSearchTerm, StructureSearchTermCount
    capped = (
        select(term.structure_id)
        .where(term.term >= word, term.term < word + "{", term.structure_id.not_in(_not_validated()))
        .limit(EXACT_COUNT_LIMIT + 1)
        .subquery("capped")
    )
    read = select(
        func.count().label("entries"), func.count(distinct(capped.c.structure_id)).label("structures")
    ).subquery("read")
    estimate = (
        select(func.coalesce(func.sum(counts.structures), 0))
        .where(counts.term >= word, counts.term < word + "{")
        .scalar_subquery()
    )
    over = read.c.entries > EXACT_COUNT_LIMIT
    return select(case((over, estimate), else_=read.c.structures)).scalar_subquery()


def _several_words(search: str | None) -> Keyed:
    """Several words: the structures with a term starting with each (an INTERSECT of the words' ranges),
    counted exactly with the page, every match read (correctness first: few searches have several words)."""
    found = _matches(search)
    keys = select(found.c.structure_id.label("id"), found.c.name.label("name")).where(
        found.c.structure_id.not_in(_not_validated())
    )

    def page(limit: int, after: bool, total: bool) -> Select[Any]:
        if total:
            return windowed_page(keys, SEARCH_ORDER, limit, after)
        narrow = keys.subquery("keys")
        ordered = [narrow.c.name, narrow.c.id]
        statement = select(narrow)
        if after:
            statement = statement.where(past_cursor(ordered, SEARCH_ORDER))
        return statement.order_by(*ordered).limit(limit + 1)

    def total() -> Select[Any]:
        return select(func.count()).select_from(keys.subquery("keys"))

    return Keyed(page=page, total=total)


def _matches(search: str | None) -> Any:
    """(structure_id, name) of the structures with a term starting with each word (one INTERSECT of the
    words' lists, which also drops a structure's repeats), as a subquery; None without words."""
    # Terms are made of [0-9a-z]: "{" sorts right after "z", so [word, word + "{") holds every extension.
    terms = sorted(search_terms(" ".join(search_words(search))))
    if len(terms) > MAX_SEARCH_WORDS:  # "a-b-c-d..." is one word typed, many terms
        raise DomainError(
            ErrorCode.INVALID_INPUT, f"Recherche trop longue : {MAX_SEARCH_WORDS} mots au plus.", "search"
        )
    matches = [
        select(StructureSearchTerm.structure_id, StructureSearchTerm.name).where(
            StructureSearchTerm.term >= word, StructureSearchTerm.term < word + "{"
        )
        for word in terms
    ]
    if not matches:
        return None
    return (intersect(*matches) if len(matches) > 1 else matches[0].distinct()).subquery()


async def index_terms(session: AsyncSession, structures: Iterable[Structure | tuple[int, str, str]]) -> None:
    """Writes the search terms of structures (rows, or (id, search text, name) triples) whose search text is
    new or changed (the search text holds the name: a new name is a new search text), and moves the terms'
    counts by the difference: one upsert, its terms in order (concurrent writers lock them in one order)."""
    triples = [
        (item.id, item.search_text, item.name) if isinstance(item, Structure) else item for item in structures
    ]
    removed = (
        await session.scalars(
            delete(StructureSearchTerm)
            .where(StructureSearchTerm.structure_id.in_([pk for pk, _, _ in triples]))
            .returning(StructureSearchTerm.term)
        )
    ).all()
    rows = [
        {"term": term, "structure_id": pk, "name": name}
        for pk, text, name in triples
        for term in search_terms(text)
    ]
    if rows:
        await session.execute(insert(StructureSearchTerm), rows)
    delta = Counter(row["term"] for row in rows)
    delta.subtract(removed)
    moved = [{"term": term, "structures": by} for term, by in sorted(delta.items()) if by]
    if moved:
        counts = cast(Table, StructureSearchTermCount.__table__)
        dialect = session.get_bind().dialect.name
        upsert = (postgresql_insert if dialect == "postgresql" else sqlite_insert)(counts)
        added = counts.c.structures + upsert.excluded.structures
        await session.execute(
            upsert.on_conflict_do_update(index_elements=[counts.c.term], set_={"structures": added}), moved
        )


def pending_structures() -> Select[Any]:
    """S3: requests awaiting a manager, for the dashboard (ordered by the caller, oldest first)."""
    return select(Structure).where(Structure.status == StructureStatus.PENDING)


def _require_verified(viewer: Viewer) -> None:
    if not viewer.email_verified:
        raise DomainError(ErrorCode.EMAIL_NOT_VERIFIED, "Confirmez d'abord votre adresse e-mail.")


async def _managers(session: AsyncSession) -> list[Account]:
    return list(
        await session.scalars(
            select(Account)
            .join(AccountRole, AccountRole.account_id == Account.id)
            .where(AccountRole.role == Role.MANAGER, Account.disabled_at.is_(None))
            .order_by(Account.id)
        )
    )


async def request_structure(
    session: AsyncSession, viewer: Viewer, *, name: str, siret: str, ape_code: str, address: AddressData
) -> Structure:
    """S1-S3: the caller asks for his missing structure; it waits for a manager."""
    _require_verified(viewer)
    if viewer.affiliation_status in {AffiliationStatus.ACTIVE, AffiliationStatus.PENDING}:
        raise DomainError(ErrorCode.ALREADY_AFFILIATED, "Vous êtes déjà rattaché à une structure.")
    name = _text(name, "name", 200, 2)
    siret = check_siret(siret)
    ape_code = check_ape(ape_code)
    address = check_address(address)
    existing = await session.scalar(
        select(Structure).where(Structure.siret == siret, Structure.status != StructureStatus.REJECTED)
    )
    if existing is not None:
        if existing.status is StructureStatus.VALIDATED:
            message = (
                f"Ce SIRET est déjà enregistré pour « {existing.name} » "
                f"(identifiant {structure_global_id(existing.id)}) : demandez à la rejoindre."
            )
        else:
            message = "Une demande de création est déjà en cours pour ce SIRET."
        raise DomainError(ErrorCode.SIRET_ALREADY_REGISTERED, message, "siret")
    if await session.scalar(
        select(Structure.id).where(
            Structure.requested_by_id == viewer.account_id, Structure.status == StructureStatus.PENDING
        )
    ):
        raise DomainError(ErrorCode.INVALID_INPUT, "Vous avez déjà une demande de structure en attente.")
    settings = settings_of(session)
    now = clock.now()
    structure = Structure(
        name=name,
        siret=siret,
        ape_code=ape_code,
        street=address.street,
        postal_code=address.postal_code,
        city=address.city,
        status=StructureStatus.PENDING,
        search_text=search_text(name, siret, address.city),
        requested_at=now,
        requested_by_id=viewer.account_id,
    )
    session.add(structure)
    await session.flush()
    await index_terms(session, [structure])
    requester = await session.get(Account, viewer.account_id)
    assert requester is not None
    await audit.record(
        session,
        viewer,
        entity_type="Structure",
        entity_id=structure.id,
        action="structure.request",
        to_state=StructureStatus.PENDING,
    )
    context = {
        "structure_name": name,
        "siret": siret,
        "ape_code": ape_code,
        "ape_label": naf.label_any(ape_code),
        "street": address.street,
        "postal_code": address.postal_code,
        "city": address.city,
        "deadline_hours": settings.review_deadline_hours,
        "requester_name": f"{requester.first_name} {requester.last_name}",
        "requester_email": requester.email,
    }
    await enqueue(
        session,
        to=requester.email,
        template="structure_request_received",
        context={**context, "first_name": requester.first_name},
    )
    for manager in await _managers(session):
        await notify(
            session,
            manager,
            NotificationKind.STRUCTURE_TO_VALIDATE,
            template="structure_request_to_review",
            context=context,
            about=About(structure_id=structure.id),
        )
    return structure


async def _pending_for_manager(session: AsyncSession, viewer: Viewer, structure_id: int) -> Structure:
    require_manager(viewer)
    structure = await get_or_refuse(
        session, Structure, structure_id, "structureId", "Structure introuvable.", for_update=True
    )
    if structure.status is not StructureStatus.PENDING:
        raise DomainError(ErrorCode.INVALID_TRANSITION, "Cette demande a déjà été traitée.", "structureId")
    return structure


async def validate_structure(session: AsyncSession, viewer: Viewer, structure_id: int) -> Structure:
    """S3: a manager validates; the requester becomes the structure's first account, active and REFERENT."""
    structure = await _pending_for_manager(session, viewer, structure_id)
    now = clock.now()
    structure.status, structure.decided_at, structure.decided_by_id = (
        StructureStatus.VALIDATED,
        now,
        viewer.account_id,
    )
    await audit.record(
        session,
        viewer,
        entity_type="Structure",
        entity_id=structure.id,
        action="structure.validate",
        from_state=StructureStatus.PENDING,
        to_state=StructureStatus.VALIDATED,
        actor_role=Role.MANAGER.value,
    )
    requester = await session.get(Account, structure.requested_by_id) if structure.requested_by_id else None
    if requester is not None and requester.affiliation_status not in {
        AffiliationStatus.ACTIVE,
        AffiliationStatus.PENDING,
    }:
        previous = requester.affiliation_status
        requester.structure_id, requester.affiliation_status = structure.id, AffiliationStatus.ACTIVE
        requester.affiliation_requested_at = requester.affiliation_requested_at or structure.requested_at
        requester.affiliation_decided_at = now
        session.add(
            AccountRole(
                account_id=requester.id, role=Role.REFERENT, granted_at=now, granted_by_id=viewer.account_id
            )
        )
        await audit.record(
            session,
            viewer,
            entity_type="Account",
            entity_id=requester.id,
            action="affiliation.first_account",
            from_state=previous,
            to_state=AffiliationStatus.ACTIVE,
            data={"structure_id": structure.id, "role": "REFERENT"},
        )
    if requester is not None:
        await notify(
            session,
            requester,
            NotificationKind.STRUCTURE_DECIDED,
            template="structure_validated",
            context={"structure_name": structure.name},
            about=About(structure_id=structure.id),
        )
    return structure


async def reject_structure(
    session: AsyncSession, viewer: Viewer, structure_id: int, reason: str | None
) -> Structure:
    """S3: a manager rejects, with a reason that the requester receives."""
    structure = await _pending_for_manager(session, viewer, structure_id)
    reason = required_reason(reason)
    structure.status, structure.decided_at, structure.decided_by_id = (
        StructureStatus.REJECTED,
        clock.now(),
        viewer.account_id,
    )
    structure.rejection_reason = reason
    await audit.record(
        session,
        viewer,
        entity_type="Structure",
        entity_id=structure.id,
        action="structure.reject",
        from_state=StructureStatus.PENDING,
        to_state=StructureStatus.REJECTED,
        reason=reason,
        actor_role=Role.MANAGER.value,
    )
    requester = await session.get(Account, structure.requested_by_id) if structure.requested_by_id else None
    if requester is not None:
        await notify(
            session,
            requester,
            NotificationKind.STRUCTURE_DECIDED,
            template="structure_rejected",
            context={"structure_name": structure.name, "reason": reason},
            about=About(structure_id=structure.id),
        )
    return structure


async def grant_membership(session: AsyncSession, viewer: Viewer, structure_id: int, year: int) -> Structure:
    """S5: a manager grants the membership of one calendar year (idempotent; a revoked one is restored)."""
    require_manager(viewer)
    structure = await get_or_refuse(session, Structure, structure_id, "structureId", "Structure introuvable.")
    if structure.status is not StructureStatus.VALIDATED:
        raise DomainError(
            ErrorCode.STRUCTURE_NOT_VALIDATED, "La structure n'est pas encore validée.", "structureId"
        )
    current = years.current_year()  # G11: the calendar year in Paris
    if not current - 1 <= year <= current + 1:
        raise DomainError(
            ErrorCode.INVALID_INPUT,
            f"Année d'adhésion attendue entre {current - 1} et {current + 1}.",
            "year",
        )
    membership = await session.scalar(
        select(Membership).where(Membership.structure_id == structure.id, Membership.year == year)
    )
    now = clock.now()
    if membership is None:
        session.add(
            Membership(structure_id=structure.id, year=year, granted_at=now, granted_by_id=viewer.account_id)
        )
    elif membership.revoked_at is not None:
        membership.revoked_at = membership.revoked_by_id = membership.revocation_reason = None
        membership.granted_at, membership.granted_by_id = now, viewer.account_id
    else:
        return structure
    await audit.record(
        session,
        viewer,
        entity_type="Structure",
        entity_id=structure.id,
        action="membership.grant",
        to_state=str(year),
        actor_role=Role.MANAGER.value,
    )
    return structure


async def revoke_membership(
    session: AsyncSession, viewer: Viewer, structure_id: int, year: int, reason: str | None
) -> Structure:
    """S5: a manager withdraws a year's membership, with a reason."""
    require_manager(viewer)
    structure = await get_or_refuse(session, Structure, structure_id, "structureId", "Structure introuvable.")
    reason = required_reason(reason, "du retrait")
    membership = await session.scalar(
        select(Membership).where(
            Membership.structure_id == structure.id, Membership.year == year, Membership.revoked_at.is_(None)
        )
    )
    if membership is None:
        raise DomainError(
            ErrorCode.INVALID_TRANSITION, f"La structure n'est pas adhérente pour {year}.", "year"
        )
    membership.revoked_at, membership.revoked_by_id, membership.revocation_reason = (
        clock.now(),
        viewer.account_id,
        reason,
    )
    await audit.record(
        session,
        viewer,
        entity_type="Structure",
        entity_id=structure.id,
        action="membership.revoke",
        from_state=str(year),
        reason=reason,
        actor_role=Role.MANAGER.value,
    )
    return structure


@dataclass(frozen=True)
class ChangeData:
    """What a referent proposes; None keeps the current value."""

    name: str | None = None
    ape_code: str | None = None
    address: AddressData | None = None


async def propose_change(
    session: AsyncSession, viewer: Viewer, structure_id: int, data: ChangeData
) -> StructureChange:
    """A referent proposes new name, address or APE code for his structure (never the SIRET); a manager decides."""
    if not (viewer.active_structure_id == structure_id and viewer.has_role(Role.REFERENT)):
        raise DomainError(
            ErrorCode.FORBIDDEN, "Seul un référent de la structure peut en proposer la modification."
        )
    structure = await session.get(Structure, structure_id, with_for_update=True)
    if structure is None or structure.status is not StructureStatus.VALIDATED:
        raise DomainError(ErrorCode.STRUCTURE_NOT_VALIDATED, "La structure n'est pas validée.", "structureId")
    name = _text(data.name, "name", 200, 2) if data.name is not None else None
    ape_code = check_ape(data.ape_code) if data.ape_code is not None else None
    address = check_address(data.address) if data.address is not None else None
    change = StructureChange(
        structure_id=structure.id,
        requested_by_id=viewer.account_id,
        requested_at=clock.now(),
        name=name if name != structure.name else None,
        ape_code=ape_code if ape_code != structure.ape_code else None,
        street=address.street if address else None,
        postal_code=address.postal_code if address else None,
        city=address.city if address else None,
        status=StructureStatus.PENDING,
    )
    if address and (address.street, address.postal_code, address.city) == (
        structure.street,
        structure.postal_code,
        structure.city,
    ):
        change.street = change.postal_code = change.city = None
    if change.name is None and change.ape_code is None and change.street is None:
        raise DomainError(ErrorCode.INVALID_INPUT, "Aucune modification par rapport aux données actuelles.")
    if await session.scalar(
        select(StructureChange.id).where(
            StructureChange.structure_id == structure.id, StructureChange.status == StructureStatus.PENDING
        )
    ):
        raise DomainError(
            ErrorCode.INVALID_TRANSITION, "Une modification de cette structure attend déjà une décision."
        )
    session.add(change)
    await session.flush()
    await audit.record(
        session,
        viewer,
        entity_type="StructureChange",
        entity_id=change.id,
        action="structure.change_propose",
        to_state=StructureStatus.PENDING,
        actor_role=Role.REFERENT.value,
        data={"structure_id": structure.id},
    )
    requester = await session.get(Account, viewer.account_id)
    assert requester is not None
    lines = _change_lines(structure, change)
    for manager in await _managers(session):
        await notify(
            session,
            manager,
            NotificationKind.STRUCTURE_TO_VALIDATE,
            about=About(structure_id=structure.id),
            template="structure_change_to_review",
            context={
                "structure_name": structure.name,
                "requester_name": f"{requester.first_name} {requester.last_name}",
                "changes": lines,
            },
        )
    return change


def _change_lines(structure: Structure, change: StructureChange) -> list[tuple[str, str, str]]:
    lines = []
    if change.name is not None:
        lines.append(("Nom", structure.name, change.name))
    if change.ape_code is not None:
        lines.append(("Code APE", structure.ape_code, change.ape_code))
    if change.street is not None:
        before = f"{structure.street}, {structure.postal_code} {structure.city}"
        lines.append(("Adresse", before, f"{change.street}, {change.postal_code} {change.city}"))
    return lines


async def _decide_change(
    session: AsyncSession, viewer: Viewer, change_id: int, approve: bool, reason: str | None
) -> StructureChange:
    require_manager(viewer)
    change = await get_or_refuse(
        session, StructureChange, change_id, "changeId", "Modification introuvable.", for_update=True
    )
    if change.status is not StructureStatus.PENDING:
        raise DomainError(ErrorCode.INVALID_TRANSITION, "Cette modification a déjà été traitée.", "changeId")
    reason = None if approve else required_reason(reason)
    structure = await session.get(Structure, change.structure_id, with_for_update=True)
    assert structure is not None
    change.status = StructureStatus.VALIDATED if approve else StructureStatus.REJECTED
    change.decided_by_id, change.decided_at, change.rejection_reason = viewer.account_id, clock.now(), reason
    if approve:
        structure.name = change.name or structure.name
        structure.ape_code = change.ape_code or structure.ape_code
        if change.street is not None:
            # An address is proposed whole (street, postal code, city); the columns are not nullable.
            structure.street = change.street
            structure.postal_code = change.postal_code or structure.postal_code
            structure.city = change.city or structure.city
        structure.search_text = search_text(structure.name, structure.siret, structure.city)
        await index_terms(session, [structure])
    await audit.record(
        session,
        viewer,
        entity_type="StructureChange",
        entity_id=change.id,
        action="structure.change_approve" if approve else "structure.change_reject",
        from_state=StructureStatus.PENDING,
        to_state=change.status,
        reason=reason,
        actor_role=Role.MANAGER.value,
        data={"structure_id": structure.id},
    )
    requester = await session.get(Account, change.requested_by_id) if change.requested_by_id else None
    if requester is not None:
        await notify(
            session,
            requester,
            NotificationKind.STRUCTURE_DECIDED,
            about=About(structure_id=structure.id),
            template="structure_change_decided",
            context={
                "structure_name": structure.name,
                "approved": approve,
                "reason": reason,
            },
        )
    return change


async def approve_change(session: AsyncSession, viewer: Viewer, change_id: int) -> StructureChange:
    """A manager applies a referent's proposal to the structure."""
    return await _decide_change(session, viewer, change_id, True, None)


async def reject_change(
    session: AsyncSession, viewer: Viewer, change_id: int, reason: str | None
) -> StructureChange:
    """A manager rejects a referent's proposal, with a reason."""
    return await _decide_change(session, viewer, change_id, False, reason)


def pending_changes() -> Select[Any]:
    return select(StructureChange).where(StructureChange.status == StructureStatus.PENDING)


def can_see_changes(viewer: Viewer, structure_id: int) -> bool:
    """V3: a structure's change proposals are for its referents and the managers only."""
    if viewer.is_manager:
        return True
    return viewer.active_structure_id == structure_id and viewer.has_role(Role.REFERENT)


def changes_of(structure_id: int) -> Select[Any]:
    """Structure.changes: every proposal of one structure, whatever its state (ordered by the caller)."""
    return select(StructureChange).where(StructureChange.structure_id == structure_id)


async def _active_referents(session: AsyncSession, structure_id: int) -> list[Account]:
    return list(
        await session.scalars(
            select(Account)
            .join(AccountRole, AccountRole.account_id == Account.id)
            .where(
                Account.structure_id == structure_id,
                Account.affiliation_status == AffiliationStatus.ACTIVE,
                Account.disabled_at.is_(None),
                AccountRole.role == Role.REFERENT,
            )
            .order_by(Account.id)
        )
    )


async def update_structure(
    session: AsyncSession, viewer: Viewer, structure_id: int, data: ChangeData, reason: str | None
) -> Structure:
    """V4: a manager corrects a structure's name, address or APE code directly (never its SIRET), with a reason
    that its referents receive. A rejected request is not corrected: it no longer exists for anyone."""
    require_manager(viewer)
    reason = required_reason(reason, "de la correction")
    structure = await get_or_refuse(
        session, Structure, structure_id, "structureId", "Structure introuvable.", for_update=True
    )
    if structure.status is StructureStatus.REJECTED:
        raise DomainError(
            ErrorCode.INVALID_TRANSITION, "Cette demande de structure a été rejetée.", "structureId"
        )
    name = _text(data.name, "name", 200, 2) if data.name is not None else structure.name
    ape_code = check_ape(data.ape_code) if data.ape_code is not None else structure.ape_code
    address = (
        check_address(data.address)
        if data.address is not None
        else AddressData(structure.street, structure.postal_code, structure.city)
    )
    before = {
        "name": structure.name,
        "ape_code": structure.ape_code,
        "address": f"{structure.street}, {structure.postal_code} {structure.city}",
    }
    after = {
        "name": name,
        "ape_code": ape_code,
        "address": f"{address.street}, {address.postal_code} {address.city}",
    }
    changed = [field for field in before if before[field] != after[field]]
    if not changed:
        raise DomainError(ErrorCode.INVALID_INPUT, "Aucune modification par rapport aux données actuelles.")
    structure.name, structure.ape_code = name, ape_code
    structure.street, structure.postal_code, structure.city = (
        address.street,
        address.postal_code,
        address.city,
    )
    structure.search_text = search_text(structure.name, structure.siret, structure.city)
    await index_terms(session, [structure])
    await audit.record(
        session,
        viewer,
        entity_type="Structure",
        entity_id=structure.id,
        action="structure.update",
        reason=reason,
        actor_role=Role.MANAGER.value,
        data={field: {"from": before[field], "to": after[field]} for field in changed},
    )
    labels = {"name": "Nom", "ape_code": "Code APE", "address": "Adresse"}
    lines = [(labels[field], before[field], after[field]) for field in changed]
    for referent in await _active_referents(session, structure.id):
        # N1: a manager's decision on the structure reaches the referents' inboxes as well as their mail.
        await notify(
            session,
            referent,
            NotificationKind.STRUCTURE_DECIDED,
            template="structure_updated",
            context={"structure_name": structure.name, "changes": lines, "reason": reason},
            about=About(structure_id=structure.id),
        )
    return structure
