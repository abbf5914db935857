"""`seed-demo`: a small demo world to try every feature in GraphiQL. Idempotent (keyed on the manager)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from stdnum import luhn

from parcourspro_gql.auth.passwords import hash_password
from parcourspro_gql.clock import clock
from parcourspro_gql.db import Database
from parcourspro_gql.domain import accounts, audit, scheduling, structures, years
from parcourspro_gql.domain.base import settings_of
from parcourspro_gql.models import (
    Account,
    AccountRole,
    AffiliationStatus,
    Evaluation,
    Membership,
    Notification,
    NotificationKind,
    Registration,
    RegistrationStatus,
    Role,
    Structure,
    StructureChange,
    StructureStatus,
    Training,
    TrainingFormat,
    TrainingSession,
)
from parcourspro_gql.models._types import distinct_words, normalize_search

DEMO_PASSWORD = "Demo-ParcoursPro-2026"
MANAGER_EMAIL = "manager@demo.parcourspro.fr"


@dataclass(frozen=True)
class DemoLogin:
    email: str
    role: str


DEMO_LOGINS = (
    DemoLogin(MANAGER_EMAIL, "manager (Cap Métiers)"),
    DemoLogin("formateur@demo.parcourspro.fr", "provider (organisme de formation)"),
    DemoLogin("referente@demo.parcourspro.fr", "referent + employer, Mission Locale des Graves"),
    DemoLogin("employeur@demo.parcourspro.fr", "employer, CIO de Bordeaux"),
    DemoLogin("camille@demo.parcourspro.fr", "beneficiary, Mission Locale des Graves"),
    DemoLogin("nouveau@demo.parcourspro.fr", "beneficiary awaiting affiliation"),
)


def demo_siret(seed: int) -> str:
    """A valid SIRET (its SIREN and itself pass Luhn) in the 9xx range, which no real establishment holds."""
    siren_body = f"9{seed:07d}"
    siren = siren_body + luhn.calc_check_digit(siren_body)
    body = f"{siren}{seed % 10000:04d}"
    return body + luhn.calc_check_digit(body)


async def seed_demo(db: Database) -> bool:
    """Creates the demo world; False (and nothing written) when it is already there."""
    async with db.transaction() as session:
        if await session.scalar(select(Account.id).where(Account.email_normalized == MANAGER_EMAIL)):
            return False
        await _seed(session)
    return True


async def _seed(session: AsyncSession) -> None:
    now = clock.now()
    year = years.year_of(now)
    profile = settings_of(session).password_hash_profile
    password_hash = await hash_password(DEMO_PASSWORD, profile)
    manager = await accounts.create_manager(
        session, email=MANAGER_EMAIL, password=DEMO_PASSWORD, first_name="Mathilde", last_name="Garnier"
    )

    def structure(
        seed: int,
        name: str,
        ape: str,
        street: str,
        postal: str,
        city: str,
        status: StructureStatus,
        reason: str | None = None,
    ) -> Structure:
        siret = demo_siret(seed)
        row = Structure(
            name=name,
            siret=siret,
            ape_code=ape,
            street=street,
            postal_code=postal,
            city=city,
            status=status,
            search_text=structures.search_text(name, siret, city),
            requested_at=now - timedelta(days=seed),
            decided_at=None if status is StructureStatus.PENDING else now - timedelta(days=seed - 1),
            decided_by_id=None if status is StructureStatus.PENDING else manager.id,
            rejection_reason=reason,
        )
        session.add(row)
        created.append(row)
        return row

    created: list[Structure] = []
    provider_org = structure(
        30,
        "Institut Aquitain de Formation",
        "85.59A",
        "12 cours de l'Intendance",
        "33000",
        "Bordeaux",
        StructureStatus.VALIDATED,
    )
    mission = structure(
        20,
        "Mission Locale des Graves",
        "88.99B",
        "3 avenue Jean Jaurès",
        "33600",
        "Pessac",
        StructureStatus.VALIDATED,
    )
    cio = structure(
        15,
        "CIO de Bordeaux",
        "84.12Z",
        "45 rue Sainte-Catherine",
        "33000",
        "Bordeaux",
        StructureStatus.VALIDATED,
    )
    structure(
        12,
        "Espace Emploi Landes Océanes",
        "88.99B",
        "8 place de la Mairie",
        "40100",
        "Dax",
        StructureStatus.VALIDATED,
    )
    pending = structure(
        2, "Maison de l'Emploi du Béarn", "84.13Z", "1 rue Marca", "64000", "Pau", StructureStatus.PENDING
    )
    structure(
        5,
        "Agence Fictive",
        "70.22Z",
        "1 rue Inconnue",
        "87000",
        "Limoges",
        StructureStatus.REJECTED,
        reason="SIRET ne correspondant à aucune structure d'orientation.",
    )
    await session.flush()
    await structures.index_terms(session, created)
    session.add_all(
        [
            Membership(
                structure_id=mission.id,
                year=year,
                granted_at=now - timedelta(days=60),
                granted_by_id=manager.id,
            ),
            Membership(
                structure_id=mission.id,
                year=year + 1,
                granted_at=now - timedelta(days=1),
                granted_by_id=manager.id,
            ),
            Membership(
                structure_id=cio.id, year=year, granted_at=now - timedelta(days=60), granted_by_id=manager.id
            ),
        ]
    )

    def person(
        email: str,
        first: str,
        last: str,
        org: Structure | None,
        status: AffiliationStatus,
        roles: tuple[Role, ...] = (),
        verified: bool = True,
    ) -> Account:
        row = Account(
            email=email,
            email_normalized=email,
            password_hash=password_hash,
            first_name=first,
            last_name=last,
            email_verified_at=now - timedelta(days=90) if verified else None,
            structure_id=org.id if org else None,
            affiliation_status=status,
            affiliation_requested_at=now - timedelta(days=80) if org else None,
            affiliation_decided_at=now - timedelta(days=79) if status is AffiliationStatus.ACTIVE else None,
            # The unverified one signed up yesterday: within its link's validity and the retention period.
            created_at=now - timedelta(days=90 if verified else 1),
        )
        session.add(row)
        row_roles[email] = roles
        return row

    row_roles: dict[str, tuple[Role, ...]] = {}
    trainer = person(
        "formateur@demo.parcourspro.fr",
        "Hugo",
        "Lefèvre",
        provider_org,
        AffiliationStatus.ACTIVE,
        (Role.PROVIDER, Role.REFERENT),
    )
    referent = person(
        "referente@demo.parcourspro.fr",
        "Sophie",
        "Martin",
        mission,
        AffiliationStatus.ACTIVE,
        (Role.REFERENT, Role.EMPLOYER),
    )
    employer = person(
        "employeur@demo.parcourspro.fr",
        "Karim",
        "Benali",
        cio,
        AffiliationStatus.ACTIVE,
        (Role.REFERENT, Role.EMPLOYER),
    )
    camille = person("camille@demo.parcourspro.fr", "Camille", "Dupont", mission, AffiliationStatus.ACTIVE)
    lucas = person("lucas@demo.parcourspro.fr", "Lucas", "Moreau", mission, AffiliationStatus.ACTIVE)
    ines = person("ines@demo.parcourspro.fr", "Inès", "Rousseau", cio, AffiliationStatus.ACTIVE)
    chloe = person("chloe@demo.parcourspro.fr", "Chloé", "Bernard", cio, AffiliationStatus.ACTIVE)
    theo = person("nouveau@demo.parcourspro.fr", "Théo", "Girard", mission, AffiliationStatus.PENDING)
    person("nonverifie@demo.parcourspro.fr", "Léa", "Petit", None, AffiliationStatus.NONE, verified=False)
    requester = person("demandeur@demo.parcourspro.fr", "Paul", "Lambert", None, AffiliationStatus.NONE)
    await session.flush()
    pending.requested_by_id = requester.id
    everyone = [trainer, referent, employer, camille, lucas, ines, chloe]
    for account in everyone:
        for role in row_roles[account.email]:
            session.add(
                AccountRole(
                    account_id=account.id,
                    role=role,
                    granted_at=now - timedelta(days=79),
                    granted_by_id=manager.id,
                )
            )

    def training(title: str, fmt: TrainingFormat, members: bool, hours: float, objectives: str) -> Training:
        description = f"{title} : une action de l'offre de professionnalisation de Cap Métiers."
        row = Training(
            title=title,
            description=description,
            objectives=objectives,
            content="Apports théoriques, études de cas, mises en situation.",
            assessment="Évaluation des acquis en fin de session et questionnaire de satisfaction.",
            format=fmt,
            reserved_to_members=members,
            duration_hours=hours,
            provider_structure_id=provider_org.id,
            search_text=distinct_words(normalize_search(f"{title} {description} {objectives}")),
            created_at=now - timedelta(days=100),
            created_by_id=manager.id,
        )
        session.add(row)
        return row

    accueil = training(
        "Accueillir et accompagner les publics en insertion",
        TrainingFormat.FORMATION,
        True,
        14,
        "Conduire un entretien d'accueil ; repérer les freins périphériques à l'emploi.",
    )
    metiers = training(
        "Connaître les métiers qui recrutent en Nouvelle-Aquitaine",
        TrainingFormat.WEBINAR,
        False,
        2,
        "Identifier les secteurs en tension et les ressources d'information sur les métiers.",
    )
    numerique = training(
        "Outils numériques de l'orientation",
        TrainingFormat.AUTOFORMATION,
        False,
        6,
        "Utiliser les plateformes d'orientation en ligne avec les publics.",
    )
    lab = training(
        "Lab innovation : l'orientation tout au long de la vie",
        TrainingFormat.LAB_INNOV,
        True,
        7,
        "Co-construire des pratiques innovantes d'accompagnement.",
    )
    await session.flush()

    def session_of(row: Training, starts: datetime, days: int, capacity: int, place: str) -> TrainingSession:
        item = TrainingSession(
            training_id=row.id,
            starts_at=starts,
            ends_at=starts + timedelta(days=days - 1, hours=8),
            location=place,
            capacity=capacity,
            seats_taken=0,
            registration_opens_at=starts - timedelta(days=60),
            registration_closes_at=starts - timedelta(days=3),
            half_days=days * 2,
            contact="Hugo Lefèvre — formateur@demo.parcourspro.fr",
            created_at=now - timedelta(days=100),
        )
        session.add(item)
        return item

    day = now.replace(hour=7, minute=30, second=0, microsecond=0)
    past = session_of(
        accueil, day - timedelta(days=30), 2, 12, "Cap Métiers, 102 avenue de Canteranne, Pessac"
    )
    upcoming = session_of(
        accueil, day + timedelta(days=21), 2, 12, "Cap Métiers, 102 avenue de Canteranne, Pessac"
    )
    webinar = session_of(
        metiers, day + timedelta(days=10), 1, 100, "En ligne (lien envoyé avec la convocation)"
    )
    session_of(numerique, day + timedelta(days=45), 1, 30, "En ligne")
    lab_session = session_of(lab, day + timedelta(days=35), 1, 2, "Cap Métiers, Pessac")
    # T5: a minimum headcount to warn about; T4: a session the provider had to cancel.
    upcoming.min_participants = 4
    cancelled = session_of(numerique, day + timedelta(days=15), 1, 30, "Bordeaux, Cité numérique")
    cancelled.cancelled_at = now - timedelta(days=2)
    cancelled.cancellation_reason = "Formateur indisponible : une nouvelle date sera proposée."
    await session.flush()

    def registration(
        who: Account,
        item: TrainingSession,
        row: Training,
        status: RegistrationStatus,
        age_days: int,
        comment: str | None = None,
        offer: bool = False,
    ) -> Registration:
        requested = now - timedelta(days=age_days)
        reg = Registration(
            beneficiary_id=who.id,
            session_id=item.id,
            training_id=row.id,
            structure_id=who.structure_id,
            motivation=f"Je souhaite suivre « {row.title} » pour mieux accompagner nos publics.",
            status=status,
            over_structure_cap=False,
            requested_at=requested,
            updated_at=requested,
        )
        boss = referent if who.structure_id == mission.id else employer
        if status not in {RegistrationStatus.PENDING_EMPLOYER}:
            reg.employer_decision_by_id, reg.employer_decision_at = boss.id, requested + timedelta(days=1)
            if status is RegistrationStatus.REFUSED_BY_EMPLOYER:
                reg.employer_decision_comment = comment
        if status in {
            RegistrationStatus.ACCEPTED,
            RegistrationStatus.WAITLISTED,
            RegistrationStatus.ATTENDED,
            RegistrationStatus.ABSENT,
            RegistrationStatus.REJECTED_BY_PROVIDER,
        }:
            reg.provider_decision_by_id, reg.provider_decision_at = trainer.id, requested + timedelta(days=2)
            reg.provider_decision_comment = (
                comment if status is RegistrationStatus.REJECTED_BY_PROVIDER else None
            )
        if status in {RegistrationStatus.ACCEPTED, RegistrationStatus.ATTENDED, RegistrationStatus.ABSENT}:
            item.seats_taken += 1
        if offer:  # G7': a freed seat held for this waitlisted person until the deadline (seatOfferAccept)
            reg.offered_seat_at, reg.offer_expires_at = now - timedelta(hours=20), now + timedelta(hours=28)
            item.seats_taken += 1
        if status is RegistrationStatus.CANCELLED:
            reg.cancelled_by_id, reg.cancelled_at, reg.cancellation_reason = (
                who.id,
                requested + timedelta(days=3),
                comment,
            )
        if status in {RegistrationStatus.ATTENDED, RegistrationStatus.ABSENT}:
            attended = 4 if status is RegistrationStatus.ATTENDED else 0
            reg.half_days_attended, reg.attendance_rate = attended, attended / 4
            # The past session ran: convocations went out and attendance was recorded (documents to download).
            reg.convocation_sent_at = item.starts_at - timedelta(days=14)
            item.convocations_sent_at = reg.convocation_sent_at
            item.attendance_recorded_at = item.ends_at
        session.add(reg)
        return reg

    registration(camille, past, accueil, RegistrationStatus.ATTENDED, 70)
    registration(ines, past, accueil, RegistrationStatus.ABSENT, 70)
    lucas_accepted = registration(lucas, upcoming, accueil, RegistrationStatus.ACCEPTED, 20)
    chloe_pending = registration(chloe, upcoming, accueil, RegistrationStatus.PENDING_PROVIDER, 6)
    camille_pending = registration(camille, webinar, metiers, RegistrationStatus.PENDING_EMPLOYER, 2)
    registration(
        ines,
        webinar,
        metiers,
        RegistrationStatus.REFUSED_BY_EMPLOYER,
        9,
        "Période de forte activité à l'accueil, à reprogrammer.",
    )
    offered = registration(lucas, lab_session, lab, RegistrationStatus.WAITLISTED, 8, offer=True)
    registration(
        chloe,
        lab_session,
        lab,
        RegistrationStatus.REJECTED_BY_PROVIDER,
        8,
        "Le lab s'adresse aux conseillers ayant au moins un an d'expérience.",
    )
    registration(referent, lab_session, lab, RegistrationStatus.ACCEPTED, 12)
    registration(ines, upcoming, accueil, RegistrationStatus.CANCELLED, 15, "Indisponible à ces dates.")
    # G9: still waiting for the provider when the past session started: closed without an answer.
    registration(chloe, past, accueil, RegistrationStatus.EXPIRED, 45)
    await session.flush()
    # Q1: Camille attended the past session and evaluated it (the provider reads the summary).
    attended = await session.scalar(
        select(Registration).where(
            Registration.beneficiary_id == camille.id, Registration.status == RegistrationStatus.ATTENDED
        )
    )
    assert attended is not None
    session.add(
        Evaluation(
            registration_id=attended.id,
            session_id=attended.session_id,
            rating=5,
            would_recommend=True,
            comment="Très concret : les mises en situation m'ont aidée dès le lendemain.",
            submitted_at=past.ends_at + timedelta(days=2),
        )
    )
    # The inboxes (N1) of the story so far: what each demo account was told (the emails are not replayed).
    inbox = [
        (referent, NotificationKind.REGISTRATION_TO_DECIDE, "Demande d'inscription à décider : Camille Dupont, "
         f"{metiers.title}", camille_pending, None, None, 2),
        (referent, NotificationKind.AFFILIATION_TO_CONFIRM, f"Théo Girard demande à rejoindre {mission.name}",
         None, mission, theo, 3),
        (trainer, NotificationKind.REGISTRATION_TO_SELECT, f"Nouvelle demande pour {accueil.title}",
         chloe_pending, None, None, 5),
        (lucas, NotificationKind.REGISTRATION_UPDATED, f"Votre inscription à {accueil.title} : acceptée : "
         "votre place est confirmée", lucas_accepted, None, None, 18),
        (manager, NotificationKind.STRUCTURE_TO_VALIDATE, f"Structure à valider : {pending.name}", None,
         pending, None, 1),
    ]  # fmt: skip
    for owner, kind, message, about, org, who, age_days in inbox:
        session.add(
            Notification(
                account_id=owner.id,
                kind=kind,
                message=message,
                created_at=now - timedelta(days=age_days),
                # Lucas has read his: the others show as unread.
                read_at=now - timedelta(days=age_days - 1) if owner is lucas else None,
                registration_id=about.id if about else None,
                session_id=about.session_id if about else None,
                structure_id=org.id if org else None,
                about_account_id=who.id if who else None,
            )
        )
    # The scheduler's moves: each session closes its undecided requests at its start (G9), the offer expires.
    for item in await session.scalars(select(TrainingSession)):
        await scheduling.schedule_session_start(session, item.id, item.starts_at)
    assert offered.offer_expires_at is not None
    await scheduling.schedule(
        session,
        scheduling.OFFER_EXPIRY,
        f"{scheduling.OFFER_EXPIRY}:{offered.id}",
        offered.offer_expires_at,
        session_id=lab_session.id,
        registration_id=offered.id,
    )
    # A referent's proposal waiting for the manager, to try structureChangeApprove / structureChangeReject.
    session.add(
        StructureChange(
            structure_id=mission.id,
            requested_by_id=referent.id,
            requested_at=now - timedelta(hours=30),
            street="5 avenue Jean Jaurès",
            postal_code="33600",
            city="Pessac",
            status=StructureStatus.PENDING,
        )
    )
    await audit.record(session, None, entity_type="Demo", entity_id=0, action="seed-demo")
