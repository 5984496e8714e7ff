"""Reading the trade context from the mail a rep enrolls, in the languages reps write in."""

from __future__ import annotations

import logging
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from corpus_data import CORPUS
from hypothesis import given, settings
from hypothesis import strategies as st

from followupd.errors import MailParseError
from followupd.mail.parse import parse_message
from followupd.trade import TradeContext, extract_context

# A Friday.
SENT = date(2026, 11, 20)


def read(subject: str, text: str, attachments: tuple[str, ...] = (), cadence: str = "pi") -> Any:
    return extract_context(subject, text, attachments, sent=SENT, cadence=cadence)


# (name, subject, body, attachments, expected fields). Every mail quotes older text or
# carries a signature whose numbers must not leak into the context.
MAILS: list[tuple[str, str, str, tuple[str, ...], dict[str, Any]]] = [
    (
        "en-pi-table",
        "PI 2026-118 for ACME - 6204-2RS bearings",
        """Dear John,

Thanks for your order. Please find attached our PI 2026-118 for your confirmation.

Item: 6204-2RS deep groove ball bearing, 10,000 pcs, USD 0.25/pc
Item: 6205-ZZ deep groove ball bearing, 20,000 pcs, USD 0.49/pc
Total amount: USD 12,300.00
Price term: FOB Ningbo
Payment: 30% T/T deposit, 70% before shipment
Delivery time: 25 days after deposit
Validity: 30 days

Best regards,
Lily Wang
Ningbo Bearing Co., Ltd.
Tel: +86 574 8765 4321  Mob/WhatsApp: +86 138 1234 5678

On Mon, Nov 16, 2026 at 9:00 AM John Smith <john@acme.example> wrote:
> Please quote 6204-2RS, target price USD 0.20. Our budget is USD 99,000.
> The offer must be valid until 31 Jan 2027.
""",
        ("PI-2026-118.pdf",),
        {
            "document_type": "proforma invoice",
            "document_ref": "PI 2026-118",
            "amount": Decimal("12300.00"),
            "currency": "USD",
            "validity": date(2026, 12, 20),
            "incoterm": "FOB Ningbo",
            "payment_terms": "30% T/T deposit, 70% before shipment",
            "lead_time": "25 days after deposit",
            "products": ("6204-2RS deep groove ball bearing", "6205-ZZ deep groove ball bearing"),
        },
    ),
    (
        "en-quotation-outlook",
        "Quotation QTN-2026-0412 / LED panel lights",
        """Hi Sarah,

As discussed, our best offer is below.

Model     Qty        Unit Price     Amount
PL-6060   2,000 pcs  US$8.50        US$17,000.00
PL-3060   1,000 pcs  US$5.20        US$5,200.00
Grand Total: US$22,200.00

Prices are CIF Los Angeles and valid until Dec 15, 2026.
Payment by L/C at sight. ETD: Jan 10, 2027.

Kind regards,
Tom
Mobile: +1 (415) 555-0188

-----Original Message-----
From: Sarah Lee <sarah@buyer.example>
Sent: Monday, November 16, 2026 9:00 AM
Subject: RFQ LED panels
Total budget USD 30,000, we need prices valid until 31 March 2027.
""",
        (),
        {
            "document_type": "quotation",
            "document_ref": "QTN-2026-0412",
            "amount": Decimal("22200.00"),
            "currency": "USD",
            "validity": date(2026, 12, 15),
            "incoterm": "CIF Los Angeles",
            "payment_terms": "L/C at sight",
            "shipment_date": date(2027, 1, 10),
        },
    ),
    (
        "en-expo-lead",
        "Nice meeting you at the Canton Fair, booth 12.1 K15",
        """Dear Mr. Novak,

It was a pleasure to meet you at our booth. As promised, here are the models you liked.

Models: 6204-2RS, 6205-ZZ, 6206-2RS
Prices on request. We look forward to your inquiry.

Best regards,
Lily
""",
        (),
        {"document_type": "trade-show lead", "products": ("6204-2RS", "6205-ZZ", "6206-2RS")},
    ),
    (
        "en-order-confirmation",
        "Order confirmation 4500123",
        """Dear Anna,

We confirm your order. Total: EUR 9,850.50 DDP Warsaw.
Shipment date: 18/12/2026.

Anna, please note our bank details did not change.
Tel. +86 21 5555 0000
""",
        (),
        {
            "document_type": "order",
            "amount": Decimal("9850.50"),
            "currency": "EUR",
            "incoterm": "DDP Warsaw",
            "shipment_date": date(2026, 12, 18),
        },
    ),
    (
        "zh-quotation",
        "报价单 Q2611-05",
        """王先生您好，

附件是我们的报价单，请查收。
品名：LED面板灯 600x600 40W
单价：USD 4.32/件
总金额：USD 8,640.00
价格条款：FOB宁波
付款方式：30%定金，70%尾款发货前付清
交货期：收到定金后25天
有效期至2026年12月15日

李丽
电话：0574-8765 4321 手机：138 1234 5678

发件人: 王伟 <wang@buyer.example>
发送时间: 2026年11月16日 9:00
主题: 询价
目标价 USD 3.80，总预算 USD 50,000，有效期至2027年1月31日。
""",
        (),
        {
            "document_type": "quotation",
            "document_ref": "Q2611-05",
            "amount": Decimal("8640.00"),
            "currency": "USD",
            "validity": date(2026, 12, 15),
            "incoterm": "FOB 宁波",
            "payment_terms": "30% deposit, 70% before shipment",
            "lead_time": "25 days after deposit",
            "products": ("LED面板灯 600x600 40W",),
        },
    ),
    (
        "zh-pi-rmb",
        "形式发票 PI-2026-120",
        """张经理：

请确认形式发票。
合计：人民币86,000元
价格条款：EXW 宁波
付款方式：电汇30%定金，余款见提单副本
交货期：收到定金后20个工作日
有效期：30天

在 2026年11月16日 09:00，张三 <zhang@buyer.example> 写道：
> 请报价，预算 ￥120,000，报价有效期至2027年3月1日。
""",
        ("PI-2026-120.xlsx",),
        {
            "document_type": "proforma invoice",
            "document_ref": "PI-2026-120",
            "amount": Decimal("86000"),
            "currency": "CNY",
            "validity": date(2026, 12, 20),
            "incoterm": "EXW 宁波",
            "payment_terms": "30% T/T deposit, balance against B/L copy",
            "lead_time": "20 working days after deposit",
        },
    ),
    (
        "es-cotizacion",
        "Cotización 2026-55",
        """Estimado Sr. García:

Adjuntamos nuestra cotización.
Precio unitario: USD 1,55 por unidad
Importe total: USD 15.480,50
Cotización válida hasta el 15/12/2026.
Forma de pago: 30% de anticipo por transferencia, 70% antes del embarque.
Plazo de entrega: 30 días después del anticipo.

Saludos cordiales,
María
Teléfono: +34 912 345 678

El lun, 16 nov 2026 a las 9:00, Juan García <juan@comprador.example> escribió:
> Precio objetivo USD 1,20. Presupuesto total USD 40.000.
""",
        (),
        {
            "document_type": "quotation",
            "document_ref": "2026-55",
            "amount": Decimal("15480.50"),
            "currency": "USD",
            "validity": date(2026, 12, 15),
            "payment_terms": "30% T/T deposit, 70% before shipment",
            "lead_time": "30 days after deposit",
        },
    ),
    (
        "es-proforma",
        "Factura proforma PI-2026-130",
        """Hola Carlos,

Le enviamos la factura proforma.
Importe total: $ 12.480,00
Válida hasta el 15 de diciembre de 2026.
Condiciones de entrega: FOB Shanghai
Entrega: 30 días hábiles después del anticipo.

De: Carlos Pérez <carlos@comprador.example>
Enviado: lunes, 16 de noviembre de 2026 9:00
Para: ventas@fabrica.example
Asunto: pedido
Necesitamos la entrega antes del 01/12/2026. Importe máximo USD 20.000.
""",
        (),
        {
            "document_type": "proforma invoice",
            "document_ref": "PI-2026-130",
            "amount": Decimal("12480.00"),
            "currency": "USD",
            "validity": date(2026, 12, 15),
            "incoterm": "FOB Shanghai",
            "lead_time": "30 working days after deposit",
        },
    ),
    (
        "fr-devis",
        "Devis n° D-2026-41",
        """Bonjour Madame Martin,

Veuillez trouver notre devis.
Prix unitaire : 2,45 € la pièce
Montant total : 9\u202f800,50 €
Offre valable jusqu'au 15/12/2026.
Paiement : 30 % d'acompte par virement, solde avant expédition.
Délai de livraison : 4 semaines après acompte.
Incoterm : DAP Lyon

Cordialement,
Pierre
Téléphone : +33 1 23 45 67 89
""",
        (),
        {
            "document_type": "quotation",
            "document_ref": "D-2026-41",
            "amount": Decimal("9800.50"),
            "currency": "EUR",
            "validity": date(2026, 12, 15),
            "payment_terms": "30% T/T deposit, balance before shipment",
            "lead_time": "4 weeks after deposit",
            "incoterm": "DAP Lyon",
        },
    ),
    (
        "fr-proforma",
        "Facture proforma PI 2026-131",
        """Bonjour Paul,

Ci-joint la facture proforma.
Total : EUR 15.300,00
Validité : 30 jours
Paiement : L/C à vue

Le lun. 16 nov. 2026 à 09:00, Paul Durand <paul@acheteur.example> a écrit :
> Notre budget est de 20 000 €. Offre valable jusqu'au 31/01/2027 svp.
""",
        (),
        {
            "document_type": "proforma invoice",
            "document_ref": "PI 2026-131",
            "amount": Decimal("15300.00"),
            "currency": "EUR",
            "validity": date(2026, 12, 20),
            "payment_terms": "L/C at sight",
        },
    ),
    (
        "de-angebot",
        "Angebot 2026-77",
        """Sehr geehrter Herr Müller,

anbei unser Angebot.
Gesamtbetrag: 9.800,50 €
Das Angebot ist gültig bis 15.12.2026.
Lieferbedingungen: CIF Hamburg
Zahlung: 30% Anzahlung per Überweisung, 70% vor Versand
Lieferzeit: 4 Wochen nach Anzahlung

Mit freundlichen Grüßen
Li Na
Telefon: +86 574 1234 5678
""",
        (),
        {
            "document_type": "quotation",
            "document_ref": "2026-77",
            "amount": Decimal("9800.50"),
            "currency": "EUR",
            "validity": date(2026, 12, 15),
            "incoterm": "CIF Hamburg",
            "payment_terms": "30% T/T deposit, 70% before shipment",
            "lead_time": "4 weeks after deposit",
        },
    ),
    (
        "de-proforma",
        "Proformarechnung PI-2026-132",
        """Hallo Herr Schmidt,

Einzelpreis: EUR 1,25 pro Stück
Gesamtsumme: EUR 24.960,00
Angebot gültig bis 15. Dezember 2026.
Zahlungsbedingungen: 100% Vorkasse per Überweisung
Lieferzeit: 6 Wochen nach Zahlungseingang

Am 16.11.2026 um 09:00 schrieb Hans Schmidt <hans@kunde.example>:
> Gesamtbudget EUR 30.000, Lieferung bis 01.12.2026.
""",
        (),
        {
            "document_type": "proforma invoice",
            "document_ref": "PI-2026-132",
            "amount": Decimal("24960.00"),
            "currency": "EUR",
            "validity": date(2026, 12, 15),
            "payment_terms": "100% T/T in advance",
            "lead_time": "6 weeks after payment",
        },
    ),
    (
        "ru-predlozhenie",
        "Предложение 118",
        """Здравствуйте, Иван!

Итого: 12 480,00 USD
Предложение действительно до 15.12.2026.
Оплата: 30% предоплата, 70% перед отгрузкой.
Срок поставки: 25 дней после предоплаты.

С уважением,
Ли Хуа
Тел.: +86 574 8765 4321

16 нояб. 2026 г., в 9:00, Иван Петров <ivan@pokupatel.example> написал:
> Бюджет 20 000 USD, предложение должно быть действительно до 31.01.2027.
""",
        (),
        {
            "document_type": "quotation",
            "document_ref": "118",
            "amount": Decimal("12480.00"),
            "currency": "USD",
            "validity": date(2026, 12, 15),
            "payment_terms": "30% deposit, 70% before shipment",
            "lead_time": "25 days after deposit",
        },
    ),
    (
        "ru-kp-rub",
        "Коммерческое предложение № 2026-15",
        """Добрый день, Ольга!

Направляем коммерческое предложение.
Итого: 1 250 000 руб.
Предложение действительно в течение 30 дней.
Условия оплаты: 50% предоплата, 50% перед отгрузкой.
Условия поставки: FCA Москва
Срок поставки: 25-30 рабочих дней.
""",
        (),
        {
            "document_type": "quotation",
            "document_ref": "2026-15",
            "amount": Decimal("1250000"),
            "currency": "RUB",
            "validity": date(2026, 12, 20),
            "payment_terms": "50% deposit, 50% before shipment",
            "incoterm": "FCA Москва",
            "lead_time": "25-30 working days",
        },
    ),
    (
        "pt-cotacao",
        "Cotação nº 2026-60",
        """Prezado João,

Segue nossa cotação.
Valor total: R$ 48.600,00
Proposta válida até 15/12/2026.
Pagamento: 30% de sinal via T/T, 70% antes do embarque.
Prazo de entrega: 30 dias após o sinal.
Preço FOB Ningbo.

Atenciosamente,
Wang Fang
Telefone: +86 574 8888 1234

Em seg., 16 de nov. de 2026 às 09:00, João Silva <joao@comprador.example> escreveu:
> Orçamento máximo R$ 60.000,00, validade até 31/01/2027.
""",
        (),
        {
            "document_type": "quotation",
            "document_ref": "2026-60",
            "amount": Decimal("48600.00"),
            "currency": "BRL",
            "validity": date(2026, 12, 15),
            "payment_terms": "30% T/T deposit, 70% before shipment",
            "lead_time": "30 days after deposit",
            "incoterm": "FOB Ningbo",
        },
    ),
    (
        "pt-proforma",
        "Fatura proforma PI-2026-140",
        """Olá Ana,

Total: USD 7.250,00
Validade: 15 de dezembro de 2026
Condições de pagamento: carta de crédito à vista
Data de embarque: 20/12/2026
""",
        (),
        {
            "document_type": "proforma invoice",
            "document_ref": "PI-2026-140",
            "amount": Decimal("7250.00"),
            "currency": "USD",
            "validity": date(2026, 12, 15),
            "payment_terms": "L/C at sight",
            "shipment_date": date(2026, 12, 20),
        },
    ),
]


