"""Spend: every request's cost equals the price table by hand for each platform's
usage shape (plain, streamed, cached, reasoning), unknown prices stay unknown, budgets
hold under 100 concurrent requests (on one process, and on two sharing Redis), a
stream the client leaves is billed for what it got and releases the rest, and the
admin API reports spend and budget standing."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import openai
import pytest

from conftest import Model, Process, start_gateway
from servers import Redis

ADMIN_KEY = "admin-spend-test"
AUTH = f'[auth]\nenable_client_auth = true\nadmin_key = "{ADMIN_KEY}"\n'

# Dollars per million tokens, set in config.toml for each priced model.
PRICE = {"input": 2.0, "cached_input": 0.5, "output": 8.0}
# Output only, dear: a request's cost is its completion tokens, so a budget's count
# of requests does not depend on the prompt estimate.
OUTPUT_ONLY = {"input": 0.0, "output": 1000.0}


def priced(model: Model, price: dict[str, float]) -> str:
    members = ", ".join(f"{k} = {v}" for k, v in price.items())
    return lambda url: model.toml(url) + f"price = {{ {members} }}\n"


MODELS = [
    priced(Model("gpt-priced", "mock-echo"), PRICE),
    priced(Model("gpt-cached", "mock-cached"), PRICE),
    priced(Model("claude-priced", "claude-echo", "anthropic"), PRICE),
    priced(Model("gem-thinking", "gemini-thinking", "gemini"), PRICE),
    priced(Model("gpt-stall", "mock-stall-stream"), PRICE),
    priced(Model("gpt-slow", "mock-slow"), OUTPUT_ONLY),
    lambda url: Model("free-model", "mock-echo").toml(url),
]


def admin(gateway: Process, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(
        f"{gateway.url}{path}",
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"authorization": f"Bearer {ADMIN_KEY}", "content-type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            return resp.status, json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"{}")


def ok(gateway: Process, method: str, path: str, body: dict | None = None) -> dict:
    code, answer = admin(gateway, method, path, body)
    assert code in (200, 201), (code, answer)
    return answer


def new_key(gateway: Process, **fields) -> tuple[str, str]:
    created = ok(gateway, "POST", "/admin/keys", {"name": "spend", **fields})
    return created["id"], created["secret"]


def rows(gateway: Process) -> list[dict]:
    return ok(gateway, "GET", "/admin/requests?limit=1000")["data"]


def settled(gateway: Process, count: int) -> list[dict]:
    """The request log once it holds `count` rows (the writer commits in batches)."""
    deadline = time.monotonic() + 10
    while True:
        found = rows(gateway)
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def by_hand(usage, price: dict[str, float]) -> float:
    cached = (usage.prompt_tokens_details.cached_tokens or 0) if usage.prompt_tokens_details else 0
    return (
        (usage.prompt_tokens - cached) * price["input"]
        + cached * price.get("cached_input", price["input"])
        + usage.completion_tokens * price["output"]
    ) / 1e6


@pytest.fixture()
def gateway(mock_upstream: Process, tmp_path: Path):
    models = "".join(model(mock_upstream.url) for model in MODELS)
    process = start_gateway(tmp_path, models, AUTH)
    yield process
    process.stop()


def client(gateway: Process, secret: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{gateway.url}/v1", api_key=secret, max_retries=0)


@pytest.mark.parametrize("model", ["gpt-priced", "gpt-cached", "claude-priced", "gem-thinking"])
def test_each_usage_shape_costs_the_price_table_by_hand(gateway, model) -> None:
    _, secret = new_key(gateway)
    api = client(gateway, secret)
    whole = api.chat.completions.create(model=model, messages=[{"role": "user", "content": "what is the cost"}])
    usages = [whole.usage]
    stream = api.chat.completions.create(
        model=model,
        messages=[{"role": "user", "content": "and streamed"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    usages += [chunk.usage for chunk in stream if chunk.usage]
    assert len(usages) == 2
    if model == "gpt-cached":
        assert usages[0].prompt_tokens_details.cached_tokens == 1000
        assert usages[0].completion_tokens_details.reasoning_tokens == 200
    logged = settled(gateway, 2)
    assert len(logged) == 2
    expected = [by_hand(usage, PRICE) for usage in usages]
    for row, cost in zip(logged, expected):
        assert row["cost_usd"] == pytest.approx(cost, abs=1e-9), row
    if model == "gpt-cached":
        assert logged[0]["cached_tokens"] == 1000 and logged[0]["reasoning_tokens"] == 200
    report = ok(gateway, "GET", "/admin/spend?group_by=model")
    assert report["total"]["cost_usd"] == pytest.approx(sum(expected), abs=1e-9)
    assert report["total"]["requests"] == 2
    assert [line["group"] for line in report["data"]] == [model]
    if model == "gpt-cached":
        # Cached tokens sit in their own bucket, never also in the uncached one.
        assert report["total"]["cached_tokens"] == 2000
        assert report["total"]["input_tokens"] == sum(u.prompt_tokens for u in usages) - 2000


def test_an_unknown_price_is_recorded_as_unknown_not_zero(gateway) -> None:
    _, secret = new_key(gateway)
    client(gateway, secret).chat.completions.create(model="free-model", messages=[{"role": "user", "content": "hi"}])
    (row,) = settled(gateway, 1)
    assert row["cost_usd"] is None
    report = ok(gateway, "GET", "/admin/spend")
    assert report["total"]["unpriced_requests"] == 1
    assert report["total"]["cost_usd"] == 0


def chat_status(gateway: Process, secret: str, model: str = "gpt-slow") -> tuple[int, dict, str | None]:
    body = {"model": model, "max_tokens": 3, "messages": [{"role": "user", "content": "hi"}]}
    request = urllib.request.Request(
        f"{gateway.url}/v1/chat/completions",
        data=json.dumps(body).encode(),
        headers={"authorization": f"Bearer {secret}", "content-type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:
            return resp.status, json.loads(resp.read()), None
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read()), err.headers.get("retry-after")


# Each gpt-slow answer ("echo: hi") has 2 completion tokens at $1,000 per million:
# $0.002; each reservation is its max_tokens (3): $0.003. $0.06 admits 20 at once.
COST, ESTIMATE, AMOUNT = 0.002, 0.003, 0.06


def hammer(gateways: list[Process], secret: str, count: int = 100) -> list[tuple[int, dict, str | None]]:
    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(lambda i: chat_status(gateways[i % len(gateways)], secret), range(count)))


def check_bound(results, budget: dict) -> None:
    admitted = [r for r in results if r[0] == 200]
    refused = [r for r in results if r[0] == 429]
    assert len(admitted) + len(refused) == len(results), {r[0] for r in results}
    assert refused, "the budget refused nothing"
    for _, body, retry_after in refused:
        assert body["error"]["code"] == "budget_exceeded"
        assert body["error"]["type"] == "insufficient_quota"
        assert "resets at" in body["error"]["message"]
        assert retry_after is not None and int(retry_after) > 0
    spent = len(admitted) * COST
    # The bound: never more than the amount plus the one reservation that crossed it.
    assert spent <= AMOUNT + ESTIMATE + 1e-9, (len(admitted), spent)
    assert len(admitted) >= AMOUNT / ESTIMATE, len(admitted)
    assert budget["spent_usd"] == pytest.approx(spent, abs=1e-9)
    assert budget["reserved_usd"] == 0, "every reservation was settled or released"


def standing(gateway: Process, budget_id: str) -> dict:
    deadline = time.monotonic() + 5
    while True:
        budget = ok(gateway, "GET", f"/admin/budgets/{budget_id}")
        if budget["reserved_usd"] == 0 or time.monotonic() > deadline:
            return budget
        time.sleep(0.05)


def test_a_budget_holds_under_100_concurrent_requests(gateway) -> None:
    key_id, secret = new_key(gateway)
    budget = ok(gateway, "POST", "/admin/budgets", {"key_id": key_id, "amount_usd": AMOUNT, "period": "month"})
    results = hammer([gateway], secret)
    check_bound(results, standing(gateway, budget["id"]))
    # The reservations above the real costs came back: one at a time, requests are
    # admitted until the month's amount is spent, then refused.
    more = 0
    while chat_status(gateway, secret)[0] == 200:
        more += 1
        assert more < 100
    final = standing(gateway, budget["id"])
    assert final["exceeded"] is True
    assert final["spent_usd"] <= AMOUNT + ESTIMATE + 1e-9
    assert final["spent_usd"] == pytest.approx(AMOUNT, abs=1e-9), "$0.06 is 30 answers of $0.002"


def test_a_budget_holds_across_two_processes_sharing_redis(mock_upstream, tmp_path) -> None:
    redis = Redis(tmp_path)
    models = "".join(model(mock_upstream.url) for model in MODELS)
    database = f"sqlite://{tmp_path / 'shared.db'}"
    storage = f'redis_url = "{redis.url}"\n'
    gateways = []
    try:
        for name in ["a", "b"]:
            workdir = tmp_path / name
            workdir.mkdir()
            gateways.append(start_gateway(workdir, models, AUTH, database_url=database, storage_toml=storage))
        a, b = gateways
        key_id, secret = new_key(a)
        budget = ok(a, "POST", "/admin/budgets", {"key_id": key_id, "amount_usd": AMOUNT})
        time.sleep(1.2)  # b's key ring hears of the budget
        results = hammer(gateways, secret)
        served_by_b = sum(1 for i, r in enumerate(results) if r[0] == 200 and i % 2 == 1)
        assert served_by_b > 0, "both processes served"
        check_bound(results, standing(b, budget["id"]))
    finally:
        for gateway in gateways:
            gateway.stop()
        redis.stop()


def test_a_stream_the_client_leaves_is_billed_for_what_it_got(gateway) -> None:
    key_id, secret = new_key(gateway)
    budget = ok(gateway, "POST", "/admin/budgets", {"key_id": key_id, "amount_usd": 10})
    stream = client(gateway, secret).chat.completions.create(
        model="gpt-stall", messages=[{"role": "user", "content": "hi"}], stream=True, max_tokens=1000
    )
    text = ""
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            text += chunk.choices[0].delta.content
            break
    assert text == "Hi"
    stream.close()
    (row,) = settled(gateway, 1)
    assert row["error_type"] == "client_disconnected"
    assert row["completion_tokens"] == 1, "billed for the one token relayed"
    assert row["cost_usd"] > 0
    # Never the reservation (1,000 output tokens at $8 per million is $0.008 alone).
    assert row["cost_usd"] < 0.008
    now = standing(gateway, budget["id"])
    assert now["reserved_usd"] == 0, "the rest is released"
    assert now["spent_usd"] == pytest.approx(row["cost_usd"], abs=1e-9)


def test_team_budgets_soft_thresholds_and_the_key_flag(gateway) -> None:
    key_id, secret = new_key(gateway, team="research")
    other_id, other = new_key(gateway, team="research")
    budget = ok(
        gateway,
        "POST",
        "/admin/budgets",
        {"team": "research", "amount_usd": 0.01, "period": "day", "soft_threshold": 0.3},
    )
    assert budget["team"] == "research" and budget["period"] == "day"
    assert ok(gateway, "GET", f"/admin/keys/{key_id}")["budget_alert"] is False
    # 2 x $0.002 from one key and 1 from the other: $0.006, past 30% of $0.01.
    for secret_used in (secret, secret, other):
        assert chat_status(gateway, secret_used)[0] == 200
    now = standing(gateway, budget["id"])
    assert now["spent_usd"] == pytest.approx(0.006, abs=1e-9)
    assert now["soft_threshold_exceeded"] is True
    shown = ok(gateway, "GET", f"/admin/keys/{other_id}")
    assert shown["budget_alert"] is True
    assert [b["id"] for b in shown["budgets"]] == [budget["id"]]
    with urllib.request.urlopen(f"{gateway.url}/metrics", timeout=10) as resp:
        metrics = resp.read().decode()
    assert f'switchyard_budget_soft_exceeded{{budget="{budget["id"]}"}} 1' in metrics
    assert "switchyard_spend_nanodollars_total{" in metrics
    # The next two fit; the one after is refused for the whole team.
    statuses = [chat_status(gateway, s)[0] for s in (secret, other, secret)]
    assert statuses[:2] == [200, 200] and statuses[2] == 429, statuses


def test_budget_admin_errors_are_clear_and_unpriced_models_are_refused(gateway) -> None:
    key_id, secret = new_key(gateway)
    for body, param in [
        ({"key_id": key_id}, "amount_usd"),
        ({"key_id": key_id, "amount_usd": -1}, "amount_usd"),
        ({"amount_usd": 1}, "key_id"),
        ({"key_id": "key_nope", "amount_usd": 1}, "key_id"),
        ({"key_id": key_id, "team": "t", "amount_usd": 1}, "team"),
        ({"key_id": key_id, "amount_usd": 1, "soft_threshold": 2}, "soft_threshold"),
    ]:
        code, answer = admin(gateway, "POST", "/admin/budgets", body)
        assert code == 400 and answer["error"]["param"] == param, (body, answer)
    code, answer = admin(gateway, "POST", "/admin/budgets", {"key_id": key_id, "amount_usd": 1, "period": "year"})
    assert code == 400, answer
    budget = ok(gateway, "POST", "/admin/budgets", {"key_id": key_id, "amount_usd": 1})
    code, answer = admin(gateway, "POST", "/admin/budgets", {"key_id": key_id, "amount_usd": 2})
    assert code == 400 and "already" in answer["error"]["message"]
    changed = ok(gateway, "PATCH", f"/admin/budgets/{budget['id']}", {"amount_usd": 5, "soft_threshold": 0.9})
    assert changed["amount_usd"] == 5 and changed["soft_threshold"] == 0.9
    status, body, _ = chat_status(gateway, secret, model="free-model")
    assert status == 403 and body["error"]["code"] == "model_not_priced"
    assert ok(gateway, "DELETE", f"/admin/budgets/{budget['id']}")["deleted"] is True
    assert admin(gateway, "GET", f"/admin/budgets/{budget['id']}")[0] == 404
    time.sleep(0.1)
    assert chat_status(gateway, secret, model="free-model")[0] == 200
    code, answer = admin(gateway, "GET", "/admin/spend?since=2026-13-01")
    assert code == 400 and answer["error"]["param"] == "since"
