"""Words that out-of-office and other autoresponders write, in the languages buyers use.

Exchange and Outlook.com send out-of-office notices without any RFC 3834 header, so their
subject and first lines are all there is to go on. The lists are data: each entry is
``(name, language, pattern)`` and the name goes into the classifier's evidence.

Subject phrases are strong on their own, because the mail server writes them in front of
the original subject. Body phrases are only trusted in the shape an autoresponder writes:
a present or future absence together with a return ("I am out of the office until"), or
an explicit "this is an automatic reply". A buyer's "I was on holiday last week" matches
none of them. Where they may appear in a message is decided in :mod:`.autoreply`.
"""

from __future__ import annotations

import re

__all__ = ["BODY_PHRASES", "EXPLICIT_NOTICES", "REPLY_PREFIX", "SUBJECT_PHRASES", "Phrase"]

Phrase = tuple[str, str, re.Pattern[str]]


def _compile(entries: tuple[tuple[str, str, str], ...]) -> tuple[Phrase, ...]:
    flags = re.IGNORECASE | re.MULTILINE
    return tuple((name, lang, re.compile(p, flags)) for name, lang, p in entries)


# A subject that answers or forwards another mail. After such a prefix the words that
# follow were written by someone else, so a prefix-type phrase there proves nothing.
REPLY_PREFIX = re.compile(
    r"^\s*(?:re|aw|sv|vs|antw|odp|ynt|rif|ref|res|ha|fwd?|wg|tr|rv|enc|رد|回复|回覆|答复|"
    r"返信|ответ|转发|轉寄)\s*[:：]",
    re.IGNORECASE,
)

# Anchored at the start of the subject (after an optional bracket), where the mail server
# puts them; "(Automatic Response)" is the one suffix form (AOL) and is anchored at the end.
_START = r"^\s*[\[(【]?\s*"
SUBJECT_PHRASES: tuple[Phrase, ...] = _compile(
    (
        ("automatic_reply", "en", _START + r"automatic (?:reply|response)\b"),
        ("autoreply", "en", _START + r"auto[- ]?(?:reply|respons\w*)\b"),
        ("auto_colon", "en", _START + r"auto\s*:"),
        ("out_of_office", "en", _START + r"out[- ]of[- ](?:the[- ])?office\b"),
        ("ooo", "en", _START + r"o\.?o\.?o\.?\s*[:\]-]"),
        ("away", "en", _START + r"(?:away from (?:the|my) (?:office|desk|e-?mail)|on vacation)\b"),
        ("ack", "en", _START + r"thank you for (?:your )?(?:e-?mail|message|contacting)\b"),
        ("suffix", "en", r"\((?:automatic|auto)[- ]?(?:reply|response)\)\s*$"),
        ("automatische_antwort", "de", _START + r"automatische antwort\b"),
        ("abwesenheit", "de", _START + r"abwesenheits(?:notiz|meldung|nachricht)\b"),
        ("abwesend", "de", _START + r"(?:abwesend|nicht im büro)\b"),
        ("reponse_automatique", "fr", _START + r"réponse automatique\b"),
        ("absence", "fr", _START + r"(?:absence du bureau|message d'absence|absent(?:e)?\b)"),
        ("respuesta_automatica", "es", _START + r"respuesta autom[aá]tica\b"),
        ("fuera_oficina", "es", _START + r"(?:fuera de (?:la )?oficina|ausente)\b"),
        ("resposta_automatica", "pt", _START + r"resposta autom[aá]tica\b"),
        ("ausencia", "pt", _START + r"(?:aus[eê]ncia tempor[aá]ria|fora do escrit[oó]rio)\b"),
        ("risposta_automatica", "it", _START + r"risposta automatica\b"),
        ("fuori_sede", "it", _START + r"fuori (?:sede|ufficio)\b"),
        ("automatisch_antwoord", "nl", _START + r"automatisch antwoord\b"),
        ("afwezig", "nl", _START + r"(?:afwezig|niet op kantoor)\b"),
        ("otomatik_yanit", "tr", _START + r"otomatik (?:yan[ıi]t|cevap)\b"),
        ("ofis_disinda", "tr", _START + r"ofis d[ıi]ş[ıi]nda"),
        ("avtootvet", "ru", _START + r"(?:автоматический ответ|автоответ)"),
        ("otsutstvie", "ru", _START + r"(?:нет на месте|вне офиса|в отпуске)"),
        ("zidong_huifu", "zh", _START + r"(?:自动回复|自動回覆|自動回復|自动答复|自动应答)"),
        ("xiujia", "zh", _START + r"(?:休假中|出差中|外出中|不在办公室)"),
        ("jidou_outou", "ja", _START + r"(?:自動応答|自動返信|自動送信)"),
        ("fuzai", "ja", _START + r"不在(?:通知|のお知らせ|連絡)"),
        ("rad_tilqai", "ar", _START + r"(?:ال)?(?:رد|الرد) (?:تلقائي|التلقائي|آلي|الآلي)"),
        ("kharij_almaktab", "ar", _START + r"خارج المكتب"),
        ("automatyczna", "pl", _START + r"automatyczna odpowied[zź]"),
        ("autosvar", "sv", _START + r"autosvar\b"),
    )
)

