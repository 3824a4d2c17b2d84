"""The org's API request allocation: ``GET /limits`` and the ``Sforce-Limit-Info`` header.

REST API Developer Guide, "Limits" (``/vXX.X/limits``: ``{"DailyApiRequests": {"Max",
"Remaining"}, ...}``) and "Limit Info Header": ``Sforce-Limit-Info: api-usage=18/5000`` "is
returned in each request to REST API (except for calls to the Versions URI, /, which do not
count towards your org's limit)". The allocation is per org over a rolling 24 hours; past it
Salesforce answers 403 ``REQUEST_LIMIT_EXCEEDED`` "TotalRequests Limit exceeded." (Status
Codes and Error Responses: 403 "the request has been refused ... or the org's API request
limit has been exceeded"). The other limits are fixed Developer Edition values. Pure: time
comes in as ``now``.
"""

from __future__ import annotations

from collections import deque
from typing import Any

__all__ = ["ApiUsage", "limit_info_header", "org_limits"]

WINDOW_SECONDS = 24 * 3600
# Fixed allocations of a Developer Edition org (Max == Remaining: devorg does not use them).
_FIXED = {
    "ConcurrentAsyncGetReportInstances": 200,
    "ConcurrentSyncReportRuns": 20,
    "DailyAsyncApexExecutions": 250000,
    "DailyBulkApiBatches": 15000,
    "DailyBulkV2QueryFileStorageMB": 976562,
    "DailyBulkV2QueryJobs": 10000,
    "DailyDurableStreamingApiEvents": 10000,
    "DailyStreamingApiEvents": 10000,
    "DailyWorkflowEmails": 1890,
    "DataStorageMB": 5,
    "FileStorageMB": 20,
    "HourlyDashboardRefreshes": 200,
    "MassEmail": 10,
    "SingleEmail": 15,
}


class ApiUsage:
    """Requests counted per org over the last 24 hours."""

    def __init__(self, daily_max: int) -> None:
        self.daily_max = daily_max
        self._calls: dict[str, deque[float]] = {}

    def used(self, org_id: str, now: float) -> int:
        calls = self._calls.setdefault(org_id, deque())
        while calls and calls[0] <= now - WINDOW_SECONDS:
            calls.popleft()
        return len(calls)

    def count(self, org_id: str, now: float) -> bool:
        """Count one request; False (and not counted) when the allocation is used up."""
        if self.used(org_id, now) >= self.daily_max:
            return False
        self._calls[org_id].append(now)
        return True


def limit_info_header(used: int, daily_max: int) -> dict[str, str]:
    return {"Sforce-Limit-Info": f"api-usage={used}/{daily_max}"}


def org_limits(used: int, daily_max: int) -> dict[str, Any]:
    """The ``/limits`` body: each limit as ``{"Max", "Remaining"}``, sorted by name."""
    limits: dict[str, Any] = {name: {"Max": v, "Remaining": v} for name, v in _FIXED.items()}
    limits["DailyApiRequests"] = {"Max": daily_max, "Remaining": max(0, daily_max - used)}
    return dict(sorted(limits.items()))
