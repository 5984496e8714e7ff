"""The words that announce each trade fact, per language (en, zh, es, fr, de, ru, pt).

Adding a language means adding its words here. A *label* is a cue followed by a colon
("Payment terms:", "交货期：", "Validez:"); it owns the text up to the next label, so that
"Payment: 30% deposit, 70% before shipment. Delivery: 25 days" is read as two facts and the
"shipment" inside the payment terms is not taken for a delivery date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "AMOUNT",
    "CHARGE",
    "CONTACT",
    "DOCUMENTS",
    "ORDER",
    "PART_PAYMENT",
    "PAYMENT",
    "REF_LABEL",
    "SHIPMENT",
    "SHIPMENT_NEGATED",
    "SUBJECT_REF",
    "SUBTOTAL",
    "TOTAL",
    "TRADE_SHOW",
    "UNIT_PRICE",
    "VALIDITY",
    "Segment",
    "language_of",
    "segments",
]

_I = re.IGNORECASE

# (language, cue). The language sets the day order of numeric dates near the cue.
VALIDITY: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (lang, re.compile(pattern, _I))
    for lang, pattern in (
        (
            "en",
            r"\b(?:valid(?:ity)?(?:\s+(?:until|till|through|thru|to|up\s+to|for))?|"
            r"good\s+(?:until|till|for)|expir(?:es|y|ation)(?:\s+(?:on|date))?)\b",
        ),
        ("zh", r"有效期(?:至|到|为)?|有效(?:至|到|日期)?|截[止至](?:日期|到|至)?"),
        (
            "es",
            r"\bv[aá]lid[oa]s?\s+(?:hasta|por|durante)\b|\bvalidez\b|\bvigen(?:cia|te\s+hasta)\b",
        ),
        (
            "fr",
            r"\bvalables?(?:\s+(?:jusqu['’]?\s*(?:au|à|a)|pendant|pour))?(?![^\W\d_])|"
            r"\bvalidit[ée](?![^\W\d_])",
        ),
        ("de", r"\bg(?:ü|ue)ltig(?:keit|\s+bis|\s+f(?:ü|ue)r)?\b|\bBindefrist\b"),
        ("ru", r"действ(?:ительн\w*|ует)(?:\s+(?:до|в\s+течение))?|срок\s+действия"),
        ("pt", r"\bv[aá]lid[oa]s?\s+(?:at[eé]|por|durante)(?![^\W\d_])|\bvalidade\b"),
    )
)

SHIPMENT: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (lang, re.compile(pattern, _I))
    for lang, pattern in (
        (
            "en",
            r"\b(?:delivery(?:\s+(?:time|date))?|lead\s*time|shipment(?:\s+(?:date|time))?|"
            r"shipping\s+(?:date|time)|ETD|dispatch|production\s+time|"
            r"ready\s+(?:to\s+ship|for\s+shipment)|ship(?:ped)?\s+(?:by|on|within|in))\b",
        ),
        (
            "zh",
            r"交货期|交货时间|交货|交期|货期|发货(?:时间|日期)?|出货(?:时间|日期)?|装运期?|船期",
        ),
        (
            "es",
            r"\b(?:plazo\s+de\s+entrega|fecha\s+de\s+(?:entrega|embarque)|entrega|embarque)\b|"
            r"\benv[ií]o(?![^\W\d_])",
        ),
        ("fr", r"\bd[ée]lai\s+de\s+livraison|\blivraison\b|\bexp[ée]dition(?![^\W\d_])"),
        ("de", r"\b(?:Lieferzeit|Liefertermin|Lieferung|Versand(?:datum|termin)?|Verschiffung)\b"),
        ("ru", r"срок\w*\s+(?:поставки|отгрузки|доставки)|отгрузк\w*|поставк\w*|доставк\w*"),
        ("pt", r"\b(?:prazo\s+de\s+entrega|data\s+de\s+(?:entrega|embarque)|entrega|embarque)\b"),
    )
)
# "before shipment", "against shipment", "发货前": a condition of payment, not a date.
SHIPMENT_NEGATED = re.compile(
    r"(?:before|prior\s+to|against|after|upon|antes\s+del?|contra|avant(?:\s+la|\s+l['’])?|"
    r"vor\s+(?:der|dem)?|до|после|перед|ap[óo]s|depois\s+d[oa])\s*$",
    _I,
)

PAYMENT = re.compile(
    r"\bpayment(?:\s+terms?)?\b|\bterms\s+of\s+payment\b|\bpay\s+by\b|"
    r"付款(?:方式|条件|条款)?|支付方式|结算方式|"
    r"\b(?:forma|condiciones|t[ée]rminos)\s+de\s+pago\b|\bpago\b|"
    r"\b(?:conditions|modalit[ée]s)\s+de\s+paiement\b|\bpaiement\b|\br[èe]glement\b|"
    r"\bZahlung(?:sbedingungen|sweise|sziel|skonditionen)?\b|"
    r"(?:условия|порядок|форма)\s+оплаты|\bоплата\b|"
    r"\b(?:condi[çc](?:õ|o)es|forma)\s+de\s+pagamento\b|\bpagamento\b",
    _I,
)

_PRODUCTS = (
    r"\b(?:items?(?:\s+no\.?)?|products?|goods|commodity|models?(?:\s+no\.?)?|description|"
    r"productos?|art[ií]culos?|modelos?|descripci[óo]n|produits?|articles?|d[ée]signation|"
    r"mod[èe]les?|artikel|produkte?|modelle?|bezeichnung|ware|produtos?|descri[çc][ãa]o)\b|"
    r"品名|产品|货物|型号|товары?|продукция|модел[ьи]|наименование"
)
_TERMS = (
    r"\b(?:price\s+terms?|trade\s+terms?|incoterms?|delivery\s+terms?|"
    r"condiciones\s+de\s+entrega|conditions\s+de\s+livraison|Lieferbedingungen|"
    r"условия\s+поставки|condi[çc](?:õ|o)es\s+de\s+entrega)\b|价格条款|贸易条款|贸易术语"
)


def _alternation(cues: tuple[tuple[str, re.Pattern[str]], ...]) -> str:
    return "|".join(f"(?:{pattern.pattern})" for _, pattern in cues)


# Order matters where cues overlap: "delivery terms:" is about the incoterm.
_LABEL = re.compile(
    rf"(?:(?P<incoterm>{_TERMS})|(?P<validity>{_alternation(VALIDITY)})|"
    rf"(?P<payment>{PAYMENT.pattern})|(?P<shipment>{_alternation(SHIPMENT)})|"
    rf"(?P<products>{_PRODUCTS}))"
    r"(?:\s+[^\W\d_]{1,12}\.?){0,2}?\s*[.#]?\s*[:：]",
    _I,
)


@dataclass(frozen=True, slots=True)
class Segment:
    """Part of a line: the text a label owns (``field`` set), or unlabelled text."""

    field: str | None
    label: str
    text: str


def segments(line: str) -> list[Segment]:
    """``line`` cut at its labels; the text before the first label has no field."""
    found: list[Segment] = []
    position, field, label = 0, None, ""
    for match in _LABEL.finditer(line):
        if match.start() > position or field is not None:
            found.append(Segment(field, label, line[position : match.start()]))
        field, label, position = match.lastgroup, match.group(0), match.end()
    found.append(Segment(field, label, line[position:]))
    return [s for s in found if s.text.strip() or s.field is not None]


def language_of(text: str, cues: tuple[tuple[str, re.Pattern[str]], ...]) -> str:
    """The language of the first cue found in ``text``; English when none is."""
    return next((lang for lang, cue in cues if cue.search(text)), "en")


# Amount lines. A total beats a plain amount, which beats a subtotal; deposits, balances,
# freight and discounts are parts of the deal, not its value.
TOTAL = re.compile(
    r"(?<![\w-])(?:grand\s+)?total\b|gesamt\w*|\bendbetrag\b|\bsumme\b|итого|всего|"
    r"общая\s+сумма|合计|总计|总金额|总额|总价|共计|总货值",
    _I,
)
AMOUNT = re.compile(
    r"\b(?:amount|value|sum|importe|monto|valor|montant|betrag|montante)\b|сумма|金额|货值|货款",
    _I,
)
SUBTOTAL = re.compile(
    r"\bsub[\s-]?total\b|\bzwischensumme\b|промежуточн\w*\s+итог|подытог|小计", _I
)
# Parts of the payment ("30% deposit USD 3,744") and charges on top of the goods.
PART_PAYMENT = re.compile(
    r"\b(?:deposit|advance|balance|down\s+payment|prepayment|anticipo|adelanto|saldo|acompte|"
    r"solde|anzahlung|vorauszahlung|restzahlung|sinal|adiantamento)\b|"
    r"предоплат\w*|аванс\w*|остат\w*|定金|订金|预付|余款|尾款",
    _I,
)
CHARGE = re.compile(
    r"\b(?:freight|shipping\s+(?:cost|fee|charges?)|discount|bank\s+charges?|commission|fee|"
    r"flete|descuento|fret|remise|fracht|rabatt|skonto|frete|desconto)\b|"
    r"скидк\w*|доставк\w*|运费|折扣|手续费",
    _I,
)
UNIT_PRICE = re.compile(
    r"\bunit\s+price\b|\bprice\s+per\b|\bprecio\s+unitario\b|\bprix\s+unitaire\b|"
    r"\b(?:st(?:ü|ue)ckpreis|einzelpreis)\b|цена\s+за|\bpre[çc]o\s+unit[áa]rio\b|单价",
    _I,
)
# Contact lines of a signature: their numbers are never amounts.
CONTACT = re.compile(
    r"\b(?:tel|phone|fax|mob(?:ile)?|cell|whats\s?app|wechat|skype)\b|"
    r"电话|手机|传真|微信|\bteléfono\b|\btéléphone\b|\btelefon\b|телефон|\bтел\.|\btelefone\b",
    _I,
)

# Labels in front of a document's own number: "PI No.: 2026-118", "报价单号：Q2611".
REF_LABEL = re.compile(
    r"(?:\b(?:PI|P/I|proforma(?:\s+invoice)?|invoice|quotation|quote|offer|order|PO|"
    r"our\s+ref(?:erence)?|ref(?:erence)?|cotizaci[óo]n|presupuesto|factura(?:\s+proforma)?|"
    r"devis|offre|facture(?:\s+proforma)?|Angebot|Proformarechnung|Rechnung|cota[çc][ãa]o|"
    r"fatura(?:\s+proforma)?|pedido)\s*(?:no\.?|nr\.?|n[°º]|number|#|№)"
    r"|\bAngebotsnummer|(?:счет|сч[её]т|инвойс|предложение|заказ)\s*№"
    r"|报价单号|报价编号|形式发票号|发票号|合同号|订单号)"
    r"\s*[:：.#]?\s*(?P<ref>[A-Za-z0-9][A-Za-z0-9/_-]{0,30}[A-Za-z0-9])",
    _I,
)
# Document names in the other languages; English ones are known to the document finder.
DOCUMENTS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern, _I))
    for kind, pattern in (
        (
            "proforma invoice",
            r"\b(?:factura\s+pro-?forma|facture\s+pro-?forma|Pro-?formarechnung|"
            r"fatura\s+pro-?forma)\b|(?:сч[её]т[\s-]+)?проформ\w*|инвойс\w*|形式发票|水单",
        ),
        (
            "quotation",
            r"\b(?:cotizaci[óo]n|presupuesto|oferta|devis|offre|Angebot|cota[çc][ãa]o|"
            r"or[çc]amento|proposta)\b|коммерческ\w+\s+предложени\w*|предложени\w*|报价",
        ),
        (
            "sample",
            r"\b(?:muestras?|[ée]chantillons?|Muster|amostras?)\b|образ(?:ец|цы|цов)|样品|样板",
        ),
    )
)
# A document's number right after its name in a subject: "Cotización 2026-55".
SUBJECT_REF = re.compile(
    r"(?:\b(?:quotation|quote|offer|invoice|cotizaci[óo]n|presupuesto|oferta|devis|offre|"
    r"Angebot|cota[çc][ãa]o|or[çc]amento|proposta|factura|facture|fatura)\b|"
    r"предложени\w*|проформ\w*|инвойс\w*|сч[её]т\w*|报价单?|形式发票)"
    r"\s*(?:no\.?|nr\.?|n[°º]|#|№)?\s*[:：.#]?\s*"
    r"(?P<ref>(?=[A-Za-z/_-]*\d)[A-Za-z0-9][A-Za-z0-9/_-]{0,30}[A-Za-z0-9])(?![\w])",
    _I,
)
# Leads met at a fair. "fair", "salon" and "Messe" are fairs only when capitalised
# ("Canton Fair", "Salon du Meuble"): "a fair price", "a hair salon".
TRADE_SHOW = re.compile(
    r"\b(?:expo|exhibition|trade\s+(?:show|fair)|tradeshow|booth|foire|feria|feira)\b|"
    r"\b(?-i:Fair|Salon|Messe)\b|展会|广交会|展位|展台|博览会|выставк\w*",
    _I,
)
ORDER = re.compile(
    r"\b(?:order\s+confirmation|sales\s+contract|orden\s+de\s+compra|bon\s+de\s+commande|"
    r"Bestellung|Auftragsbest(?:ä|ae)tigung|encomenda|pedido\s+de\s+compra)\b|"
    r"\bзаказ\w*|订单|采购单|合同",
    _I,
)
