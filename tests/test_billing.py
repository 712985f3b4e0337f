"""The price sheet, pinned by hand calculation from the published us-east-1 rates.

Every expected figure below is worked out in the test from the rates in
/work/shared/reference/lambda-facts.md ("Prices"), not copied from the module's output.
"""
import json
from decimal import Decimal as D

import pytest

from lambda_local.billing import (
    PRICES, Bill, BillLine, async_request_units, billed_duration_ms, compute_tiers,
    gb_seconds, invocation_cost, monthly_bill,
)

# Published rates, typed in again from the reference so the sheet is checked against them.
REQUEST = D("0.20") / 1_000_000
X86_T1, X86_T2, X86_T3 = D("0.0000166667"), D("0.0000150000"), D("0.0000133334")
ARM_T1, ARM_T2, ARM_T3 = D("0.0000133334"), D("0.0000120001"), D("0.0000106667")
EPHEMERAL = D("0.0000000309")
PC_X86, PC_X86_DURATION = D("0.0000041667"), D("0.0000097222")
SNAP_CACHE, SNAP_RESTORE = D("0.0000015046"), D("0.0001397998")
KB = 1024


def line(bill: Bill, prefix: str) -> BillLine:
    [found] = [l for l in bill.lines if l.item.startswith(prefix)]
    return found


def items(bill: Bill) -> list[str]:
    return [l.item for l in bill.lines]


# --- the claims the pricing lesson checks -------------------------------------------------

def test_million_calls_a_day_at_512mb_200ms_is_56_dollars():
    # 30 M requests x $0.20/M = $6.00; 30 M x 0.5 GB x 0.2 s = 3,000,000 GB-s,
    # x $0.0000166667 = $50.0001. Together $56.0001, billed $56.00 (not "single digits").
    bill = monthly_bill(30_000_000, 512, 200, free_tier=False)
    assert line(bill, "Requests").amount == D("6.00")
    assert line(bill, "Compute").quantity == D(3_000_000)
    assert line(bill, "Compute").amount == D("50.0001")
    assert bill.total == D("56.0001")
    assert bill.total_cents == 5600


def test_same_workload_with_free_tier():
    # Free tier: -1 M requests (-$0.20) and -400,000 GB-s at the first-tier rate (-$6.66668).
    bill = monthly_bill(30_000_000, 512, 200)
    assert line(bill, "Free tier: requests").amount == D("-0.20")
    assert line(bill, "Free tier: compute").amount == -400_000 * X86_T1
    assert bill.total == D("56.0001") - D("0.20") - 400_000 * X86_T1  # 49.13342
    assert bill.total_cents == 4913


def test_one_million_calls_at_256mb_200ms_is_1_03_not_20_cents():
    # 1 M x 0.25 GB x 0.2 s = 50,000 GB-s x $0.0000166667 = $0.833335, + $0.20 requests.
    bill = monthly_bill(1_000_000, 256, 200, free_tier=False)
    assert bill.total == D("0.2") + 50_000 * X86_T1
    assert bill.total_cents == 103
    within = monthly_bill(1_000_000, 256, 200)  # all of it fits in the free tier
    assert within.total == 0
    assert within.total_cents == 0


def test_hundred_million_calls_at_1s_1gb_is_about_1687_not_187():
    # 100 M x 1 GB x 1 s = 100,000,000 GB-s, well inside the first 6 B GB-s tier:
    # 100,000,000 x $0.0000166667 = $1,666.67 exactly, plus 100 M x $0.20/M = $20.00.
    bill = monthly_bill(100_000_000, 1024, 1000, free_tier=False)
    assert line(bill, "Compute").amount == D("1666.67")
    assert line(bill, "Requests").amount == D("20")
    assert bill.total == D("1686.67")
    assert bill.total_cents == 168_667
    assert len([l for l in bill.lines if l.item.startswith("Compute")]) == 1


def test_arm64_is_cheaper_for_the_same_workload():
    # 3,000,000 GB-s x $0.0000133334 = $40.0002, + $6.00 requests (same price on both).
    x86 = monthly_bill(30_000_000, 512, 200, free_tier=False)
    arm = monthly_bill(30_000_000, 512, 200, architecture="arm64", free_tier=False)
    assert arm.total == D("6.00") + 3_000_000 * ARM_T1
    assert arm.total_cents == 4600
    assert arm.total < x86.total
    assert line(arm, "Requests").amount == line(x86, "Requests").amount


