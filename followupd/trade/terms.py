"""Terms of the deal written as words: the incoterm, the payment terms and the lead time.

Each reader returns short normalized English ("FOB Ningbo", "30% T/T deposit, 70% before
shipment", "25 days after deposit"), the form the acknowledgement shows and templates use,
or ``None`` when it recognises nothing: a wrong guess shown to a buyer costs more than a gap.
"""

from __future__ import annotations

import re

from followupd.trade.context import INCOTERMS
from followupd.trade.currency import ISO_CODES
from followupd.trade.dates import Span, find_spans, span_text

__all__ = [
    "describe_lead",
    "find_incoterm",
    "from_stock",
    "lead_time",
    "parse_incoterm",
    "parse_payment",
]

_I = re.IGNORECASE

# Upper-case codes anywhere; lower case only for the codes that are never a word.
_INCOTERM = re.compile(
    r"(?<![A-Za-z&])(?P<code>EXW|FCA|CPT|CIP|DAP|DPU|DDP|FAS|FOB|CFR|CIF|C&F|CNF|C\+F|"
    r"(?i:fob|cif|cfr|exw|ddp))(?![A-Za-z&])"
    r"(?:\s*[-:：]?\s*(?:port\s+of\s+|port\s+)?(?P<place>[^\W\d_][^\s,;.()/]*"
    r"(?:[ /][^\W\d_][^\s,;.()/]*){0,3}))?"
)
# "CIF: B12345678" is a Spanish company tax number, not a cost-insurance-freight price.
_TAX_ID = re.compile(r"\s*[:：]?\s*[A-Za-z]-?\d{7}")
_TYPED = re.compile(r"^\s*(?P<code>[A-Za-z&+]{3})(?![A-Za-z])\s*[-:：]?\s*(?P<place>.*)$", re.S)
_OLD_CODES = {"C&F": "CFR", "CNF": "CFR", "C+F": "CFR"}
# Words that end a named place: "FOB Ningbo Port", "FOB USD 2.35", "CIF Hamburg Incoterms 2020".
_NOT_PLACE = {code.lower() for code in ISO_CODES} | set(
    re.findall(
        r"\w+",
        "price prices term terms incoterm incoterms basis port harbor harbour shipping value "
        "total amount payment delivery per each and or only from to with the for",
    )
)
_HAN = re.compile(r"[\u4e00-\u9fff]")
_HAN_END = re.compile("港|价|条款|交货|出口|口岸")


def find_incoterm(text: str) -> str | None:
    """The first incoterm in ``text`` with its named place when given: "FOB Ningbo"."""
    for match in _INCOTERM.finditer(text):
        if match.group("code").upper() == "CIF" and _TAX_ID.match(text, match.end("code")):
            continue
        code = match.group("code").upper()
        place = _place(match.group("place") or "")
        return _joined(code, place)
    return None


def parse_incoterm(text: str) -> str | None:
    """``text`` as the rep typed an incoterm ("fob ningbo" -> "FOB Ningbo"), or ``None``.

    The place is kept as typed, only its case mended when it was all one case.
    """
    match = _TYPED.match(text[:200])
    if match is None:
        return None
    code = match.group("code").upper()
    if code not in INCOTERMS and code not in _OLD_CODES:
        return None
    place = " ".join(match.group("place").split())[:60].strip(" ,.;")
    if place.isascii() and (place.islower() or place.isupper()):
        place = place.title()
    return _joined(code, place)


def _joined(code: str, place: str) -> str:
    code = _OLD_CODES.get(code, code)
    return f"{code} {place}" if place else code


def _place(text: str) -> str:
    if _HAN.match(text):
        # "FOB宁波港" names Ningbo: the port, price or terms words after it are not the place.
        han = re.match(r"[\u4e00-\u9fff]{1,6}", text)
        return _HAN_END.split(han.group(0), maxsplit=1)[0] if han else ""
    words: list[str] = []
    for word in text.split(" "):
        if not word[:1].isupper() or word.lower() in _NOT_PLACE:
            break
        words.append(word.title() if word.isupper() and len(word) > 3 else word)
    return " ".join(words)


