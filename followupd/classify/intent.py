"""What a buyer's reply says, so the rep is offered a fitting next step.

Rules are data: :data:`INTENT_RULES` holds ``(intent, language, pattern)`` triples. Only
the buyer's new text is read; the quoted quotation below it is ours and full of words like
"price" and "please send". When several intents match, the stronger signal wins in the
order of :data:`PRECEDENCE`: a buyer who says "too expensive, please remove me" wants to be
removed, and one who is "comparing offers, your price is high" is answering on price.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from followupd.approval.commands import strip_quoted
from followupd.classify.base import Intent
from followupd.classify.ooo_phrases import REPLY_PREFIX

__all__ = ["INTENT_RULES", "PRECEDENCE", "IntentMatch", "match_intent", "reply_intent"]

PRECEDENCE: tuple[Intent, ...] = ("unsubscribe", "price", "comparing", "later", "interested")


IntentRule = tuple[Intent, str, re.Pattern[str]]

# Patterns by intent and language. Two choices matter: "not interested right now" is a
# "later", so the "not interested" forms stop short of it (and "暂时不需要", "пока не нужно"
# likewise); and a question mark in any language counts as interest, since the stronger
# intents are decided first.
_PATTERNS: dict[Intent, dict[str, str]] = {
    "unsubscribe": {
        "en": (
            r"\b(?:remove (?:me|us|my (?:e-?mail|address))|take (?:me|us) off|unsubscribe|"
            r"stop (?:sending|e-?mailing|contacting|writing)|(?:do not|don't|dont) (?:contact|"
            r"e-?mail|send|write to) (?:me|us)|(?:not|no longer) interested(?! (?:at the moment|"
            r"right now|for now|at this time|yet))|no interest)\b"
        ),
        "zh": (
            r"(?<!暂时)(?<!目前)(?<!现在)不需要|没有兴趣|没兴趣|不感兴趣|请勿再发|不要再发|别再发|"
            r"请不要再|停止发送|退订|取消订阅"
        ),
        "es": (
            r"no (?:me |nos )?interesa|no (?:estamos|estoy) interesad[oa]s?|"
            r"dej(?:e|en) de (?:enviar|escribir)|no (?:me |nos )?(?:envíe|escriba|contacte)n?\b|"
            r"dar(?:me|nos)? de baja|elimín(?:e|en)(?:me|nos)"
        ),
        "fr": (
            r"pas intéressée?s?|ne (?:m|nous)'intéresse pas|désinscri|désabonn|"
            r"ne plus (?:me|nous) (?:contacter|écrire|envoyer)|arrêtez (?:de|d')|"
            r"(?:retirez|supprimez)-(?:moi|nous)"
        ),
        "de": (
            r"kein interesse|nicht interessiert|abmelden|austragen|"
            r"keine (?:weiteren )?(?:e-?mails|nachrichten|angebote) mehr|"
            r"nicht mehr (?:kontaktieren|anschreiben|schreiben)|hören sie auf"
        ),
        "pt": (
            r"não (?:tenho|temos) interesse|não (?:estou|estamos) interessad[oa]s?|"
            r"par(?:e|em) de (?:enviar|mandar)|não (?:me |nos )?(?:envie|mande|contate)m?\b|"
            r"descadastr|remov(?:a|am|er)-?(?:me|nos)"
        ),
        "ru": (
            r"не интересует|не интересно|(?<!пока )не нужно|отпишите|отписаться|"
            r"удалите (?:меня|нас)|не пишите|прекратите (?:присылать|отправлять|писать)|"
            r"больше не (?:присылайте|пишите)"
        ),
    },
    "price": {
        "en": (
            r"\btoo (?:expensive|high|costly)\b|"
            r"\b(?:price|prices|pricing|quote|quotation|cost)s? (?:is|are|seems?|looks?) (?:too |"
            r"very |a bit |rather |quite |still )?(?:high|expensive)\b|"
            r"\b(?:better|best|lower|lowest|special|final|cheaper|competitive) (?:price|offer|"
            r"rate)s?\b|"
            r"\bcheaper\b|\bdiscount|\breduce (?:the |your )?prices?\b|"
            r"\b(?:over|above|out of) (?:our|my) budget\b"
        ),
        "zh": (
            r"价格(?:太|偏|有点|比较|稍)?(?:高|贵)|太贵|贵了|便宜|降价|优惠|折扣|最低价|"
            r"更好的价格|再低"
        ),
        "es": (
            r"demasiado car[oa]s?|muy car[oa]s?|precio (?:es |está |muy |demasiado )*alto|"
            r"mejor precio|precio más bajo|más barat[oa]|descuento|rebaja"
        ),
        "fr": (
            r"trop cher|(?:prix|tarifs?) (?:est |sont |trop |un peu |assez )*(?:élevés?|chers?)|"
            r"meilleur prix|moins cher|remise|réduction|rabais"
        ),
        "de": (
            r"zu teuer|"
            r"preise? (?:ist |sind |liegt |liegen )?(?:zu |etwas |sehr |leider )*(?:hoch|teuer)|"
            r"besseren? preis|günstiger|billiger|rabatt|nachlass"
        ),
        "pt": (
            r"muito car[oa]|car[oa] demais|preço (?:é |está |muito |bem )*alto|melhor preço|"
            r"mais barat[oa]|desconto"
        ),
        "ru": (
            r"слишком дорог|дорого|цена (?:слишком |очень )?высок|высокая цена|дешевле|скидк|"
            r"лучшую цену|снизить цену"
        ),
    },
    "comparing": {
        "en": (
            r"\bcompar(?:e|ing|ison)\b|"
            r"\bother (?:suppliers?|vendors?|offers?|quotations?|quotes?|manufacturers?|"
            r"factories)\b|"
            r"\b(?:several|multiple|different|a few) (?:suppliers|offers|quotations|quotes)\b|"
            r"\bevaluating\b"
        ),
        "zh": r"比较|对比|比价|货比三家|(?:其他|别的|其它)(?:供应商|厂家|工厂|报价)",
        "es": (
            r"compar(?:ando|ar|amos|ación)|otr(?:os|as) (?:proveedores|ofertas|cotizaciones)|"
            r"varias (?:ofertas|cotizaciones)"
        ),
        "fr": r"compar(?:ons|er|aison|ant)|(?:d'autres|plusieurs) (?:fournisseurs|offres|devis)",
        "de": r"vergleich|(?:andere|anderen|mehrere) (?:anbieter|lieferanten|angebote)",
        "pt": (
            r"compar(?:ando|ar|amos|ação)|"
            r"outr(?:os|as) (?:fornecedores|ofertas|cotações|propostas)"
        ),
        "ru": r"сравнива|сравнени|други[ех] (?:предложени|поставщик)",
    },
    "later": {
        "en": (
            r"\b(?:not (?:right )?now|not at (?:the|this) moment|(?:next|later this) (?:year|"
            r"month|quarter|season)|later|in the future|after (?:the )?(?:holidays?|new year|"
            r"chinese new year|summer|vacation|fair|exhibition)|for now|on hold|postpone\w*|"
            r"not interested (?:at the moment|right now|for now|at this time|yet))\b"
        ),
        "zh": (
            r"以后再说|以后|晚些时候|稍后|下个月|明年|年后|节后|(?:暂时|目前)不需要|暂时不|"
            r"过段时间|再联系"
        ),
        "es": (
            r"más adelante|ahora no|por ahora no|de momento no|el próximo (?:año|mes)|"
            r"el año que viene|después de (?:las fiestas|las vacaciones)|en el futuro|más tarde"
        ),
        "fr": (
            r"plus tard|pas (?:pour le moment|maintenant|pour l'instant)|l'année prochaine|"
            r"le mois prochain|après les (?:fêtes|vacances)|ultérieurement"
        ),
        "de": (
            r"später|nicht jetzt|(?:derzeit|momentan|im moment) nicht|nächste[ns]? (?:jahr|monat)|"
            r"nach den feiertagen|nach dem urlaub"
        ),
        "pt": (
            r"mais tarde|mais para frente|agora não|(?:no momento|por enquanto) não|"
            r"próximo (?:ano|mês)|ano que vem|depois das festas|no futuro"
        ),
        "ru": (
            r"позже|не сейчас|пока не нужно|в следующем (?:году|месяце)|после праздников|в будущем"
        ),
    },
    "interested": {
        "en": (
            r"\b(?:interested|please (?:send|quote|advise|confirm)|send (?:me|us)|can you|"
            r"could you|would you|do you have|how much|how many|how long|when can|lead time|moq|"
            r"samples?|catalogu?e|specifications?|datasheet|place (?:an|the) order|(?:would|"
            r"we'd) like to (?:order|buy|purchase)|go ahead)\b"
        ),
        "zh": (
            r"有兴趣|感兴趣|请发|请提供|请报价|麻烦发|发给我|能否|可否|多少钱|交期|样品|目录|规格|"
            r"下单|订购"
        ),
        "es": (
            r"interesad[oa]s?|(?:nos|me) interesa|envíe(?:nos|me)|por favor env[ií]e|"
            r"puede(?:n)? (?:enviar|mandar)|cu[aá]nto|muestras?|cat[aá]logo|pedido"
        ),
        "fr": (
            r"intéressée?s?|merci d'envoyer|envoyez-(?:moi|nous)|pouvez-vous|pourriez-vous|"
            r"combien|échantillons?|catalogue|commande"
        ),
        "de": (
            r"interessiert|interesse|bitte (?:senden|schicken)|(?:senden|schicken) sie|können sie|"
            r"könnten sie|wie viel|muster|katalog|bestell"
        ),
        "pt": (
            r"interessad[oa]s?|(?:temos|tenho) interesse|envie-(?:me|nos)|por favor envie|"
            r"pode(?:m)? enviar|quanto|amostras?|catálogo|pedido"
        ),
        "ru": (
            r"интересует|интересно|заинтересован|пришлите|отправьте|вышлите|можете ли|сколько|"
            r"образ(?:ец|цы)|каталог|заказ"
        ),
        "any": r"[?？¿]",
    },
}

INTENT_RULES: tuple[IntentRule, ...] = tuple(
    (intent, lang, re.compile(pattern, re.IGNORECASE))
    for intent, by_language in _PATTERNS.items()
    for lang, pattern in by_language.items()
)


@dataclass(frozen=True, kw_only=True, slots=True)
class IntentMatch:
    """The intent read from a reply, with the rule and the words that decided it."""

    intent: Intent
    language: str
    matched: str

    @property
    def rule(self) -> str:
        """The rule's name for the audit log, e.g. ``"price/de"``."""
        return f"{self.intent}/{self.language}"


def match_intent(text: str, subject: str) -> IntentMatch | None:
    """The strongest intent in the buyer's new words, with its evidence; ``None`` if none.

    ``text`` is the reply's plain-text body; quoted parts are dropped first. ``subject``
    counts only when it is not "Re: <our subject>", since then the words are ours.
    """
    own = strip_quoted(text)
    if subject and not REPLY_PREFIX.match(subject):
        own = f"{subject}\n{own}"
    best: IntentMatch | None = None
    for intent, language, pattern in INTENT_RULES:
        found = pattern.search(own)
        if found is None:
            continue
        if best is None or PRECEDENCE.index(intent) < PRECEDENCE.index(best.intent):
            matched = " ".join(found.group(0).split())[:60]
            best = IntentMatch(intent=intent, language=language, matched=matched)
    return best


def reply_intent(text: str, subject: str) -> Intent | None:
    """The intent of a buyer's reply (see :func:`match_intent`), or ``None``."""
    found = match_intent(text, subject)
    return None if found is None else found.intent