# --- volume tiers ---------------------------------------------------------------------------

def test_seven_billion_gb_s_on_x86_uses_two_tiers():
    # First 6 B at $0.0000166667 = $100,000.20; the remaining 1 B at $0.000015 = $15,000.
    assert compute_tiers(D(7_000_000_000)) == [(D(6_000_000_000), X86_T1), (D(1_000_000_000), X86_T2)]
    # 7 B requests of 1 GB for 1 s: 7,000 M x $0.20/M = $1,400 in requests.
    bill = monthly_bill(7_000_000_000, 1024, 1000, free_tier=False)
    assert line(bill, "Compute (tier 1)").amount == D("100000.2")
    assert line(bill, "Compute (tier 2)").amount == D("15000")
    assert bill.total == D("1400") + D("100000.2") + D("15000")
    assert bill.total_cents == 11_640_020


def test_tier_edges():
    assert compute_tiers(D(6_000_000_000)) == [(D(6_000_000_000), X86_T1)]  # the boundary is tier 1
    assert compute_tiers(D(20_000_000_000)) == [
        (D(6_000_000_000), X86_T1), (D(9_000_000_000), X86_T2), (D(5_000_000_000), X86_T3)]
    # arm64's first tier is larger (7.5 B), so 7 B stays in one tier there.
    assert compute_tiers(D(7_000_000_000), "arm64") == [(D(7_000_000_000), ARM_T1)]
    assert compute_tiers(D(20_000_000_000), "arm64") == [
        (D(7_500_000_000), ARM_T1), (D(11_250_000_000), ARM_T2), (D(1_250_000_000), ARM_T3)]
    assert compute_tiers(D(0)) == []


# --- billed duration --------------------------------------------------------------------------

def test_billed_duration_rounds_up_to_the_millisecond():
    assert billed_duration_ms(26.73) == 27
    assert billed_duration_ms(200) == 200
    assert billed_duration_ms(200.0001) == 201
    assert billed_duration_ms(0.2) == 1
    assert billed_duration_ms(0) == 1  # AWS never bills less than 1 ms


def test_init_is_billed_on_a_cold_start_only():
    # Cold: ceil(26.73 + 130.49) = ceil(157.22) = 158; warm: ceil(26.73) = 27.
    assert billed_duration_ms(26.73, 130.49) == 158
    assert billed_duration_ms(26.73, None) == 27
    assert billed_duration_ms(26.73, 130.49, bill_init=False) == 27
    assert billed_duration_ms(26.73, 130.27) == 157  # the sum is exactly 157.00
    with pytest.raises(ValueError):
        billed_duration_ms(-1)


def test_cold_starts_in_a_monthly_bill():
    # 1,000 requests at 1 GB, 200 ms; 10 % cold with 85.3 ms init -> 100 x 286 ms + 900 x 200 ms
    # = 28.6 + 180 = 208.6 GB-s.
    bill = monthly_bill(1000, 1024, 200, cold_start_ratio=0.1, init_duration_ms=85.3, free_tier=False)
    assert line(bill, "Compute").quantity == D("208.6")
    warm_only = monthly_bill(1000, 1024, 200, free_tier=False)
    assert line(warm_only, "Compute").quantity == D("200")


def test_gb_seconds():
    assert gb_seconds(512, 200) == D("0.1")
    assert gb_seconds(128, 1) == D(128) / 1024 / 1000
    assert gb_seconds(10_240, 900_000) == D(9000)


# --- per-invocation cost (what the runtime records) -------------------------------------------

def test_invocation_cost_is_list_price_without_free_tier():
    assert invocation_cost(200, 512) == REQUEST + D("0.1") * X86_T1
    assert invocation_cost(200, 512, "arm64") == REQUEST + D("0.1") * ARM_T1
    # 1,536 MB of /tmp = 1 GB above the free 512 MB, for 2 s.
    assert invocation_cost(2000, 1024, ephemeral_storage_mb=1536) == REQUEST + 2 * X86_T1 + 2 * EPHEMERAL
    # Summing the calls gives the month's bill before the free tier (no per-call rounding).
    assert invocation_cost(200, 512) * 30_000_000 == monthly_bill(30_000_000, 512, 200, free_tier=False).total


# --- async payloads -----------------------------------------------------------------------------