# Payment: methods, then what each percentage is for.
_METHODS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern, _I))
    for name, pattern in (
        (
            "T/T",
            r"\bT/T\b|(?-i:\bTT\b)|telegraphic\s+transfer|wire\s+transfer|bank\s+transfer|"
            r"电汇|\btransferencia(?:\s+bancaria)?\b|\bvirement\b|[ÜüUu]e?berweisung|"
            r"банковск\w*\s+перевод\w*|transfer[êe]ncia(?:\s+banc[áa]ria)?",
        ),
        (
            "L/C",
            r"\bL/C\b|(?-i:\bLC\b)|letter\s+of\s+credit|信用证|carta\s+de\s+cr[ée]dito|"
            r"lettre\s+de\s+cr[ée]dit|cr[ée]dit\s+documentaire|akkreditiv|аккредитив\w*",
        ),
        ("D/P", r"\bD/P\b|付款交单|documents\s+against\s+payment"),
        ("D/A", r"\bD/A\b|承兑交单|documents\s+against\s+acceptance"),
        ("O/A", r"\bO/A\b|open\s+account|赊销"),
        ("Western Union", r"western\s+union|西联"),
        ("MoneyGram", r"money\s?gram|速汇金"),
        ("PayPal", r"pay\s?pal|贝宝"),
    )
)
_DEPOSIT = re.compile(
    r"\b(?:deposit|down\s+payment|advance(?:d)?|prepay(?:ment)?|prepaid|anticipo|adelanto|"
    r"acompte|avance|anzahlung|vorauszahlung|vorkasse|sinal|adiantamento|antecipad[oa])\b|"
    r"предоплат\w*|аванс\w*|定金|订金|预付|首付",
    _I,
)
_BALANCE = re.compile(
    r"\b(?:balance|rest|remaining|saldo|resto|solde|reste|restzahlung|restbetrag)\b|"
    r"остат\w*|оставш\w*|余款|尾款|余额",
    _I,
)
_CONDITIONS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern, _I))
    for name, pattern in (
        (
            "against B/L copy",
            r"\bB/L\b|bill\s+of\s+lading|提单|conocimiento\s+de\s+embarque|connaissement|"
            r"konnossement|коносамент\w*",
        ),
        (
            "before shipment",
            r"before\s+(?:shipment|delivery|loading|shipping|dispatch)|prior\s+to\s+shipment|"
            r"发货前|出货前|装运前|装船前|交货前|antes\s+del?\s+(?:env[ií]o|embarque|despacho)|"
            r"avant\s+(?:l['’]\s*)?(?:exp[ée]dition|livraison|embarquement|chargement)|"
            r"vor\s+(?:dem\s+|der\s+)?(?:versand|lieferung|verschiffung)|"
            r"(?:до|перед)\s+отгрузк\w*|antes\s+d[oa]\s+(?:embarque|envio|entrega)",
        ),
        ("on arrival", r"货到付款|cash\s+on\s+delivery|\bCOD\b|upon\s+arrival|on\s+arrival"),
    )
)
_AT_SIGHT = re.compile(
    r"at\s+sight|即期|a\s+la\s+vista|[àa]\s+vue|bei\s+sicht|по\s+предъявлении|[àa]\s+vista", _I
)
_IN_ADVANCE = re.compile(r"in\s+advance|前T/T|预付|por\s+adelantado|d['’]avance|im\s+voraus", _I)
_PERCENT = re.compile(r"(?<![\d.,])(\d{1,3})\s*%")
_CLAUSE = re.compile(r"[,;，；、+]|\band\b|\bплюс\b|\bи\b|\by\b|\bet\b|\bund\b|\be\b|和|及", _I)


