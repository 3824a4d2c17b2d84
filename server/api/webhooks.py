"""``/api/v1/webhooks``: endpoints, their delivery logs, the tester and the dead-letter queue."""

from __future__ import annotations

import json
from datetime import datetime

from aiohttp import web

from server.failures import NotFound
from server.schemas.webhooks import (
    DeadLetterExportQuery,
    DeadLetterList,
    DeadLetterQuery,
    DeadLetterSelection,
    DeliveryAttemptList,
    Endpoint,
    EndpointCreate,
    EndpointList,
    EndpointUpdate,
    EndpointWithSecret,
    RetryResult,
    WebhookTestRequest,
    WebhookTestResult,
)
from server.store.webhooks import DeadLetterFilter

from .context import services, tenant_id
from .contract import Contract

endpoints = Contract(tag="Webhook endpoints")
dead_letters = Contract(tag="Dead letters")
CONTRACTS = (endpoints, dead_letters)
BASE = "/api/v1/webhooks"


@endpoints.post(
    f"{BASE}/endpoints",
    body=EndpointCreate,
    response=EndpointWithSecret,
    status=201,
    summary="Create a webhook endpoint",
    errors=(409,),
)
async def create_endpoint(request: web.Request, body: EndpointCreate) -> EndpointWithSecret:
    """The response holds the signing `secret`, shown this once. At most 50 endpoints per
    tenant (409 `too_many_endpoints`); an address the policy forbids is 422
    `blocked_destination`."""
    return await services(request).webhooks.create_endpoint(tenant_id(request), body)


@endpoints.get(f"{BASE}/endpoints", response=EndpointList, summary="List webhook endpoints")
async def list_endpoints(request: web.Request) -> EndpointList:
    return EndpointList(data=await services(request).webhooks.list_endpoints(tenant_id(request)))


@endpoints.get(f"{BASE}/endpoints/{{id}}", response=Endpoint, summary="Get a webhook endpoint")
async def get_endpoint(request: web.Request) -> Endpoint:
    return await services(request).webhooks.get_endpoint(
        tenant_id(request), request.match_info["id"]
    )


@endpoints.patch(
    f"{BASE}/endpoints/{{id}}",
    body=EndpointUpdate,
    response=Endpoint,
    summary="Change a webhook endpoint",
)
async def update_endpoint(request: web.Request, body: EndpointUpdate) -> Endpoint:
    return await services(request).webhooks.update_endpoint(
        tenant_id(request), request.match_info["id"], body
    )


@endpoints.delete(f"{BASE}/endpoints/{{id}}", summary="Delete a webhook endpoint")
async def delete_endpoint(request: web.Request) -> None:
    await services(request).webhooks.delete_endpoint(tenant_id(request), request.match_info["id"])


@endpoints.post(
    f"{BASE}/endpoints/{{id}}/rotate-secret",
    response=EndpointWithSecret,
    summary="Rotate an endpoint's signing secret",
)
async def rotate_secret(request: web.Request) -> EndpointWithSecret:
    """The new secret signs from now on; for 24 hours deliveries carry a signature with the
    old one too (`previous_secret_expires_at`), so receivers can switch without a gap."""
    return await services(request).webhooks.rotate_secret(
        tenant_id(request), request.match_info["id"]
    )


@endpoints.get(
    f"{BASE}/endpoints/{{id}}/deliveries",
    response=DeliveryAttemptList,
    summary="Recent delivery attempts of an endpoint",
)
async def endpoint_deliveries(request: web.Request) -> DeliveryAttemptList:
    items = await services(request).webhooks.deliveries(
        tenant_id(request), request.match_info["id"]
    )
    return DeliveryAttemptList(data=items)


@endpoints.post(
    f"{BASE}/endpoints/{{id}}/test",
    body=WebhookTestRequest,
    response=WebhookTestResult,
    summary="Send a test event to an endpoint",
)
async def test_endpoint(request: web.Request, body: WebhookTestRequest) -> WebhookTestResult:
    """One signed attempt with the catalog's example of `type`, now; logged, never retried."""
    return await services(request).webhooks.send_test(
        tenant_id(request), request.match_info["id"], body.type
    )


def _seconds(value: datetime | None) -> float | None:
    return value.timestamp() if value is not None else None


def _filter(
    request: web.Request, selection: DeadLetterQuery | DeadLetterSelection
) -> DeadLetterFilter:
    return DeadLetterFilter(
        tenant_id=tenant_id(request),
        endpoint_id=selection.endpoint_id,
        since=_seconds(selection.since),
        until=_seconds(selection.until),
    )


@dead_letters.get(
    f"{BASE}/dlq", query=DeadLetterQuery, response=DeadLetterList, summary="List dead letters"
)
async def list_dead_letters(request: web.Request, query: DeadLetterQuery) -> DeadLetterList:
    """Deliveries that ran out of attempts, newest first; filter by endpoint and by when
    they died (`since`/`until`, RFC 3339 with a time zone)."""
    items = await services(request).webhooks.dead_letters(_filter(request, query), query.limit)
    return DeadLetterList(data=items)


@dead_letters.get(
    f"{BASE}/dlq/export",
    query=DeadLetterExportQuery,
    response=DeadLetterList,
    summary="Download dead letters with their bodies",
)
async def export_dead_letters(request: web.Request, query: DeadLetterExportQuery) -> web.Response:
    """As a file (`Content-Disposition: attachment`), each with the `event` that was sent."""
    items = await services(request).webhooks.dead_letters(
        _filter(request, query), query.limit, with_body=True
    )
    document = DeadLetterList(data=items).model_dump(mode="json")
    return web.Response(
        body=json.dumps(document, indent=2).encode(),
        content_type="application/json",
        headers={"Content-Disposition": 'attachment; filename="sivo-dead-letters.json"'},
    )


@dead_letters.post(
    f"{BASE}/dlq/retry",
    body=DeadLetterSelection,
    body_required=False,
    response=RetryResult,
    summary="Retry dead letters in bulk",
)
async def retry_dead_letters(request: web.Request, body: DeadLetterSelection) -> RetryResult:
    """Every dead letter the selection matches (all of the tenant's without a body) goes back
    to the queue with a fresh schedule."""
    ids = await services(request).webhooks.retry_dead_letters(_filter(request, body))
    return RetryResult(retried=len(ids), ids=ids)


@dead_letters.post(
    f"{BASE}/dlq/{{id}}/retry", response=RetryResult, summary="Retry one dead letter"
)
async def retry_dead_letter(request: web.Request) -> RetryResult:
    flt = DeadLetterFilter(tenant_id(request), delivery_id=request.match_info["id"])
    ids = await services(request).webhooks.retry_dead_letters(flt)
    if not ids:
        raise NotFound("dead letter")
    return RetryResult(retried=1, ids=ids)
