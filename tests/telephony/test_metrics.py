"""``GET /metrics`` answers with the series an operator graphs: calls, agents by status,
queues, media legs, sockets, webhook attempts, outbox lag, HTTP requests; and no label names
a tenant, a queue or an agent."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from tests.support.receiver import Receiver

from .conftest import Center, dial


def _samples(text: str) -> dict[str, float]:
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            out[name] = float(value)
    return out


async def _scrape(center: Center) -> dict[str, float]:
    resp = await center.client.get("/metrics")
    assert resp.status == 200 and resp.headers["Content-Type"].startswith("text/plain")
    return _samples(await resp.text())


async def test_metrics_follow_calls_agents_queues_and_webhooks(
    center: Center, receivers: Callable[..., Awaitable[Receiver]]
) -> None:
    receiver = await receivers()
    await center.api(
        "POST",
        "/api/v1/webhooks/endpoints",
        {"url": receiver.url, "events": ["call.ended"]},
        status=201,
    )
    _agent, agent_id = await center.agent("ann", queues=[], available=True)
    caller = await center.web_phone()
    call_id, _peer = await dial(center, caller, None)
    await center.advance(7)
    live = await _scrape(center)
    assert live["sivo_calls_active"] == 1
    assert live['sivo_agents{status="available"}'] == 1
    assert live["sivo_queue_waiting_calls"] == 1 and live["sivo_queue_longest_wait_seconds"] >= 7
    assert live["sivo_media_legs_open"] >= 1
    assert live['sivo_socket_connections{namespace="/agent"}'] == 1
    assert live['sivo_socket_connections{namespace="/caller"}'] == 1
    assert live["sivo_outbox_lag_seconds"] == 0
    await caller.ok("call.hangup", {"call_id": call_id})
    await receiver.wait_for(1)
    for _ in range(50):
        after = await _scrape(center)
        if after.get('sivo_webhook_attempts_total{outcome="delivered"}'):
            break
        await center.settle(0.05)
    assert after['sivo_calls_total{cause="abandoned",direction="inbound"}'] == 1
    assert after["sivo_calls_active"] == 0
    assert after['sivo_webhook_attempts_total{outcome="delivered"}'] == 1
    assert after["sivo_webhook_attempt_seconds_count"] == 1
    routes = [k for k in after if k.startswith("sivo_http_requests_total{")]
    assert any('route="/api/v1/webhooks/endpoints"' in k and 'status="201"' in k for k in routes)
    body = await (await center.client.get("/metrics")).text()
    for secret in (center.tenant.id, center.queue_id, agent_id, call_id):
        assert secret not in body
    assert not re.search(r'route="/api/v1/agents/ag_', body)  # templates, not raw paths