@pytest.mark.parametrize(
    ("subject", "body", "attachments", "expected"),
    [pytest.param(*mail[1:], id=mail[0]) for mail in MAILS],
)
def test_reads_the_mail(
    subject: str, body: str, attachments: tuple[str, ...], expected: dict[str, Any]
) -> None:
    ctx = read(subject, body, attachments)
    got = {name: getattr(ctx, name) for name in TradeContext.__dataclass_fields__}
    del got["sources"]
    empty = {name: () if name == "products" else None for name in got}
    assert got == {**empty, **expected}


def test_a_mail_on_one_line() -> None:
    # HTML mail converted to text can arrive as one long line, signature included.
    body = (
        "Dear Mr. Brown, thank you for your inquiry. Please find our PI No. HX20261120-01 "
        "attached. Total amount: USD 36,750.00 (FOB Xiamen). Price valid until 15-Dec-2026. "
        "Payment: 30% deposit by T/T, balance against B/L copy. Lead time: 35 days after "
        "deposit. Best regards, Jack Tel: 0086-592-1234567 Fax: $ 0086 592 1234568"
    )
    ctx = read("RE: Inquiry of stainless steel sinks", body)
    assert (ctx.document_ref, ctx.amount, ctx.validity, ctx.incoterm) == (
        "HX20261120-01",
        Decimal("36750.00"),
        date(2026, 12, 15),
        "FOB Xiamen",
    )
    assert ctx.payment_terms == "30% T/T deposit, balance against B/L copy"
    assert ctx.lead_time == "35 days after deposit"


