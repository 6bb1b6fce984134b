"""Reports for managers: each batch's report as HTML, Excel (XLSX) or CSV (``rpa.report``).

``/reports`` lists the batches, newest first; ``/reports/{batch}.{html|xlsx|csv}`` is the
report itself (the HTML shown, the others downloaded). Certificates are linked to this
console's download (``RPA_CONSOLE_URL``, else the address the request came to), never by a
``file://`` link.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from rpa.console.auth import Role, require
from rpa.console.deps import journal, settings
from rpa.console.render import render
from rpa.errors import JournalError
from rpa.report import ReportFormat, build_report
from rpa.report import render as render_report

PER_PAGE = 25
FORMATS = {
    "html": (ReportFormat.HTML, "text/html; charset=utf-8"),
    "xlsx": (
        ReportFormat.XLSX,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    "csv": (ReportFormat.CSV, "text/csv; charset=utf-8"),
}


async def reports_page(request: Request) -> Response:
    await require(request, Role.VIEWER)
    try:
        page = max(1, int(request.query_params.get("page", "1")))
    except ValueError:
        page = 1
    batches = journal(request).batches(limit=page * PER_PAGE + 1)
    shown = batches[(page - 1) * PER_PAGE : page * PER_PAGE]
    return render(
        request,
        "reports.html",
        {
            "title": "Reports",
            "batches": shown,
            "page": page,
            "more": len(batches) > page * PER_PAGE,
        },
    )


async def report_file(request: Request) -> Response:
    await require(request, Role.VIEWER)
    batch_id = request.path_params["batch_id"]
    fmt = request.path_params["fmt"]
    if fmt not in FORMATS:
        raise HTTPException(404, "Reports are html, xlsx or csv.")
    kind, media = FORMATS[fmt]
    console_url = settings(request).console_url or str(request.base_url)
    try:
        report = await run_in_threadpool(
            build_report, journal(request), batch_id, console_url=console_url
        )
    except JournalError as exc:
        raise HTTPException(404, "No such batch.") from exc
    body = await run_in_threadpool(render_report, report, kind)
    disposition = "inline" if kind is ReportFormat.HTML else "attachment"
    headers = {"content-disposition": f'{disposition}; filename="report-{batch_id}.{fmt}"'}
    return Response(body, media_type=media, headers=headers)


routes: list[BaseRoute] = [
    Route("/reports", reports_page),
    Route("/reports/{batch_id}.{fmt}", report_file),
]
