"""Every text followupd mails the rep, in English and Simplified Chinese (pure).

A text is a ``str.format`` template with named fields; both languages of a key take the same
fields, so a caller never needs to know which language it is writing. The English texts are
the ones the daemon always sent: changing one changes what existing reps see.

The command words stay English in both languages where the daemon reads them literally
(``set validity …``, the marker lines, ``Token:``); the Chinese texts name the Chinese command
words first, because those are what a Chinese rep types.
"""

from __future__ import annotations

from string import Formatter
from typing import Literal

from followupd.approval.texts_approval import APPROVAL_TEXTS

__all__ = ["KEYS", "LANGUAGES", "Language", "fields", "language", "say", "template"]

Language = Literal["en", "zh"]
LANGUAGES: tuple[Language, ...] = ("en", "zh")

# Key -> (English, Chinese). Bodies end with a newline, as the mails they become do; subjects
# and the pieces that are put into other texts do not.
_TEXTS: dict[str, tuple[str, str]] = {
    # Thread states and closing verbs, as they are named inside other texts.
    "state.active": ("active", "进行中"),
    "state.drafted": ("drafted", "已起草，待审核"),
    "state.approved": ("approved", "已同意，待发送"),
    "state.sent": ("sent", "已发送"),
    "state.replied": ("replied", "买家已回复"),
    "state.paused": ("paused", "已暂停"),
    "state.bounced": ("bounced", "已退信"),
    "state.stopped": ("stopped", "已停止"),
    "state.won": ("won", "已成交"),
    "state.lost": ("lost", "已丢单"),
    "state.completed": ("completed", "已完成"),
    "state.flagged": ("flagged", "已标记为可疑"),
    "verb.stop": ("stop", "停止"),
    "verb.won": ("won", "成交"),
    "verb.lost": ("lost", "丢单"),
    # Times: the buyer's clock first, since that is when the buyer reads the mail.
    "time.when": (
        "{buyer} buyer time ({rep} your time)",
        "{buyer}（买家当地时间），您的时间 {rep}",
    ),
    "time.your_time": ("{moment} your time", "{moment}（您的时间）"),
    # Where the buyer's timezone came from (contact.timezone_source).
    "zone.contact": ("set for this contact", "为该联系人手动设置"),
    "zone.learned": ("learned from their mails", "根据对方来信推断"),
    "zone.country": ("from their country", "根据对方所在国家"),
    "zone.phone": ("from their phone number", "根据对方电话号码"),
    "zone.cctld": ("from their mail domain", "根据对方邮箱域名"),
    "zone.default": ("default: nothing known yet", "默认值：暂无相关信息"),
    # Machine mail: bounces, delivery delays, out-of-office replies.
    "bounced.subject": ("Address bounced: {email}", "地址退信：{email}"),
    "bounced.body": (
        "Mail to {email} bounced for good ({reason}).\n"
        "followupd stopped {count} thread(s) with this address and will not write to it "
        "again. A new address for this buyer can be enrolled as usual.\n",
        "发往 {email} 的邮件被永久退回（{reason}）。\n"
        "followupd 已停止与该地址相关的 {count} 个跟进线程，今后不会再给它发信。"
        "如果买家有新的邮箱地址，可照常重新登记跟进。\n",
    ),
    "bounced.hard_reason": (
        "hard bounce {status} {diagnostic}",
        "永久性退信 {status} {diagnostic}",
    ),
    "bounced.soft_reason": (
        "{limit} temporary failures in a row ({detail})",
        "连续 {limit} 次暂时投递失败（{detail}）",
    ),
    "delivery_failed.subject": ("Delivery failed for now: {subject}", "暂时投递失败：{subject}"),
    "delivery_failed.body": (
        "Your follow-up to {buyer} could not be delivered for now (the receiving server "
        "refused it temporarily).\nfollowupd will send it again on {when}.\n",
        "您发给 {buyer} 的跟进邮件暂时无法送达（对方邮件服务器暂时拒收）。\n"
        "followupd 将在以下时间重新发送：{when}。\n",
    ),
    "ooo.subject": ("Out of office: {subject}", "对方不在办公室：{subject}"),
    "ooo.body": (
        "{who} is away ({stated}). followupd will not write before {day} buyer time.\n",
        "{who} 目前不在（{stated}）。在买家当地时间 {day} 之前，followupd 不会发信。\n",
    ),
    "ooo.back": ("back {date}", "预计 {date} 返回"),
    "ooo.no_return": ("no return date stated", "未说明返回日期"),
    "ooo.the_buyer": ("The buyer", "买家"),
    # Corrections (`set <key> <value>`).
    "not_changed.subject": ("Not changed: {subject}", "未更改：{subject}"),
    "not_changed.body": ("{problem}\nNothing was changed.\n", "{problem}\n没有做任何更改。\n"),
    "not_changed.retry": (
        "{problem}\nNothing was changed; reply again with the right value.\n",
        "{problem}\n没有做任何更改；请用正确的值再回复一次。\n",
    ),
    "not_changed.no_buyer": ("no such buyer", "找不到这个买家"),
    "not_changed.state": (
        "The thread is {state}, so '{verb}' does not apply; nothing changed.\n",
        "该线程当前状态为“{state}”，“{verb}”不适用；没有做任何更改。\n",
    ),
    "not_changed.paid": ("{problem}; nothing changed.\n", "{problem}；没有做任何更改。\n"),
    "updated.subject": ("Updated: {subject}", "已更新：{subject}"),
    "updated.thread": (
        "{changes}\nA pending draft made with the old facts is void; the next one uses these.\n",
        "{changes}\n按旧信息生成的待审核草稿已作废，下一封草稿将使用新的信息。\n",
    ),
    "updated.contact": (
        "{changes}\nThis applies to every thread with {email}.\n{slots}",
        "{changes}\n此更改适用于与 {email} 的所有线程。\n{slots}",
    ),
    "updated.moved": (
        "Approved follow-ups moved to a good time for them:\n{lines}",
        "已同意的跟进邮件已改到适合对方的时间：\n{lines}",
    ),
    "updated.moved_line": ("{subject}: {when}", "{subject}：改为 {when}"),
    "updated.kept": (
        "Approved follow-ups keep their send time: it still suits them.\n",
        "已同意的跟进邮件保持原定发送时间：仍然适合对方。\n",
    ),
    # Enrollment.
    "not_tracked.subject": ("Not tracked: {subject}", "未开始跟进：{subject}"),
    "not_tracked.body": (
        "followupd could not track this mail: {why}.\n",
        "followupd 无法跟进这封邮件：{why}。\n",
    ),
    "not_tracked.no_buyer": ("it has no buyer recipient", "收件人中没有买家"),
    "not_tracked.no_message_id": ("it has no Message-ID", "邮件缺少 Message-ID"),
    "unknown_cadence.subject": (
        "Unknown cadence '{cadence}': {subject}",
        "未知的跟进节奏“{cadence}”：{subject}",
    ),
    "unknown_cadence.body": (
        "The mail '{subject}' to {buyer} asked for cadence '{cadence}', which does not exist, "
        "so the thread is NOT tracked.\n\nValid cadences: {valid}.\n"
        "Send the mail again with a valid one, e.g. {example}.\n",
        "您发给 {buyer} 的邮件“{subject}”指定了跟进节奏“{cadence}”，但该节奏不存在，"
        "因此这个线程【没有】开始跟进。\n\n可用的跟进节奏：{valid}。\n"
        "请使用有效的节奏重新发送这封邮件，例如 {example}。\n",
    ),
    "tracking.subject": ("Tracking: {subject}", "开始跟进：{subject}"),
    "tracking.body": (
        "{summary}.\nBuyer: {name} <{email}>.\n\n"
        "What followupd read from your mail (used in the follow-ups; your notes never are):\n"
        "{facts}\nFirst step ({kind}, {template}) is due {when}; you will get the draft to "
        "approve.\nCorrect a fact by replying to this mail (or to the review mail) with "
        "`set <key> <value>`, or run `followupd thread set {thread_id} key=value`.\n"
        "A reply from the buyer stops all follow-ups on this thread.\n",
        "{summary}。\n买家：{name} <{email}>。\n\n"
        "followupd 从您的邮件中读取到以下信息（会用在跟进邮件里；您的备注不会）：\n"
        "{facts}\n第一步（{kind}，{template}）的到期时间：{when}；届时您会收到草稿供审核。\n"
        "如需更正信息，请回复本邮件（或审核邮件），写 `设置 <项> <值>`（即 `set <key> <value>`），"
        "或运行 `followupd thread set {thread_id} key=value`。\n"
        "买家一旦回复，此线程的所有跟进都会停止。\n",
    ),
    # Closing a thread, and the payment.
    "stopped.subject": ("Stopped: {subject}", "已停止：{subject}"),
    "stopped.body": (
        "No more follow-ups will be sent on this thread.\n",
        "此线程不会再发送跟进邮件。\n",
    ),
    "won.subject": ("Won: {subject}", "已成交：{subject}"),
    "won.body": (
        "Congratulations. The deal is recorded as won; no more follow-ups.\n",
        "恭喜！这笔订单已记录为成交，不再发送跟进邮件。\n",
    ),
    "lost.subject": ("Lost: {subject}", "已丢单：{subject}"),
    "lost.body": (
        "The deal is recorded as lost; no more follow-ups.\n",
        "这笔订单已记录为丢单，不再发送跟进邮件。\n",
    ),
    "paid.subject": ("Paid: {subject}", "已付款：{subject}"),
    "paid.body": (
        "The payment is recorded and the earlier follow-ups are cancelled.\n"
        "{next}; a thank-you with a feedback request and production and shipping updates "
        "follow, each sent to you for approval first.\n",
        "已记录付款，之前的跟进邮件已取消。\n"
        "{next}；之后还会有一封感谢信（附评价邀请）以及生产和发货进度通知，"
        "每一封都会先发给您审核。\n",
    ),
    "paid.next": (
        "The payment confirmation ({template}) is due {when}",
        "付款确认邮件（{template}）的到期时间：{when}",
    ),
    "paid.no_step": (
        "The after-payment cadence has no step for this thread",
        "付款后跟进节奏中没有适用于此线程的步骤",
    ),
    # Notices about a thread take commands; this block says which.
    "notice.commands": (
        "\n--\n"
        "To change this thread, reply to this mail with a command on the first line:\n"
        "  set <key> <value>  correct a fact, e.g. set validity 2026-12-20\n"
        "                     (keys: validity, amount, incoterm, payment, shipment, products,\n"
        "                     tier, tracking, carrier, event, note)\n"
        "  paid               the buyer paid: start the after-payment follow-ups\n"
        "  stop               no more follow-ups on this thread\n"
        "  won / lost         close the deal\n",
        "\n--\n"
        "如需更改此线程，请回复本邮件，在第一行写指令：\n"
        "  设置 <项> <值>：更正信息，例如 设置 validity 2026-12-20\n"
        "      项：validity 有效期、amount 金额、incoterm 贸易术语、payment 付款方式、\n"
        "      shipment 交期、products 产品、tier 客户级别、tracking 运单号、carrier 承运人、\n"
        "      event 展会或活动、note 备注\n"
        "  已付款：买家已付款，开始付款后的跟进\n"
        "  停止：此线程不再跟进\n"
        "  成交 / 丢单：结束这笔订单\n"
        "（英文指令 set、paid、stop、won、lost 同样有效。）\n",
    ),
    "notice.keep_token": (
        "Keep this line in your reply: {token}",
        "回复时请保留这一行：{token}",
    ),
    # The buyer's reply and the rep's own mail on a tracked thread.
    "buyer_replied.subject": ("Buyer replied: {subject}", "买家已回复：{subject}"),
    "buyer_replied.body": (
        "{name} <{sender}> replied (subject: {mail_subject}).\n"
        "followupd stopped all follow-ups on this thread; it is yours now.\n\n"
        "What the reply seems to say: {intent}.\nSuggested next step: {advice}\n",
        "{name} <{sender}> 已回复（主题：{mail_subject}）。\n"
        "followupd 已停止此线程的所有跟进，接下来请您亲自处理。\n\n"
        "回复的大意：{intent}。\n建议下一步：{advice}\n",
    ),
    "intent.interested": ("interested, or asking a question", "有兴趣，或在提问"),
    "intent.comparing": ("comparing suppliers", "正在比较供应商"),
    "intent.later": ("not now, maybe later", "暂时不需要，以后再说"),
    "intent.price": ("the price is too high", "觉得价格太高"),
    "intent.unsubscribe": ("not interested / remove me", "没有兴趣 / 要求不再联系"),
    "intent.unknown": ("not sure", "无法判断"),
    "advice.interested": (
        "answer the question today; a quick answer wins the order.",
        "今天就回复对方的问题；回复越快，越容易拿下订单。",
    ),
    "advice.comparing": (
        "send a clear comparison table (template comparison-table).",
        "发一份清晰的对比表（模板 comparison-table）。",
    ),
    "advice.later": (
        "agree, and move the buyer to a long nurture cadence.",
        "表示理解，并把买家转入长期维护的跟进节奏。",
    ),
    "advice.price": (
        "offer flexible terms or another quantity (template flexible-terms).",
        "提供更灵活的付款条件或调整数量（模板 flexible-terms）。",
    ),
    "advice.unsubscribe": (
        "nothing: followupd will not write to this address again.",
        "无需处理：followupd 不会再给这个地址发信。",
    ),
    "advice.unknown": ("Read it and answer in person.", "请阅读来信并亲自回复。"),
    "took_over.subject": ("You took over: {subject}", "您已接手：{subject}"),
    "took_over.body": (
        "You wrote to the buyer yourself on '{subject}' (your mail: {mail_subject}).\n"
        "followupd paused this thread and cancelled what it had planned, so nothing it sends "
        "can cross your mail.\n\nTo have followupd follow up again, Bcc {plus} on your next "
        "mail in this conversation.\n",
        "您在“{subject}”中亲自给买家写了信（您的邮件：{mail_subject}）。\n"
        "followupd 已暂停此线程并取消了原定的计划，不会有邮件与您的信件冲突。\n\n"
        "如需 followupd 重新开始跟进，请在这个对话的下一封邮件中密送（Bcc）{plus}。\n",
    ),
    # Drafting problems.
    "needs_input.subject": ("Needs your input: {subject}", "需要您补充信息：{subject}"),
    "needs_input.body": (
        "Step {number} of '{subject}' cannot be drafted yet: {problem}.\n"
        "Fill it in by replying to this mail with `set {key} <value>`{one_per_reply}, "
        "or run: followupd thread set {thread_id} {example}\n"
        "followupd looks again every day; nothing is sent until then.\n",
        "“{subject}”的第 {number} 步暂时无法起草：{problem}。\n"
        "请回复本邮件补充：`设置 {key} <值>`{one_per_reply}，"
        "或运行：followupd thread set {thread_id} {example}\n"
        "followupd 每天会再检查一次；在此之前不会发送任何邮件。\n",
    ),
    "needs_input.one_per_reply": (" (one key per reply)", "（每次回复只写一项）"),
    "cannot_draft.subject": ("Cannot draft: {subject}", "无法起草：{subject}"),
    "cannot_draft.body": (
        "followupd could not draft step {number}: {error}\nNothing was sent.\n",
        "followupd 无法起草第 {number} 步：{error}\n没有发送任何邮件。\n",
    ),
    # Answers to commands, the review mail and the daily digest (their own module).
    **APPROVAL_TEXTS,
}