# The body phrases. _GAP keeps both halves of a phrase in one sentence (a full stop after
# a digit, as in "10.12.2026", does not end it).
_GAP = r"(?:[^.!?。\n]|(?<=\d)\.){0,80}?"
BODY_PHRASES: tuple[Phrase, ...] = _compile(
    (
        (
            "away_until",
            "en",
            r"\bI(?:'m|’m| am| will be|'ll be|’ll be| shall be)\s+(?:currently\s+|now\s+)?"
            r"(?:out of (?:the )?office|away|absent|on (?:annual |sick |business |parental )?"
            r"(?:leave|vacation|holidays?|a business trip)|travell?ing|out of town)\b"
            + _GAP
            + r"\b(?:until|till|through|returning|return|back|from)\b",
        ),
        ("limited_access", "en", r"\bI(?:'m| am)\b" + _GAP + r"\b(?:limited|no) access to e-?mail"),
        (
            "automatic_notice",
            "en",
            r"\bthis is an? auto(?:matic|mated|matically generated|-generated)?[- ]?"
            r"(?:reply|response|message|notification|e-?mail)\b",
        ),
        (
            "abwesend_bis",
            "de",
            r"(?=[^\n]*\b(?:bis|ab|zurück|wieder)\b)\bich bin\b"
            + _GAP
            + r"(?:nicht im büro|abwesend|au(?:ß|ss)er haus|im urlaub|"
            r"nicht erreichbar|auf (?:dienst|geschäfts)reise)",
        ),
        (
            "automatische_antwort",
            "de",
            r"\bdies ist eine automatisch(?:e|generierte) (?:antwort|nachricht|e-?mail)",
        ),
        (
            "absent_jusqu",
            "fr",
            r"\bje (?:suis|serai)\s+(?:actuellement\s+)?(?:absente?|en congés?|en vacances|"
            r"en déplacement|hors du bureau|en dehors du bureau)\b"
            + _GAP
            + r"(?:jusqu|retour|\bdu\b|à partir)",
        ),
        ("reponse_automatique", "fr", r"\bceci est une? (?:réponse|message) automatique\b"),
        (
            "fuera_hasta",
            "es",
            r"\b(?:estaré|estoy|me encuentro)\s+(?:fuera de (?:la )?oficina|de vacaciones|"
            r"ausente|de viaje|fuera)\b" + _GAP + r"\b(?:hasta|volver[ée]|regres|del|a partir)",
        ),
        (
            "respuesta_automatica",
            "es",
            r"\b(?:esta es una respuesta|este es un (?:mensaje|correo)) autom[aá]tic[oa]\b",
        ),
        (
            "fora_ate",
            "pt",
            r"\b(?:estou|estarei|encontro-me)\s+(?:fora do escrit[oó]rio|de f[ée]rias|ausente|"
            r"em viagem|fora)\b" + _GAP + r"(?:\baté\b|retorn|voltarei|regress|a partir)",
        ),
        ("resposta_automatica", "pt", r"\b(?:esta [ée] uma (?:resposta|mensagem)) autom[aá]tica\b"),
        (
            "otsutstvuyu_do",
            "ru",
            r"\bя\s+(?:буду\s+|сейчас\s+)?(?:нахожусь\s+)?(?:в отпуске|в командировке|вне офиса|"
            r"отсутствую|не в офисе|отсутствовать)" + _GAP + r"(?:\bдо\b|\bпо\b|вернусь)",
        ),
        ("avtootvet", "ru", r"\bэто автоматическ(?:ий ответ|ое сообщение)"),
        (
            "fuori_fino",
            "it",
            r"\b(?:sono|sarò)\s+(?:attualmente\s+)?(?:fuori (?:sede|ufficio)|in ferie|assente|"
            r"in viaggio|in vacanza)\b" + _GAP + r"(?:fino a|rientr|torner|\bdal\b)",
        ),
        (
            "risposta_automatica",
            "it",
            r"\bquesta è una (?:risposta|e-?mail) automatica\b|\bquesto è un messaggio automatico",
        ),
        (
            "afwezig_tot",
            "nl",
            r"(?=[^\n]*\b(?:tot|vanaf|terug)\b)\bik ben\b"
            + _GAP
            + r"(?:afwezig|niet op kantoor|met vakantie|op vakantie|"
            r"buiten kantoor)",
        ),
        (
            "automatisch_antwoord",
            "nl",
            r"\bdit is een automatisch(?: gegenereerd)? (?:antwoord|bericht)",
        ),
        (
            "kadar_disinda",
            "tr",
            r"(?:kadar" + _GAP + r"(?:ofis d[ıi]ş[ıi]nday[ıi]m|izindeyim|tatildeyim|seyahatteyim)"
            r"|(?:ofis d[ıi]ş[ıi]nday[ıi]m|izindeyim|tatildeyim)" + _GAP + r"(?:kadar|dönece))",
        ),
        ("otomatik_yanit", "tr", r"\bbu (?:bir )?otomatik (?:bir )?(?:yan[ıi]t|cevap|mesaj)"),
        (
            "xiujia_fanhui",
            "zh",
            r"(?:休假|出差|外出|不在办公室|不在公司|放假)(?:中|期间)?[^。！\n]{0,20}?"
            r"(?:至|到|直到|截至)[^。！\n]{0,20}?(?:\d|[一二三四五六七八九十]|下周|周[一二三四五六日])"
            r"|(?:将|会|预计)(?:于|在)[^。！\n]{0,20}?(?:返回|回到|回来|返岗|上班)",
        ),
        (
            "zidong_huifu",
            "zh",
            r"(?:这是|此为|本邮件(?:为|是))[^。\n]{0,6}(?:自动回复|自動回覆|自动答复)|^\s*[\[【(（]?\s*(?:自动回复|自動回覆)",
        ),
        (
            "fuzai_made",
            "ja",
            r"(?:不在|休暇|出張|外出)[^。\n]{0,30}?(?:まで|戻り|帰社|復帰)"
            r"|まで[^。\n]{0,15}?(?:不在|休暇|出張|外出|お休み)",
        ),
        ("jidou_outou", "ja", r"(?:これは|本メールは)[^。\n]{0,10}自動(?:応答|返信|送信)"),
        (
            "kharij_hatta",
            "ar",
            r"(?:خارج المكتب|في إجازة|في اجازة|غير متواجد|في عطلة)" + _GAP + r"(?:حتى|لغاية|سأعود)",
        ),
        ("rad_tilqai", "ar", r"(?:هذا رد تلقائي|هذه رسالة (?:تلقائية|آلية)|هذا رد آلي)"),
    )
)

# The body phrases that say outright "this is an automatic reply": no quote can explain
# them away, so they count even in mail that quotes another.
EXPLICIT_NOTICES = frozenset(
    {
        "automatic_notice",
        "automatische_antwort",
        "reponse_automatique",
        "respuesta_automatica",
        "resposta_automatica",
        "avtootvet",
        "risposta_automatica",
        "automatisch_antwoord",
        "otomatik_yanit",
        "zidong_huifu",
        "jidou_outou",
        "rad_tilqai",
    }
)
