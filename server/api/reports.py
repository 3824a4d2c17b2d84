"""``/api/v1/reports``: call figures over a period, computed by the database."""

from __future__ import annotations

from aiohttp import web

from server.schemas.reports import CallReport, CallReportQuery

from .context import services, tenant_id
from .contract import Contract

reports = Contract(tag="Reports")


@reports.get(
    "/api/v1/reports/calls",
    query=CallReportQuery,
    response=CallReport,
    summary="Report call figures per hour or day, queue and agent",
    errors=(422,),
)
async def call_report(request: web.Request, query: CallReportQuery) -> CallReport:
    """Offered, answered, abandoned and missed inbound calls, the service level, the average
    wait and handle times, and outbound calls: per bucket (hour or day in `tz`, every bucket
    of the period, empty ones too), in total, per queue and per agent. A call counts in the
    bucket it started in, with the queue and agent of its CDR (the last ones). 422
    `period_too_long` when the period is longer than its buckets allow (31 days hourly, 366
    daily); 422 `invalid` when `until` is not after `since`."""
    return await services(request).reports.report(tenant_id(request), query)