def parse_payment(text: str) -> str | None:
    """Normalized payment terms from ``text``, or ``None`` when none are recognised.

    "30% T/T deposit, 70% before shipment", "L/C at sight", "T/T or Western Union".
    """
    text = text[:300]
    parts = [part for clause in _CLAUSE.split(text) if (part := _clause(clause))]
    if parts:
        return ", ".join(dict.fromkeys(parts))
    methods = [name for name, pattern in _METHODS if pattern.search(text)]
    if not methods:
        return None
    shown = []
    for name in methods:
        if name in {"L/C", "D/P"} and _AT_SIGHT.search(text):
            name += " at sight"
        elif name == "L/C" and (span := next(iter(find_spans(text)), None)) is not None:
            name += f" {span_text(span.span)}"
        elif name == "T/T" and _IN_ADVANCE.search(text):
            name += " in advance"
        shown.append(name)
    return " or ".join(shown)


def _clause(clause: str) -> str | None:
    percent = _PERCENT.search(clause)
    method = next((name for name, pattern in _METHODS if pattern.search(clause)), None)
    condition = next((name for name, pattern in _CONDITIONS if pattern.search(clause)), None)
    if percent is None:
        # "balance before shipment" after "30% deposit" still says when the rest is due.
        if condition and _BALANCE.search(clause):
            return f"balance {condition}"
        return None
    share = int(percent.group(1))
    if not 0 < share <= 100:
        return None
    if method in {"L/C", "D/P"} and _AT_SIGHT.search(clause):
        method += " at sight"
    words = [f"{share}%"] + ([method] if method else [])
    if condition:
        words.append(condition)
    elif _DEPOSIT.search(clause):
        words.append("in advance" if share == 100 else "deposit")
    elif _BALANCE.search(clause):
        words.append("balance")
    elif method is None:
        return None
    return " ".join(words)


# What a lead time counts from, most specific first.
_EVENTS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern, _I))
    for name, pattern in (
        ("after deposit", _DEPOSIT.pattern),
        ("after receipt of L/C", r"\bL/C\b|letter\s+of\s+credit|信用证|аккредитив\w*"),
        (
            "after sample approval",
            r"sample\s+(?:approval|confirmation)|approv\w*\s+(?:of\s+)?(?:the\s+)?samples?|"
            r"样品确认|确认样品|aprobaci[óo]n\s+de\s+(?:la\s+)?muestra|"
            r"validation\s+de\s+l['’]\s*[ée]chantillon|Musterfreigabe",
        ),
        (
            "after payment",
            r"\bpayment\b|付款|收款|到账|\bpago\b|\bpaiement\b|\bzahlung\w*|оплат\w*|\bpagamento\b",
        ),
        (
            "after order",
            r"\border\b|\bPO\b|下单|订单|\bpedido\b|\bcommande\b|\bbestellung\b|"
            r"\bauftrag\w*|заказ\w*|\bencomenda\b",
        ),
    )
)
_FROM_STOCK = re.compile(
    r"\b(?:in\s+stock|from\s+stock|ex[\s-]stock|en\s+stock|en\s+existencia|ab\s+lager|"
    r"em\s+estoque|sofort\s+lieferbar)\b|现货|в\s+наличии|со\s+склада",
    _I,
)


def lead_time(text: str) -> str | None:
    """A lead time in ``text`` ("25 days after deposit", "from stock"), or ``None``."""
    spans = find_spans(text)
    if not spans:
        return "from stock" if _FROM_STOCK.search(text) else None
    return describe_lead(spans[0].span, text)


def describe_lead(span: Span, text: str) -> str:
    """``span`` with the event ``text`` says it counts from: "25 days after deposit"."""
    event = next((name for name, pattern in _EVENTS if pattern.search(text)), None)
    return f"{span_text(span)} {event}" if event else span_text(span)


def from_stock(text: str) -> bool:
    """Whether ``text`` says the goods ship from stock."""
    return _FROM_STOCK.search(text) is not None
