"""V5's exports: `GET /exports/registrations.csv` and `.xlsx`, `?year=YYYY[&structureId=<global id>]`, with the
bearer token of a manager (any structure, or all) or an employer (his own).

Both stream at a memory that does not grow with the rows: the registrations are read in batches
(loaders.reporting.export_rows); the CSV is written to the response batch by batch; the XLSX goes through
openpyxl's write-only mode, which keeps its rows in a temporary file rather than in memory, and the finished
file is then sent from disk in chunks. Every text cell is made inert (domain.reporting.inert): names and reasons
are typed by anyone, and a spreadsheet must never run them.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from typing import Any

import anyio
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse

from parcourspro_gql.auth.authenticate import Authentication
from parcourspro_gql.clock import clock
from parcourspro_gql.db import Database
from parcourspro_gql.domain import reporting
from parcourspro_gql.domain.errors import DomainError, ErrorCode
from parcourspro_gql.loaders.reporting import StatisticsKey, export_rows
from parcourspro_gql.models import Structure
from parcourspro_gql.schema.relay import pk_of

PRIVATE = {"Cache-Control": "private, no-store", "Pragma": "no-cache", "X-Content-Type-Options": "nosniff"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHUNK = 64 * 1024
# Column widths of the XLSX (characters), so that it opens readable.
WIDTHS = (18, 16, 28, 30, 16, 36, 17, 17, 24, 26, 17, 17, 22, 36, 17, 22, 36, 17, 22, 36, 10, 10, 10)


def _refusal(status: int, message: str) -> Response:
    headers = dict(PRIVATE)
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="parcourspro"'
    return PlainTextResponse(message, status_code=status, headers=headers)


def _structure_pk(value: str | None) -> int | None:
    """The primary key behind a Structure global id; NOT_FOUND for anything else."""
    if value is None:
        return None
    return pk_of(value, "Structure", "structureId")


async def _key(request: Request, db: Database, authentication: Authentication) -> StatisticsKey | Response:
    """The export's year and structure, or the response that refuses it."""
    if authentication.account is None:
        return _refusal(
            401, "Authentification requise : envoyez votre jeton d'accès (Authorization: Bearer)."
        )
    raw_year = request.query_params.get("year", "")
    try:
        if not (raw_year.isascii() and raw_year.isdigit()):
            raise DomainError(ErrorCode.INVALID_INPUT, "Paramètre « year » attendu (par exemple year=2026).")
        structure = reporting.scope(
            authentication.viewer, _structure_pk(request.query_params.get("structureId"))
        )
        bounds = reporting.paris_year(int(raw_year), clock.now())
        if structure is not None:
            async with db.read() as session:
                if await session.get(Structure, structure) is None:
                    raise DomainError(ErrorCode.NOT_FOUND, "Structure introuvable.")
    except DomainError as error:
        status = {ErrorCode.FORBIDDEN: 403, ErrorCode.NOT_FOUND: 404}.get(error.code, 400)
        return _refusal(status, error.message)
    return StatisticsKey(bounds.start, bounds.end, structure)


def _file_name(key: StatisticsKey, extension: str) -> str:
    year = key.start.astimezone(reporting.PARIS).year
    suffix = f"-structure-{key.structure_id}" if key.structure_id is not None else ""
    return f"inscriptions-{year}{suffix}.{extension}"


def _french(value: reporting.Cell) -> str:
    """A CSV cell as French spreadsheets read it: dd/mm/yyyy hh:mm, decimal comma."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, float):
        return f"{value:.4f}".rstrip("0").rstrip(".").replace(".", ",")
    return str(value)


async def _csv(db: Database, key: StatisticsKey) -> AsyncIterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    # The byte order mark tells Excel the file is UTF-8; ";" is the list separator of French Excel.
    buffer.write("\ufeff")
    writer.writerow(reporting.HEADERS)
    async for batch in export_rows(db, key):
        for row in batch:
            writer.writerow([_french(cell) for cell in reporting.cells(reporting.ExportLine(**row._mapping))])
        yield buffer.getvalue().encode()
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode()


def _xlsx_cell(sheet: WriteOnlyWorksheet, value: reporting.Cell) -> Any:
    if isinstance(value, str):
        # XML 1.0 has no place for most control characters, which openpyxl refuses: they are dropped.
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    if isinstance(value, datetime):
        cell = WriteOnlyCell(sheet, value)
        cell.number_format = "dd/mm/yyyy hh:mm"
        return cell
    return value


async def _xlsx(db: Database, key: StatisticsKey) -> str:
    """Writes the workbook into a temporary file and returns its path (the caller deletes it)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Inscriptions")
    for index, width in enumerate(WIDTHS):
        sheet.column_dimensions[chr(ord("A") + index)].width = width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for title in reporting.HEADERS:
        cell = WriteOnlyCell(sheet, title)
        cell.font = bold
        header.append(cell)
    sheet.append(header)

    def append(rows: list[list[reporting.Cell]]) -> None:
        for values in rows:
            sheet.append([_xlsx_cell(sheet, value) for value in values])

    async for batch in export_rows(db, key):
        rows = [reporting.cells(reporting.ExportLine(**row._mapping)) for row in batch]
        # Serialising a batch takes tens of milliseconds: off the event loop.
        await anyio.to_thread.run_sync(append, rows)
    handle, path = tempfile.mkstemp(prefix="parcourspro-export-", suffix=".xlsx")
    os.close(handle)
    try:
        await anyio.to_thread.run_sync(workbook.save, path)
    except BaseException:
        os.unlink(path)
        raise
    return path


async def _file_chunks(path: str) -> AsyncIterator[bytes]:
    try:
        async with await anyio.open_file(path, "rb") as file:
            while chunk := await file.read(CHUNK):
                yield chunk
    finally:
        os.unlink(path)


def export_routes(
    db: Database, authenticate: Callable[[Request], Awaitable[Authentication]]
) -> tuple[Callable[[Request], Awaitable[Response]], Callable[[Request], Awaitable[Response]]]:
    """The two route handlers, authenticating each request with `authenticate`."""

    async def registrations_csv(request: Request) -> Response:
        key = await _key(request, db, await authenticate(request))
        if isinstance(key, Response):
            return key
        disposition = f'attachment; filename="{_file_name(key, "csv")}"'
        return StreamingResponse(
            _csv(db, key),
            media_type="text/csv; charset=utf-8",
            headers={**PRIVATE, "Content-Disposition": disposition},
        )

    async def registrations_xlsx(request: Request) -> Response:
        key = await _key(request, db, await authenticate(request))
        if isinstance(key, Response):
            return key
        path = await _xlsx(db, key)
        size = (await anyio.Path(path).stat()).st_size
        disposition = f'attachment; filename="{_file_name(key, "xlsx")}"'
        return StreamingResponse(
            _file_chunks(path),
            media_type=XLSX,
            headers={**PRIVATE, "Content-Disposition": disposition, "Content-Length": str(size)},
        )

    return registrations_csv, registrations_xlsx