def test_names_where_each_value_came_from() -> None:
    ctx = read(
        "PI 2026-118", "Total: USD 12,480.00\nValid until 15 Dec 2026.", ("PI-2026-118.pdf",)
    )
    assert ctx.sources == {
        "document_type": "subject",
        "document_ref": "subject",
        "amount": "body",
        "currency": "body",
        "validity": "body",
    }
    by_name = read("Our offer", "Please see attached.", ("PI-2026-200.pdf",))
    assert (by_name.document_ref, by_name.sources["document_ref"]) == ("PI-2026-200", "attachment")
    assert read("Hello", "Hi", (), cadence="quote").sources == {"document_type": "cadence"}


def test_validity_in_the_subject() -> None:
    ctx = read("PI 2026-118 valid until 15/12/2026", "Please confirm.")
    assert (ctx.validity, ctx.sources["validity"]) == (date(2026, 12, 15), "subject")


def test_signature_numbers_are_not_amounts() -> None:
    body = """Dear John, please confirm the PI at your earliest convenience.

Best regards,
Lily Wang | Sales Manager
Tel: +86 574 8765 4321 | Fax: 0086-574-8765 4322
Mob/WhatsApp/WeChat: +86 138 1234 5678
Add: No. 88 Jiangbei Road, Ningbo 315000, China
"""
    ctx = read("PI 2026-118", body)
    assert (ctx.amount, ctx.currency) == (None, None)