@pytest.mark.parametrize("size, units", [
    (0, 1), (1, 1), (256 * KB, 1),        # up to 256 KB is one request
    (256 * KB + 1, 2), (320 * KB, 2),     # 256 KB + up to 64 KB more is two
    (320 * KB + 1, 3),
    (1024 * KB, 13),                      # 1 MB = 256 KB + 12 x 64 KB
])
def test_async_request_units(size, units):
    assert async_request_units(size) == units


def test_async_units_are_billed_as_requests():
    # 1 M async calls of 1 MB = 13 M requests = $2.60.
    bill = monthly_bill(1_000_000, 128, 10, async_payload_bytes=1024 * KB, free_tier=False)
    assert line(bill, "Requests").quantity == D(13_000_000)
    assert line(bill, "Requests").amount == D("2.60")
    with pytest.raises(ValueError):
        async_request_units(-1)


# --- ephemeral storage --------------------------------------------------------------------------

def test_ephemeral_storage_only_above_512mb():
    assert not [i for i in items(monthly_bill(1_000_000, 1024, 1000)) if i.startswith("Ephemeral")]
    # 10,240 MB of /tmp: 9,728 MB = 9.5 GB extra, for 1 M x 1 s -> 9,500,000 GB-s x $0.0000000309.
    bill = monthly_bill(1_000_000, 1024, 1000, ephemeral_storage_mb=10_240, free_tier=False)
    assert line(bill, "Ephemeral").quantity == D(9_500_000)
    assert line(bill, "Ephemeral").amount == D("0.29355")
    with pytest.raises(ValueError):
        monthly_bill(1, 128, 1, ephemeral_storage_mb=256)


# --- provisioned concurrency -------------------------------------------------------------------

def test_provisioned_concurrency_configured_line():
    # 10 environments x 0.5 GB x 730 h x 3,600 s = 13,140,000 GB-s x $0.0000041667 = $54.750438.
    bill = monthly_bill(0, 512, 100, provisioned_concurrency=10)
    pc = line(bill, "Provisioned concurrency (")
    assert pc.quantity == D(13_140_000)
    assert pc.amount == D("54.750438")
    assert bill.total_cents == 5475  # no requests, so nothing else is charged


def test_provisioned_concurrency_serves_first_then_spills_over():
    # 1 env x 1 GB x 1 h = 3,600 GB-s configured; half of it busy = 1,800 GB-s of 1-GB-s requests.
    # 5,000 requests: 1,800 on provisioned environments, 3,200 on demand.
    bill = monthly_bill(5000, 1024, 1000, provisioned_concurrency=1, provisioned_hours=1,
                        provisioned_utilisation=0.5, free_tier=False)
    expected = (5000 * REQUEST + 3200 * X86_T1 + 3600 * PC_X86 + 1800 * PC_X86_DURATION)
    assert line(bill, "Provisioned concurrency: duration").quantity == D(1800)
    assert line(bill, "Compute").quantity == D(3200)
    assert bill.total == expected
    # The free tier covers the requests and the on-demand GB-s, never provisioned concurrency.
    free = monthly_bill(5000, 1024, 1000, provisioned_concurrency=1, provisioned_hours=1,
                        provisioned_utilisation=0.5)
    assert free.total == 3600 * PC_X86 + 1800 * PC_X86_DURATION


def test_provisioned_concurrency_is_billed_in_five_minute_steps():
    # 6 minutes -> 10 minutes = 600 s at 1 GB.
    bill = monthly_bill(0, 1024, 100, provisioned_concurrency=1, provisioned_hours=0.1)
    assert line(bill, "Provisioned concurrency (").quantity == D(600)


# --- SnapStart, API Gateway ---------------------------------------------------------------------

def test_snapstart_cache_minimum_and_restores():
    # Cached 1 h -> billed the 3 h minimum: 1 GB x 10,800 s. 10 % of 1,000 = 100 restores of 1 GB.
    bill = monthly_bill(1000, 1024, 100, snapstart=True, snapstart_hours=1,
                        cold_start_ratio=0.1, init_duration_ms=30)
    assert line(bill, "SnapStart: snapshot cache").amount == 10_800 * SNAP_CACHE
    assert line(bill, "SnapStart: restores").amount == 100 * SNAP_RESTORE
    with pytest.raises(ValueError):
        monthly_bill(1000, 1024, 100, snapstart=True, provisioned_concurrency=1)


