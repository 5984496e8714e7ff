"""Currencies: the ISO 4217 codes, and the symbols and words that stand for them in mail."""

from __future__ import annotations

import re

__all__ = [
    "EXTRACT_CODES",
    "ISO_CODES",
    "SYMBOLS",
    "WORDS",
    "ZERO_DECIMAL",
    "currency_code",
    "yen_for",
]


def _codes(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Active ISO 4217 codes (funds, metals and test codes left out).
ISO_CODES = _codes(
    """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN
    BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD
    FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY
    KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP
    MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR
    RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS
    TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VED VES VND VUV WST XAF XCD XCG XOF XPF
    YER ZAR ZMW ZWG ZWL
    """
)

# Codes read from running text. Codes that are also common upper-case words or product
# names (ALL, TOP, PEN, CUP, MAD, SOS ...) are left out: "ALL 20 ITEMS" is not 20 lek.
EXTRACT_CODES = _codes(
    """
    USD EUR GBP CNY JPY KRW HKD TWD SGD MYR THB VND IDR PHP INR PKR BDT LKR AED SAR QAR KWD
    OMR BHD ILS TRY EGP NGN KES ZAR GHS DZD TND AUD NZD CAD MXN BRL ARS CLP COP UYU RUB UAH
    KZT BYN PLN CZK HUF RON BGN SEK NOK DKK ISK CHF RSD
    """
)

# Amounts in these are written without decimals.
ZERO_DECIMAL = frozenset({"JPY", "KRW", "VND", "IDR", "CLP", "ISK", "UGX", "PYG", "XAF", "XOF"})

# Symbols, longest first where one is the tail of another. "¥" is resolved by the caller:
# followupd's reps sell from China, so it means yuan unless the mail is Japanese.
SYMBOLS: dict[str, str] = {
    "US$": "USD",
    "U$S": "USD",
    "MX$": "MXN",
    "CA$": "CAD",
    "AU$": "AUD",
    "HK$": "HKD",
    "NT$": "TWD",
    "NZ$": "NZD",
    "R$": "BRL",
    "C$": "CAD",
    "A$": "AUD",
    "S$": "SGD",
    "$": "USD",
    "€": "EUR",
    "£": "GBP",
    "¥": "CNY",
    "₹": "INR",
    "₽": "RUB",
    "₩": "KRW",
    "₫": "VND",
    "₺": "TRY",
    "₴": "UAH",
    "₱": "PHP",
    "฿": "THB",
}

# Words written next to a number instead of a code, in the languages reps and buyers use.
WORDS: dict[str, str] = {
    "rmb": "CNY",
    "人民币": "CNY",
    "元": "CNY",
    "yuan": "CNY",
    "美元": "USD",
    "美金": "USD",
    "dollars": "USD",
    "dollar": "USD",
    "dólares": "USD",
    "dolares": "USD",
    "dólares americanos": "USD",
    "долларов": "USD",
    "доллара": "USD",
    "долл": "USD",
    "欧元": "EUR",
    "euros": "EUR",
    "euro": "EUR",
    "евро": "EUR",
    "英镑": "GBP",
    "日元": "JPY",
    "円": "JPY",
    "рублей": "RUB",
    "рубля": "RUB",
    "рубль": "RUB",
    "руб": "RUB",
    "reais": "BRL",
    "zł": "PLN",
    "kč": "CZK",
}

_KANA = re.compile(r"[\u3040-\u30ff]")


def yen_for(text: str) -> str:
    """What "¥" means in ``text``: yen in Japanese mail, yuan otherwise."""
    return "JPY" if _KANA.search(text) else "CNY"


def currency_code(token: str, *, yen: str = "CNY") -> str | None:
    """The ISO code ``token`` (a code, symbol or word, any case) stands for, or ``None``.

    ``yen`` is what "¥" stands for here (see :func:`yen_for`).
    """
    cleaned = token.strip().rstrip(".").strip()
    upper = cleaned.upper()
    if upper in ISO_CODES:
        return upper
    if cleaned in SYMBOLS or upper in SYMBOLS:
        code = SYMBOLS.get(cleaned) or SYMBOLS[upper]
        return yen if cleaned == "¥" else code
    return WORDS.get(cleaned.lower())