def test_unit_prices_alone_are_not_the_amount() -> None:
    body = "Price: USD 2.35/pc FOB Ningbo, MOQ 5,000 pcs.\n6205-ZZ: $3.10 each"
    ctx = read("Quotation for bearings", body)
    assert (ctx.amount, ctx.incoterm) == (None, "FOB Ningbo")


def test_deposit_and_freight_are_not_the_amount() -> None:
    body = (
        "Goods value: USD 10,000.00\n"
        "Freight: USD 800.00\n"
        "Please arrange the 30% deposit USD 3,240.00 by T/T."
    )
    ctx = read("PI 2026-118", body)
    assert (ctx.amount, ctx.currency) == (Decimal("10000.00"), "USD")


def test_total_on_the_line_below_its_label() -> None:
    ctx = read("PI 2026-118", "Line 1: USD 400.00\nTotal amount:\nUSD 1,200.00\nLine 2: USD 800")
    assert ctx.amount == Decimal("1200.00")


def test_the_total_beats_a_bigger_plain_amount() -> None:
    body = "Last year you ordered USD 50,000.00 from us.\nTotal: USD 12,480.00"
    assert read("PI 2026-118", body).amount == Decimal("12480.00")


def test_quoted_text_is_ignored() -> None:
    body = """Dear Ann, the PI is attached.

On Mon, 16 Nov 2026, Ann <ann@buyer.example> wrote:
> Total: USD 99,000.00. Price must be valid until 15 Dec 2026, FOB Ningbo, L/C at sight.
"""
    ctx = read("PI 2026-118", body)
    assert (ctx.amount, ctx.validity, ctx.incoterm, ctx.payment_terms) == (None, None, None, None)