KEYS: frozenset[str] = frozenset(_TEXTS)


def language(lang: str) -> Language:
    """The catalog's language for a setting: "zh", "zh-CN", "zh_Hans" are Chinese, all else
    English."""
    base = lang.strip().lower().replace("_", "-").split("-", 1)[0]
    return "zh" if base == "zh" else "en"


def template(lang: str, key: str) -> str:
    """The unformatted text of ``key`` in ``lang``; KeyError for an unknown key."""
    try:
        en, zh = _TEXTS[key]
    except KeyError:
        raise KeyError(f"no text {key!r}") from None
    return zh if language(lang) == "zh" else en


def fields(lang: str, key: str) -> frozenset[str]:
    """The names ``key``'s text in ``lang`` takes."""
    return frozenset(name for _, name, _, _ in Formatter().parse(template(lang, key)) if name)


def say(lang: str, key: str, /, **values: object) -> str:
    """The text of ``key`` in ``lang`` filled with ``values``.

    An unknown language is English. An unknown key, or a value the text needs and did not
    get, raises KeyError naming it: a rep must never receive a mail with a hole in it.
    """
    text = template(lang, key)
    try:
        return text.format(**values)
    except KeyError as exc:
        raise KeyError(f"text {key!r} needs the value {exc.args[0]!r}") from None
