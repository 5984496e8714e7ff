"""Products of interest, read modestly from the text after an "Item:" / "品名：" label.

Only labelled lines are read, and from each only what names a product: quantities, prices
and packing that follow on the same line are cut off. When a part is unclear it is left
out; an empty list is better than a list the rep has to clean up.
"""

from __future__ import annotations

import re

from followupd.trade.money import find_money

__all__ = ["MAX_PRODUCT", "product_items"]

MAX_PRODUCT = 80
# Items are separated by semicolons, ideographic commas, or commas not inside a number.
_SEPARATOR = re.compile(r"[;；、，]|,(?!\d{3})")
# Where the product name stops: "6204-2RS bearing, qty 10,000 pcs" or "... x 500 pcs".
_STOP = re.compile(
    r"\b(?:qty|quantity|moq|cantidad|quantit[ée]|menge|quantidade|packing|price|total)\b|"
    r"数量|количество|\s[x×]\s*\d",
    re.IGNORECASE,
)
_QUANTITY = re.compile(
    r"^\d[\d.,\s]*(?:pcs|pc|pieces?|sets?|units?|ctns?|cartons?|kgs?|tons?|mt|m|meters?|"
    r"rolls?|pairs?|boxes|件|个|套|只|台|米|吨|шт\.?|uds?|unidades|pi[èe]ces|st(?:ü|ue)ck|stk)?"
    r"\.?$",
    re.IGNORECASE,
)

# "Description: see attached" points elsewhere and names nothing.
_POINTER = re.compile(
    r"^(?:as\s+per|see|please|refer|details?|attached|tbc|n/a|附件|详见)\b|^[\W_]*$", re.IGNORECASE
)


def product_items(text: str) -> list[str]:
    """The product names in ``text``, the value of a product label; [] when none is clear."""
    items: list[str] = []
    for part in _SEPARATOR.split(text[:400]):
        money = find_money(part)
        if money:
            part = part[: money[0].start]
        stop = _STOP.search(part)
        if stop:
            part = part[: stop.start()]
        item = " ".join(part.split()).strip(" -–:()[]")
        if not item or _QUANTITY.match(item) or _POINTER.match(item):
            continue
        if len(item) > MAX_PRODUCT:
            item = item[:MAX_PRODUCT].rsplit(" ", 1)[0]
        items.append(item)
    return items