@pytest.mark.parametrize(
    "body",
    [
        "This offer is valid until 15/10/2026.",  # before the mail was sent
        "Validity: 2026-11-01",
        "有效期至2026年10月1日",
    ],
)
def test_validity_is_never_before_the_day_sent(body: str) -> None:
    assert read("PI 2026-118", body).validity is None


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("Validity: 30 days", SENT + timedelta(days=30)),
        ("Offer valid for 2 weeks.", SENT + timedelta(days=14)),
        ("Price validity: 1 month", date(2026, 12, 20)),
        ("This quotation has 30 days validity.", SENT + timedelta(days=30)),
        ("本报价30天内有效。", SENT + timedelta(days=30)),
        ("有效期：一个月", date(2026, 12, 20)),
        ("Validez: 15 días", SENT + timedelta(days=15)),
        ("Validité : 10 jours ouvrables", date(2026, 12, 4)),
        ("Angebot gültig für 14 Tage.", SENT + timedelta(days=14)),
        ("Срок действия: 30 дней", SENT + timedelta(days=30)),
        ("Validade: 45 dias", SENT + timedelta(days=45)),
        # English numeric dates read month first, unless that reading cannot be meant.
        ("Valid until 12/05/2026.", date(2026, 12, 5)),
        ("Valid until 01/02/2027.", date(2027, 1, 2)),
        ("Valid till 15th December.", date(2026, 12, 15)),
        ("Die Preise sind gültig bis 15.12.", date(2026, 12, 15)),
        ("Válida até 15 de dezembro de 2026.", date(2026, 12, 15)),
        ("Действительно до 15 декабря 2026 г.", date(2026, 12, 15)),
        ("Valable jusqu'au 1er décembre 2026.", date(2026, 12, 1)),
        ("Expiry date: 2027-01-15", date(2027, 1, 15)),
        ("Price valid until 15-Dec-2026.", date(2026, 12, 15)),
        ("Validity: 2026/12/15", date(2026, 12, 15)),
    ],
)
def test_validity_forms(body: str, expected: date) -> None:
    assert read("Quotation", body).validity == expected