def test_api_gateway_lines():
    base = monthly_bill(30_000_000, 512, 200, free_tier=False)
    http = monthly_bill(30_000_000, 512, 200, free_tier=False, api="http")
    rest = monthly_bill(30_000_000, 512, 200, free_tier=False, api="rest")
    url = monthly_bill(30_000_000, 512, 200, free_tier=False, api="url")
    assert http.total - base.total == D("30.00")  # 30 M x $1.00/M
    assert rest.total - base.total == D("105.00")  # 30 M x $3.50/M
    assert url.total == base.total and items(url) == items(base)  # Function URLs are free
    with pytest.raises(ValueError):
        monthly_bill(1, 128, 1, api="graphql")


# --- the free tier ------------------------------------------------------------------------------

@pytest.mark.parametrize("requests, memory, ms", [(0, 128, 1), (10, 128, 5), (999_999, 128, 100),
                                                  (500_000, 1024, 800)])
def test_free_tier_never_makes_the_bill_negative(requests, memory, ms):
    bill = monthly_bill(requests, memory, ms)
    assert bill.total == 0
    for credit in (l for l in bill.lines if l.item.startswith("Free tier")):
        assert credit.amount <= 0


def test_free_tier_applies_to_async_request_units():
    # 500,000 calls x 3 units = 1.5 M requests; 1 M free -> 0.5 M x $0.20/M = $0.10 (compute free).
    bill = monthly_bill(500_000, 128, 10, async_payload_bytes=320 * KB + 1)
    assert bill.total == D("0.10")


# --- output -----------------------------------------------------------------------------------

def test_format_and_as_dict():
    bill = monthly_bill(30_000_000, 512, 200, free_tier=False)
    text = bill.format()
    assert "Requests" in text and "$6.00" in text and "$50.00" in text
    assert text.splitlines()[-1].startswith("Total") and text.splitlines()[-1].endswith("$56.00")
    data = json.loads(json.dumps(bill.as_dict()))
    assert data["total_usd"] == "56.00" and data["total_cents"] == 5600
    assert D(data["total"]) == D("56.0001")
    assert [l["item"] for l in data["lines"]] == ["Requests", "Compute (tier 1)"]
    assert D(data["lines"][0]["rate"]) == REQUEST


def test_sheet_matches_the_reference():
    x86, arm = PRICES.architectures["x86_64"], PRICES.architectures["arm64"]
    assert PRICES.request == REQUEST
    assert [t.rate for t in x86.duration_tiers] == [X86_T1, X86_T2, X86_T3]
    assert [t.rate for t in arm.duration_tiers] == [ARM_T1, ARM_T2, ARM_T3]
    assert (PRICES.free_requests, PRICES.free_gb_seconds) == (1_000_000, 400_000)
    assert (x86.provisioned_configured, x86.provisioned_duration) == (PC_X86, PC_X86_DURATION)
    # arm64 provisioned rates: 20 % below x86, to the published 10 decimal places.
    assert (arm.provisioned_configured, arm.provisioned_duration) == (D("0.0000033334"), D("0.0000077778"))
    with pytest.raises(ValueError):
        monthly_bill(1, 128, 1, architecture="riscv")


def _decimal_billed_ms(duration_ms: float) -> int:
    # The rule written out in Decimal, as billed_duration_ms computed every bill before issue 20's fast path.
    import math

    return max(1, math.ceil(D(str(duration_ms))))


@pytest.mark.parametrize("duration_ms", [0.0, 1e-9, 0.01, 0.999999999, 1.0, 1.0000000000000002, 2.5, 26.73, 99.99999999,
                                         100.0, 899_999.9999999, 3.0000000000000004, 0.30000000000000004])
def test_the_warm_bill_without_decimal_is_the_decimal_bill(duration_ms):
    from lambda_local.billing import billed_duration_ms, invocation_cost, invocation_cost_usd

    billed = billed_duration_ms(duration_ms)
    assert billed == _decimal_billed_ms(duration_ms)
    for memory, arch, storage in ((128, "x86_64", 512), (1769, "arm64", 10_240)):
        assert invocation_cost_usd(billed, memory, arch, ephemeral_storage_mb=storage) == float(
            invocation_cost(billed, memory, arch, ephemeral_storage_mb=storage))
