"""Correcting the trade context with `set <key> <value>`, and showing it to the rep."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from followupd.errors import CommandError
from followupd.trade import (
    DOCUMENT_TYPES,
    SETTABLE,
    Money,
    TradeContext,
    ack_lines,
    apply,
    document_name,
    extract_context,
    parse_set,
    summary_line,
)
from followupd.trade.values import shown

TODAY = date(2026, 11, 20)


def parsed(key: str, value: str) -> tuple[str, object]:
    return parse_set(key, value, today=TODAY)


def error(key: str, value: str) -> str:
    with pytest.raises(CommandError) as caught:
        parse_set(key, value, today=TODAY)
    return str(caught.value)


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("validity", "2026-12-15", ("validity", date(2026, 12, 15))),
        ("validity", "15 Dec 2026", ("validity", date(2026, 12, 15))),
        ("validity", "Dec 15, 2026", ("validity", date(2026, 12, 15))),
        ("validity", "15/12/2026", ("validity", date(2026, 12, 15))),
        ("validity", "05/12/2026", ("validity", date(2026, 12, 5))),
        ("validity", "2026年12月15日", ("validity", date(2026, 12, 15))),
        ("validity", "15 de diciembre de 2026", ("validity", date(2026, 12, 15))),
        ("validity", "15 Dec", ("validity", date(2026, 12, 15))),
        ("validity", "30 days", ("validity", TODAY + timedelta(days=30))),
        ("validity", "in 2 weeks", ("validity", TODAY + timedelta(days=14))),
        ("validity", "tomorrow", ("validity", TODAY + timedelta(days=1))),
        ("amount", "USD 12480", ("amount", Money(Decimal("12480"), "USD"))),
        ("amount", "12480 USD", ("amount", Money(Decimal("12480"), "USD"))),
        ("amount", "€9,800", ("amount", Money(Decimal("9800"), "EUR"))),
        ("amount", "EUR 9.800,50", ("amount", Money(Decimal("9800.50"), "EUR"))),
        ("amount", "usd 12,480.00", ("amount", Money(Decimal("12480.00"), "USD"))),
        ("amount", "USD$12,480", ("amount", Money(Decimal("12480"), "USD"))),
        ("amount", "RMB ¥86,000", ("amount", Money(Decimal("86000"), "CNY"))),
        ("amount", "86000元", ("amount", Money(Decimal("86000"), "CNY"))),
        ("amount", "12480", ("amount", Money(Decimal("12480"), None))),
        ("currency", "usd", ("currency", "USD")),
        ("currency", "€", ("currency", "EUR")),
        ("currency", "RMB", ("currency", "CNY")),
        ("currency", "美元", ("currency", "USD")),
        ("currency", "PEN", ("currency", "PEN")),
        ("ref", "PI-2026-118", ("document_ref", "PI-2026-118")),
        ("ref", "  QTN 2026/55 ", ("document_ref", "QTN 2026/55")),
        ("type", "pi", ("document_type", "proforma invoice")),
        ("type", "Quote", ("document_type", "quotation")),
        ("type", "quotation", ("document_type", "quotation")),
        ("type", "sample", ("document_type", "sample")),
        ("type", "expo", ("document_type", "trade-show lead")),
        ("type", "lead", ("document_type", "trade-show lead")),
        ("type", "order", ("document_type", "order")),
        ("type", "PO", ("document_type", "order")),
        ("incoterm", "fob ningbo", ("incoterm", "FOB Ningbo")),
        ("incoterm", "FOB", ("incoterm", "FOB")),
        ("incoterm", "CIF Los Angeles", ("incoterm", "CIF Los Angeles")),
        ("incoterm", "C&F Jebel Ali", ("incoterm", "CFR Jebel Ali")),
        ("incoterm", "DAP: Lyon", ("incoterm", "DAP Lyon")),
        (
            "payment",
            "30% TT deposit, balance before shipment",
            ("payment_terms", "30% T/T deposit, balance before shipment"),
        ),
        ("payment", "L/C at sight", ("payment_terms", "L/C at sight")),
        ("payment", "net 30 after invoice", ("payment_terms", "net 30 after invoice")),
        ("shipment", "2026-12-20", ("shipment_date", date(2026, 12, 20))),
        ("shipment", "20 Dec", ("shipment_date", date(2026, 12, 20))),
        ("shipment", "25 days after deposit", ("lead_time", "25 days after deposit")),
        ("shipment", "收到定金后25天", ("lead_time", "25 days after deposit")),
        ("shipment", "from stock", ("lead_time", "from stock")),
        ("shipment", "after Chinese New Year", ("lead_time", "after Chinese New Year")),
        ("products", "6204-2RS, 6205-ZZ;6206", ("products", ("6204-2RS", "6205-ZZ", "6206"))),
        ("products", "LED面板灯、不锈钢水槽", ("products", ("LED面板灯", "不锈钢水槽"))),
        ("tier", "key", ("tier", "key")),
        ("tier", "VIP", ("tier", "key")),
        ("tier", "regular", ("tier", "regular")),
        ("tier", "prospect", ("tier", "lead")),
        (
            "note",
            "met at Canton Fair;  wants samples",
            ("notes", "met at Canton Fair; wants samples"),
        ),
    ],
)
def test_each_key(key: str, value: str, expected: tuple[str, object]) -> None:
    assert parsed(key, value) == expected


@pytest.mark.parametrize(
    ("key", "expected_key"),
    [
        ("Validity", "validity"),
        ("expiry", "validity"),
        ("payment_terms", "payment_terms"),
        ("payment-terms", "payment_terms"),
        ("document_ref", "document_ref"),
        ("etd", "shipment_date"),
        ("lead_time", "shipment_date"),
        ("notes", "notes"),
    ],
)
def test_aliases_and_field_names(key: str, expected_key: str) -> None:
    values = {
        "validity": "2026-12-15",
        "payment_terms": "L/C at sight",
        "document_ref": "PI-1",
        "shipment_date": "2026-12-20",
        "notes": "x",
    }
    assert parsed(key, values[expected_key])[0] == expected_key


@pytest.mark.parametrize(("key", "setter"), list(SETTABLE.items()))
def test_none_clears_every_key(key: str, setter: object) -> None:
    field, value = parsed(key, "none")
    assert value == (() if field == "products" else None)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        (
            "validity",
            "soonish",
            "validity: expected a date like 2026-12-15 or 15 Dec 2026, or a span like 30 days, "
            "got 'soonish'",
        ),
        ("validity", "2025-01-01", "validity: 2025-01-01 is already past (today is 2026-11-20)"),
        ("validity", "2035-01-01", "validity: 2035-01-01 is more than five years from today"),
        ("validity", "2026-13-45", "validity: expected a date like 2026-12-15"),
        (
            "amount",
            "lots",
            "amount: expected an amount like USD 12480, 12480 USD or €9,800, got 'lots'",
        ),
        ("amount", "12480 XYZ", "amount: 'XYZ' is not a currency; write its code, like USD 12480"),
        ("amount", "USD 12480 EUR", "amount: 'USD EUR' is not a currency"),
        ("amount", "USD 0", "amount: expected an amount like"),
        (
            "currency",
            "dollarz",
            "currency: expected an ISO 4217 code like USD, EUR or CNY, got 'dollarz'",
        ),
        ("currency", "ABC", "currency: expected an ISO 4217 code"),
        ("ref", "x" * 41, "ref: expected the document number, at most 40 characters"),
        ("ref", "---", "ref: expected the document number"),
        ("type", "invoice", "type: expected one of pi, quote, sample, expo, order, got 'invoice'"),
        ("incoterm", "FOBB", "incoterm: expected an Incoterms 2020 code (EXW, FCA, CPT, CIP, DAP,"),
        ("incoterm", "free on board", "incoterm: expected an Incoterms 2020 code"),
        ("payment", "x" * 121, "payment: at most 120 characters, got 121"),
        ("shipment", "y" * 121, "shipment: at most 120 characters, got 121"),
        ("products", ",".join(f"p{i}" for i in range(11)), "products: at most 10 products, got 11"),
        ("products", "z" * 81, "products: each product at most 80 characters"),
        ("tier", "gold", "tier: expected one of key, regular, lead, got 'gold'"),
        ("note", "n" * 501, "note: at most 500 characters, got 501"),
        ("validity", "  ", "validity: a value is needed: a date like 2026-12-15"),
    ],
)
def test_errors_say_what_was_expected(key: str, value: str, message: str) -> None:
    assert error(key, value).startswith(message)


def test_unknown_key_lists_the_valid_ones() -> None:
    assert error("validty", "2026-12-15") == (
        "unknown key 'validty' (did you mean validity?); valid keys: type, ref, amount, "
        "currency, validity, incoterm, payment, shipment, products, tier, note"
    )
    assert error("colour", "red").startswith("unknown key 'colour'; valid keys: type, ref,")


def test_every_document_type_can_be_set() -> None:
    typed = {"pi", "quote", "sample", "expo", "order"}
    assert {parsed("type", t)[1] for t in typed} == set(DOCUMENT_TYPES)


BASE = TradeContext(
    document_type="proforma invoice",
    document_ref="PI 2026-118",
    amount=Decimal("12480.00"),
    currency="USD",
    validity=date(2026, 12, 15),
    incoterm="FOB Ningbo",
    payment_terms="30% T/T deposit, 70% before shipment",
    lead_time="25 days after deposit",
    sources={
        "document_type": "subject",
        "document_ref": "attachment",
        "amount": "body",
        "currency": "body",
        "validity": "body",
        "incoterm": "body",
        "payment_terms": "body",
        "lead_time": "body",
    },
)


def test_apply_marks_the_value_as_set_by_the_rep() -> None:
    ctx = apply(BASE, *parsed("validity", "2026-12-20"))
    assert (ctx.validity, ctx.sources["validity"]) == (date(2026, 12, 20), "rep")
    assert BASE.validity == date(2026, 12, 15)  # the original is untouched


def test_amount_with_currency_sets_both() -> None:
    ctx = apply(BASE, *parsed("amount", "EUR 9.800,50"))
    assert (ctx.amount, ctx.currency) == (Decimal("9800.50"), "EUR")
    assert ctx.sources["amount"] == ctx.sources["currency"] == "rep"
    kept = apply(BASE, *parsed("amount", "13000"))
    assert (kept.amount, kept.currency, kept.sources["currency"]) == (Decimal(13000), "USD", "body")


def test_shipment_date_and_lead_time_replace_each_other() -> None:
    dated = apply(BASE, *parsed("shipment", "2027-01-10"))
    assert (dated.shipment_date, dated.lead_time) == (date(2027, 1, 10), None)
    assert "lead_time" not in dated.sources
    back = apply(dated, *parsed("shipment", "30 days after deposit"))
    assert (back.shipment_date, back.lead_time) == (None, "30 days after deposit")
    cleared = apply(back, *parsed("shipment", "none"))
    assert (cleared.shipment_date, cleared.lead_time) == (None, None)


def test_clearing_drops_the_source() -> None:
    ctx = apply(BASE, *parsed("incoterm", "none"))
    assert ctx.incoterm is None
    assert "incoterm" not in ctx.sources


def test_apply_rejects_a_value_of_the_wrong_kind() -> None:
    with pytest.raises(ValueError, match="tier"):
        apply(BASE, "tier", "gold")


@pytest.mark.parametrize("key", list(SETTABLE))
def test_shown_values_parse_back_to_themselves(key: str) -> None:
    full = apply(
        apply(apply(apply(BASE, "products", ("6204-2RS", "6205-ZZ")), "tier", "key"), "notes", "x"),
        "document_ref",
        "PI-2026-118",
    )
    text = shown(full, key)
    assert text is not None
    field, value = parsed(key, text)
    again = apply(full, field, value)
    assert shown(again, key) == text


def test_summary_line() -> None:
    assert summary_line(BASE, "ACME", "pi") == (
        "Tracking PI 2026-118 with ACME, USD 12,480.00, validity 2026-12-15, FOB Ningbo, cadence pi"
    )
    assert summary_line(TradeContext(), None, "quote") == "Tracking this thread, cadence quote"
    quote = TradeContext(
        document_type="quotation", document_ref="Q2611-05", validity=date(2026, 12, 1)
    )
    assert summary_line(quote, "Müller GmbH", "quote") == (
        "Tracking quotation Q2611-05 with Müller GmbH, validity 2026-12-01, cadence quote"
    )
    yen = TradeContext(amount=Decimal("1200000"), currency="JPY")
    assert summary_line(yen, None, "pi") == "Tracking this thread, JPY 1,200,000, cadence pi"


@pytest.mark.parametrize(
    ("kind", "ref", "expected"),
    [
        ("proforma invoice", "2026-118", "PI 2026-118"),
        ("proforma invoice", "PI-2026-118", "PI-2026-118"),
        ("quotation", "Q2611-05", "quotation Q2611-05"),
        ("sample", None, "sample"),
        (None, "X-1", "X-1"),
        (None, None, None),
    ],
)
def test_document_name(kind: str | None, ref: str | None, expected: str | None) -> None:
    assert document_name(TradeContext(document_type=kind, document_ref=ref)) == expected


def test_ack_lines_show_source_and_correction() -> None:
    assert ack_lines(BASE) == [
        "type: proforma invoice (from the subject) — reply `set type proforma invoice` "
        "with the right value to change",
        "ref: PI 2026-118 (from the attachment name) — reply `set ref PI 2026-118` "
        "with the right value to change",
        "amount: USD 12,480.00 (from the body) — reply `set amount USD 12,480.00` "
        "with the right value to change",
        "validity: 2026-12-15 (from the body) — reply `set validity 2026-12-15` "
        "with the right value to change",
        "incoterm: FOB Ningbo (from the body) — reply `set incoterm FOB Ningbo` "
        "with the right value to change",
        "payment: 30% T/T deposit, 70% before shipment (from the body) — reply "
        "`set payment 30% T/T deposit, 70% before shipment` with the right value to change",
        "shipment: 25 days after deposit (from the body) — reply "
        "`set shipment 25 days after deposit` with the right value to change",
    ]


def test_ack_lines_name_what_was_not_found() -> None:
    ctx = apply(
        TradeContext(document_type="quotation", sources={"document_type": "cadence"}),
        "notes",
        "call Friday",
    )
    assert ack_lines(ctx) == [
        "type: quotation (from the cadence) — reply `set type quotation` with the right value "
        "to change",
        "note: call Friday (set by you) — reply `set note call Friday` with the right value "
        "to change",
        "not found: ref, amount, validity, incoterm, payment, shipment — reply "
        "`set <key> <value>` to add",
    ]


def test_a_currency_without_amount_is_shown_alone() -> None:
    lines = ack_lines(TradeContext(currency="EUR"))
    assert lines[0].startswith("currency: EUR — reply `set currency EUR`")


def test_the_buyer_never_sees_notes_or_tier() -> None:
    ctx = apply(apply(BASE, "notes", "buyer is slow to pay"), "tier", "key")
    view = ctx.buyer_view()
    assert "notes" not in view and "tier" not in view and "sources" not in view
    assert "buyer is slow to pay" not in repr(view)
    assert view["validity"] == date(2026, 12, 15)


def test_the_context_round_trips_through_a_record() -> None:
    ctx = apply(apply(BASE, "products", ("6204-2RS",)), "shipment_date", date(2027, 1, 10))
    record = ctx.to_record()
    assert record["amount"] == "12480.00" and record["validity"] == "2026-12-15"
    assert TradeContext.from_record({**record, "unknown": 1}) == ctx
    with pytest.raises(ValueError, match="invalid trade context record"):
        TradeContext.from_record({"validity": "soon"})


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"document_type": "invoice"}, "document_type"),
        ({"tier": "gold"}, "tier"),
        ({"currency": "XYZ"}, "currency"),
        ({"amount": Decimal(-1)}, "amount"),
        ({"amount": Decimal("NaN")}, "amount"),
        ({"incoterm": "FREE Ningbo"}, "incoterm"),
        ({"validity": "2026-12-15"}, "validity"),
        ({"sources": {"validity": "guess"}}, "source"),
        ({"sources": {"colour": "body"}}, "source"),
    ],
)
def test_building_a_context_validates_it(fields: dict[str, object], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        TradeContext(**fields)  # type: ignore[arg-type]


def test_sources_cannot_be_changed_behind_its_back() -> None:
    sources = {"validity": "body"}
    ctx = TradeContext(validity=date(2026, 12, 15), sources=sources)
    sources["validity"] = "rep"
    assert ctx.sources["validity"] == "body"
    with pytest.raises(TypeError):
        ctx.sources["validity"] = "rep"  # type: ignore[index]


def test_extract_then_correct_then_acknowledge() -> None:
    ctx = extract_context(
        "PI 2026-118",
        "Total: USD 12,480.00\nValidity: 30 days\nPrice: FOB Ningbo",
        ["PI-2026-118.pdf"],
        sent=TODAY,
        cadence="pi",
    )
    ctx = apply(ctx, *parse_set("validity", "2026-12-15", today=TODAY))
    assert summary_line(ctx, "ACME", "pi") == (
        "Tracking PI 2026-118 with ACME, USD 12,480.00, validity 2026-12-15, FOB Ningbo, cadence pi"
    )
    assert ack_lines(ctx)[3].startswith("validity: 2026-12-15 (set by you)")


_VALUES = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        ["2026-12-15", "30 days", "USD 12,480", "fob ningbo", "pi", "none", "15/12/2026", "¥"]
    ),
)


@settings(max_examples=200)
@given(
    key=st.one_of(st.sampled_from([*SETTABLE, "payment_terms", "etd"]), st.text(max_size=12)),
    value=_VALUES,
    today=st.dates(date(1990, 1, 1), date(2095, 1, 1)),
)
def test_any_command_is_applied_or_explained(key: str, value: str, today: date) -> None:
    try:
        field, typed = parse_set(key, value, today=today)
    except CommandError as exc:
        assert str(exc)
        return
    # Whatever parse_set accepts makes a valid context.
    apply(TradeContext(), field, typed)