@pytest.mark.parametrize(
    ("body", "field", "expected"),
    [
        ("ETD 2026-12-20", "shipment_date", date(2026, 12, 20)),
        (
            "Delivery time: 25-30 days after receipt of deposit.",
            "lead_time",
            "25-30 days after deposit",
        ),
        (
            "We can ship within 15 working days after order confirmation.",
            "lead_time",
            "15 working days after order",
        ),
        ("交货期：收到定金后25天", "lead_time", "25 days after deposit"),
        ("收到定金后25天内交货。", "lead_time", "25 days after deposit"),
        ("Lead time: 30 days after receipt of L/C", "lead_time", "30 days after receipt of L/C"),
        ("Delivery: in stock, ready to ship.", "lead_time", "from stock"),
        ("Plazo de entrega: 3 semanas", "lead_time", "3 weeks"),
        ("Versand: 20.12.2026", "shipment_date", date(2026, 12, 20)),
    ],
)
def test_shipment_forms(body: str, field: str, expected: object) -> None:
    assert getattr(read("PI 2026-118", body), field) == expected


def test_before_shipment_in_the_payment_terms_is_not_a_shipment() -> None:
    ctx = read("PI", "30% deposit, balance before shipment 2026-12-01 is fine.\nThanks")
    assert (ctx.shipment_date, ctx.lead_time) == (None, None)
    assert ctx.payment_terms == "30% deposit, balance before shipment"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "Payment terms: T/T 30% in advance, 70% balance against copy of B/L",
            "30% T/T deposit, 70% against B/L copy",
        ),
        ("Payment: 100% T/T in advance", "100% T/T in advance"),
        ("Payment: L/C 90 days", "L/C 90 days"),
        ("Payment: D/P at sight", "D/P at sight"),
        ("Payment by Western Union or PayPal.", "Western Union or PayPal"),
        (
            "Payment terms:\n30% deposit\n70% before shipment\nDelivery: 25 days",
            "30% deposit, 70% before shipment",
        ),
        ("付款方式：信用证即期", "L/C at sight"),
        ("付款方式：预付30%，余款70%见提单副本", "30% deposit, 70% against B/L copy"),
        ("Zahlung: 30% Anzahlung, Rest vor Lieferung", "30% deposit, balance before shipment"),
    ],
)
def test_payment_forms(body: str, expected: str) -> None:
    assert read("PI 2026-118", body).payment_terms == expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("Price: FOB Ningbo Port", "FOB Ningbo"),
        ("Our prices are FOB NINGBO.", "FOB Ningbo"),
        ("Price term: CNF Jebel Ali", "CFR Jebel Ali"),
        ("FOB price USD 2.35", "FOB"),
        ("Terms: CIF Hamburg, Germany", "CIF Hamburg"),
        ("价格条款：FOB上海港", "FOB 上海"),
        ("Datos fiscales: CIF: B12345678\nPrecio EXW Yuyao", "EXW Yuyao"),
    ],
)
def test_incoterm_forms(body: str, expected: str) -> None:
    assert read("PI 2026-118", body).incoterm == expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("USD 12,480.00 total", (Decimal("12480.00"), "USD")),
        ("Total: 12,480 USD", (Decimal("12480"), "USD")),
        ("Total amount: US$12,480", (Decimal("12480"), "USD")),
        ("Total (USD): 12,480.00", (Decimal("12480.00"), "USD")),
        ("合计：RMB ¥86,000", (Decimal("86000"), "CNY")),
        ("总计：12480美元", (Decimal("12480"), "USD")),
        ("Importe total: EUR 9.800,50", (Decimal("9800.50"), "EUR")),
        ("Montant total : 9 800,50 €", (Decimal("9800.50"), "EUR")),
        ("Total: CHF 12'480.00", (Decimal("12480.00"), "CHF")),
        ("Total: ¥1,200,000です", (Decimal("1200000"), "JPY")),
        ("Total (incl. 13% VAT): EUR 1,130.00", (Decimal("1130.00"), "EUR")),
        ("Sub-total: USD 900.00\nTotal incl. freight: USD 1,000.00", (Decimal("1000.00"), "USD")),
        ("Balance 70%: USD 700.00\nPI value USD 1,000.00", (Decimal("1000.00"), "USD")),
        ("Total：ＵＳＤ １２，４８０．００", (Decimal("12480.00"), "USD")),
    ],
)
def test_amount_forms(body: str, expected: tuple[Decimal, str]) -> None:
    ctx = read("PI 2026-118", body)
    assert (ctx.amount, ctx.currency) == expected


