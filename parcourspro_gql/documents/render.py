"""PDF documents: jinja2 templates (autoescaped) rendered by xhtml2pdf, off the event loop.

Nothing a document contains is trusted: every value goes through autoescaping, and xhtml2pdf's resource policy
refuses any network access and any file outside this package's assets (templates and DejaVu fonts), so a name
such as `<img src="http://…">` is printed as text and fetches nothing.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from xhtml2pdf import pisa
from xhtml2pdf.config.resources import ResourceAccessPolicy

ASSETS = Path(__file__).resolve().parent
FONTS = ASSETS / "fonts"
# No network at all, local reads confined to the package's assets, every size and time limit on.
POLICY = ResourceAccessPolicy.server(base_dir=ASSETS, allow_remote=False, allow_private_networks=False)
# xhtml2pdf is pure Python and holds the GIL: more threads than cores would only queue. Two renders at a time
# keep the event loop answering while a session's documents are produced.
PDF_THREADS = 2
_executor = ThreadPoolExecutor(max_workers=PDF_THREADS, thread_name_prefix="pdf")


class RenderError(RuntimeError):
    """xhtml2pdf reported an error: a bug in a template, never the user's data."""


@cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("parcourspro_gql", "documents/templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_html(template: str, context: Mapping[str, Any]) -> str:
    return _environment().get_template(f"{template}.html").render(fonts=FONTS.as_posix(), **context)


def render_pdf_now(template: str, context: Mapping[str, Any]) -> bytes:
    """The PDF, in the calling thread (the CLI and benchmarks; the API uses render_pdf)."""
    output = io.BytesIO()
    status = pisa.CreatePDF(
        render_html(template, context), dest=output, encoding="utf-8", resource_policy=POLICY
    )
    if status.err:
        raise RenderError(f"{template}: {status.err} error(s) while rendering")
    return output.getvalue()


async def render_pdf(template: str, context: Mapping[str, Any]) -> bytes:
    """The PDF, rendered in a worker thread; at most PDF_THREADS renders run at once, the others wait."""
    return await asyncio.get_running_loop().run_in_executor(_executor, render_pdf_now, template, context)