def test_products_leave_out_quantities_and_prices() -> None:
    body = "Products: 6204-2RS bearing x 10000 pcs; 6205-ZZ bearing, qty 5,000\n品名：不锈钢水槽"
    assert read("Quotation", body).products == (
        "6204-2RS bearing",
        "6205-ZZ bearing",
        "不锈钢水槽",
    )


@pytest.mark.parametrize(
    ("subject", "body", "cadence", "expected"),
    [
        ("Samples sent by DHL", "", "pi", "sample"),
        ("Follow-up", "Great to meet you at the expo last week.", "quote", "trade-show lead"),
        ("Follow-up", "Please find attached our PI.", "custom", "proforma invoice"),
        ("Follow-up", "We can also send free samples.", "pi", "proforma invoice"),
        ("Follow-up", "A fair price for a hair salon.", "custom", None),
        ("Follow-up", "PO Box 1234, Ningbo", "quote", "quotation"),
        ("PO 4500123", "", "quote", "order"),
        ("Muestras enviadas", "", "pi", "sample"),
        ("样品寄出", "", "pi", "sample"),
        ("Follow-up", "", "expo", "trade-show lead"),
        ("Follow-up", "", "unknown", None),
    ],
)
def test_document_type(subject: str, body: str, cadence: str, expected: str | None) -> None:
    assert read(subject, body, cadence=cadence).document_type == expected


def test_a_description_that_points_elsewhere_is_no_product() -> None:
    assert read("Quotation", "Description: see attached PI\nItem: N/A").products == ()


def test_document_number_from_a_body_label() -> None:
    ctx = read("Our offer", "Dear Tom,\nQuotation No.: QT-2611-07\nTotal: USD 500.00")
    assert (ctx.document_ref, ctx.sources["document_ref"]) == ("QT-2611-07", "body")


# What the reader must survive: any text, huge text, and text made of its own cue words.
_FRAGMENTS = [
    "Total: USD 12,480.00",
    "valid until ",
    "15/12/2026",
    "有效期至",
    "2026年12月15日",
    "30 days",
    "FOB ",
    "Ningbo",
    "Payment: ",
    "30% T/T deposit",
    ", 70% before shipment",
    "Delivery: ",
    "25-30 working days after deposit",
    "Item: ",
    "> ",
    "\n",
    "On Mon wrote:\n",
    "¥",
    "€",
    "1.234,56",
    "%",
    "：",
    "9" * 40,
]


@contextmanager
def no_step_failures() -> Iterator[list[logging.LogRecord]]:
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    logger = logging.getLogger("followupd.trade.extract")
    handler = Keep(level=logging.WARNING)
    logger.addHandler(handler)
    try:
        yield records
    finally:
        logger.removeHandler(handler)
    assert records == [], [r.getMessage() for r in records]


_text = st.one_of(
    st.text(),
    st.lists(st.one_of(st.sampled_from(_FRAGMENTS), st.text(max_size=8)), max_size=40).map("".join),
)


@settings(max_examples=300)
@given(
    subject=_text,
    text=_text,
    attachments=st.lists(_text, max_size=3),
    sent=st.dates(),
    cadence=st.text(max_size=10),
)
def test_never_raises(
    subject: str, text: str, attachments: list[str], sent: date, cadence: str
) -> None:
    with no_step_failures():
        ctx = extract_context(subject, text, attachments, sent=sent, cadence=cadence)
    assert ctx.validity is None or ctx.validity >= sent
    assert ctx.shipment_date is None or ctx.shipment_date >= sent


@pytest.mark.parametrize(
    "text",
    [
        "1," * 200_000,
        "USD " * 100_000,
        "valid until " * 50_000,
        "FOB " * 100_000,
        "Payment: " + "30% " * 100_000,
        "x" * 1_000_000,
        "\n" * 500_000,
        "> quoted\n" * 50_000,
        "9" * 1_000_000,
    ],
    ids=[
        "commas",
        "currency",
        "cues",
        "incoterms",
        "percents",
        "one-line",
        "newlines",
        "quotes",
        "digits",
    ],
)
def test_huge_input_is_bounded(text: str) -> None:
    with no_step_failures():
        extract_context(text, text, [text] * 1000, sent=SENT, cadence="pi")


def _corpus() -> list[tuple[str, Any]]:
    if not CORPUS.is_dir():
        return []
    with (CORPUS / "manifest.toml").open("rb") as fh:
        entries: list[dict[str, Any]] = tomllib.load(fh)["message"]
    found = []
    for entry in entries:
        try:
            found.append((entry["path"], parse_message((CORPUS / entry["path"]).read_bytes())))
        except MailParseError:
            continue
    return found


def test_real_mail_never_raises() -> None:
    messages = _corpus()
    if not messages:
        pytest.skip("the shared corpus is not present")
    for path, msg in messages:
        sent = msg.date.date() if msg.date else SENT
        with no_step_failures():
            ctx = extract_context(msg.subject, msg.text, msg.attachments, sent=sent, cadence="pi")
        assert ctx.validity is None or ctx.validity >= sent, path
        assert ctx.shipment_date is None or ctx.shipment_date >= sent, path
