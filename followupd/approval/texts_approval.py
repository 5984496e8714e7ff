"""The texts of approval, in English and Simplified Chinese (pure data): the answers to the
rep's commands, the review mail of a draft and the daily digest.

:mod:`followupd.approval.texts` merges them with the other texts and is the one to call.
"""

from __future__ import annotations

__all__ = ["APPROVAL_TEXTS"]

# Key -> (English, Chinese), as in followupd.approval.texts.
APPROVAL_TEXTS: dict[str, tuple[str, str]] = {
    # Answers to the rep's commands.
    "approved.subject": ("Approved: {subject}", "已同意：{subject}"),
    "approved.body": (
        "Follow-up {number} will go out {when}, unless the buyer replies before.\n",
        "第 {number} 封跟进邮件将在以下时间发出：{when}。如果买家在此之前回复，则不再发送。\n",
    ),
    "approved_edited.body": (
        "Follow-up {number} will go out with your edited text {when}, unless the buyer "
        "replies before.\n",
        "第 {number} 封跟进邮件将按您修改后的文本在以下时间发出：{when}。"
        "如果买家在此之前回复，则不再发送。\n",
    ),
    "now.body": (
        "Follow-up {number} will be sent at the next allowed slot: {when}, unless the buyer "
        "replies before.\n",
        "第 {number} 封跟进邮件将在下一个允许的发送时段发出：{when}。"
        "如果买家在此之前回复，则不再发送。\n",
    ),
    "skipped.subject": ("Skipped: {subject}", "已跳过：{subject}"),
    "skipped.body": ("Step {number} skipped.\n", "第 {number} 步已跳过。\n"),
    "snoozed.subject": ("Snoozed: {subject}", "已推迟：{subject}"),
    "snoozed.body": (
        "Follow-up {number} is set aside; followupd will draft it again around {when}.\n",
        "第 {number} 封跟进邮件已暂时搁置，followupd 将在以下时间前后重新起草：{when}。\n",
    ),
    "snoozed_thread.body": (
        "The next follow-up on this thread is put off until around {when}.\n",
        "此线程的下一封跟进邮件推迟到 {when} 前后。\n",
    ),
    "paused.subject": ("Paused: {subject}", "已暂停：{subject}"),
    "paused.body": (
        "Follow-ups on this thread are paused until {until}, then they resume.\n",
        "此线程的跟进已暂停至 {until}，之后自动恢复。\n",
    ),
    "refused.subject": ("Command refused: {subject}", "指令被拒绝：{subject}"),
    "refused.body": (
        "followupd did not obey your reply because {reason}.\nNothing was changed.\n",
        "followupd 没有执行您的回复，原因：{reason}。\n没有做任何更改。\n",
    ),
    # Why a command was refused, by the check that failed; the check's own detail follows.
    "check.size": ("{detail}", "回复太大，不像是一条指令（{detail}）"),
    "check.answers-review": ("{detail}", "它没有回复 followupd 发出的那封邮件（{detail}）"),
    "check.token": ("{detail}", "口令无效或已过期（{detail}）"),
    "check.sender": ("{detail}", "发件人不是这封邮件的负责人（{detail}）"),
    "check.single-use": ("{detail}", "口令已经用过，每个口令只能用一次（{detail}）"),
    "check.origin": ("{detail}", "无法证明这封回复来自您自己的邮箱（{detail}）"),
    "check.fresh": ("{detail}", "草稿生成后会话有了变化（{detail}）"),
    "not_understood.subject": ("Command not understood: {subject}", "无法识别的指令：{subject}"),
    "not_understood.body": (
        "{detail}\nNothing was changed; the draft still waits for you.\n",
        "{detail}\n没有做任何更改，草稿仍在等待您处理。\n\n"
        "请在回复的第一行写以下指令之一：\n"
        "同意/发送、跳过、推迟 3天、暂停到 2026-12-01、立即、停止、成交、丢单、已付款、"
        "设置 <项> <值>\n",
    ),
    "notice_not_understood.body": (
        "{detail}\nNothing was changed.\n",
        "{detail}\n没有做任何更改。\n\n"
        "回复此类通知时，可在第一行写：推迟 3天、暂停到 2026-12-01、停止、成交、丢单、"
        "已付款、设置 <项> <值>\n",
    ),
    "notice_no_draft.body": (
        "'{verb}' decides a draft, and this mail has none. Answer the review mail of the "
        "draft instead. Nothing was changed.\n",
        "“{verb}”用于处理草稿，而这封邮件里没有草稿。请回复该草稿的审核邮件。没有做任何更改。\n",
    ),
    "incomplete.body": (
        "'{evidence}' is incomplete; nothing changed.\n",
        "“{evidence}”不完整，没有做任何更改。\n",
    ),
    "not_sent.subject": ("Not sent: {subject}", "未发送：{subject}"),
    "not_sent.body": (
        "The thread is {state} now, so nothing will be sent.\n",
        "该线程当前状态为“{state}”，因此不会发送任何邮件。\n",
    ),
    "edit_refused.subject": ("Edit refused: {subject}", "修改未被采用：{subject}"),
    "edit_refused.body": (
        "followupd did not use your edited draft:\n{problems}\n"
        "Nothing was sent or changed; the draft still waits for you.\n",
        "followupd 没有采用您修改后的草稿：\n{problems}\n"
        "没有发送，也没有做任何更改；草稿仍在等待您处理。\n",
    ),
    "too_large.body": (
        "Your reply is too large to read ({size}; the limit is {limit}).\nNothing was changed.\n",
        "您的回复太大，无法读取（{size}，上限为 {limit}）。\n没有做任何更改。\n",
    ),
    "past_date.body": (
        "The date {until} has already passed; give a date in the future.\nNothing was changed.\n",
        "日期 {until} 已经过去，请给出一个将来的日期。\n没有做任何更改。\n",
    ),
    "digest_outcome.subject": (
        "Digest answered: {count} draft(s) decided",
        "摘要回复已处理：共 {count} 份草稿",
    ),
    # The outcome names the thread itself; a buyer given as well is not repeated.
    "digest_outcome.line": ("{number}. {outcome}", "草稿 {number}：{outcome}"),
    "digest_outcome.missing": ("no such draft in this digest", "本摘要中没有这个编号的草稿"),
    "digest_outcome.decided": (
        "already decided ({state}); nothing changed",
        "之前已处理（{state}），没有做任何更改",
    ),
    "digest_outcome.stale": (
        "not obeyed because {reason}; a fresh draft follows",
        "未执行，原因：{reason}；稍后会发来新的草稿",
    ),
    "digest_outcome.unknown": (
        "'{verb}' does not apply to a draft; nothing changed",
        "“{verb}”不适用于草稿，没有做任何更改",
    ),
    "objection.body": (
        "This draft will be sent {when} unless you reply skip or stop before.\n",
        "这封草稿将在以下时间发出：{when}。如不想发送，请在此之前回复“跳过”或“停止”。\n",
    ),
    "auto_sent.subject": ("Sent: {subject}", "已自动发送：{subject}"),
    "auto_sent.body": (
        "Follow-up {number} went out {when} without review, as your approval policy is auto.\n",
        "第 {number} 封跟进邮件已在以下时间发出，未经审核（您的审批方式为自动发送）：{when}。\n",
    ),
    # The review mail of one draft; its lines are reused by the digest.
    "review.subject": (
        "[{token}] Draft {step}/{total} for {buyer}: {subject}",
        "[{token}] 跟进草稿 {step}/{total} · {buyer} · {subject}",
    ),
    "review.intro": (
        "followupd drafted follow-up {step} of {total} (cadence {cadence}).",
        "followupd 已起草第 {step}/{total} 封跟进邮件（跟进节奏：{cadence}）。",
    ),
    "review.buyer": ("Buyer:      {buyer}", "买家：{buyer}"),
    "review.buyer_company": ("{who}, {company}", "{who}（公司：{company}）"),
    "review.country": (
        "Country:    {country}, {time} local time now ({zone}, {source})",
        "国家/地区：{country}，对方当地时间现在 {time}（{zone}，{source}）",
    ),
    "review.country_plain": (
        "Country:    {country}, {time} local time now ({zone})",
        "国家/地区：{country}，对方当地时间现在 {time}（{zone}）",
    ),
    "review.unknown_country": ("unknown", "未知"),
    "review.thread": (
        "Thread:     {subject} (tracked since {since})",
        "邮件线程：{subject}（自 {since} 起跟进）",
    ),
    "review.sent_none": ("Sent:       nothing yet", "已发送：暂无"),
    "review.sent_one": (
        "Sent:       1 mail, on {date}{what}{read}",
        "已发送：1 封，{date}{what}{read}",
    ),
    "review.sent_many": (
        "Sent:       {count} mails, last on {date}{what}{read}",
        "已发送：{count} 封，最近一次 {date}{what}{read}",
    ),
    "review.sent_what": (' ("{subject}")', "，主题“{subject}”"),
    "review.date_unknown": ("date unknown", "日期未知"),
    "review.read_yes": (", read", "，已读"),
    "review.read_no": (", not read", "，未读"),
    "review.read_unknown": (", read or not: unknown", "，是否已读：未知"),
    "review.reply_none": ("Last reply: none", "最近回复：无"),
    "review.reply": ("Last reply: {date} from {sender}", "最近回复：{date}，来自 {sender}"),
    "review.send": ("Goes out:   {when}, once you approve", "发送时间：{when}；需您同意后发出"),
    "review.send_unless": (
        "Goes out:   {when}, unless you reply skip or stop before {deadline}",
        "发送时间：{when}；除非您在 {deadline}之前回复“跳过”或“停止”，否则将按时发出",
    ),
    "review.commands": (
        "Reply to this mail with a command on the first line:\n"
        "  approve            send it as shown (also: ok, yes, send)\n"
        "  now                send it at the next allowed slot\n"
        "  skip               do not send this one; continue with the next step\n"
        "  snooze 3d          set it aside and draft it again in 3 days\n"
        "  pause until YYYY-MM-DD   no follow-ups on this thread until that day\n"
        "  stop               stop following up this thread\n"
        "  won / lost         close the deal\n"
        "  paid               the buyer paid: start the after-payment follow-ups\n"
        "  set <key> <value>  correct a fact, e.g. set validity 2026-12-20\n",
        "请回复本邮件，在第一行写一个指令：\n"
        "  同意 / 发送（approve、ok、yes、send）：按所示内容发送\n"
        "  立即（now）：在下一个允许的发送时段发出\n"
        "  跳过（skip）：不发这一封，继续下一步\n"
        "  推迟 3天（snooze 3d）：暂时搁置，3 天后重新起草\n"
        "  暂停到 2026-12-01（pause until 2026-12-01）：在此日期之前不再跟进此线程\n"
        "  停止（stop）：停止跟进此线程\n"
        "  成交 / 丢单（won / lost）：结束这笔订单\n"
        "  已付款（paid）：买家已付款，开始付款后的跟进\n"
        "  设置 <项> <值>（set <key> <value>）：更正信息，例如 设置 validity 2026-12-20\n",
    ),
    "review.edit_hint": (
        "To change the text, edit it between the two marker lines below and reply approve:\n"
        "your edited text is sent instead of the draft.",
        "如需修改正文，请直接在下面两条标记行之间编辑，然后回复“同意”：\n"
        "将发送您修改后的文本，而不是原草稿。",
    ),
    # The daily digest: several drafts in one mail, answered per number.
    "digest.subject": (
        "[{token}] Drafts to review: {count} ({day})",
        "[{token}] 待审核跟进草稿：{count} 份（{day}）",
    ),
    "digest.intro": (
        "followupd drafted {count} follow-up(s) for you to review.",
        "followupd 为您起草了 {count} 封跟进邮件，请审核。",
    ),
    "digest.how": (
        "Answer in one reply, with commands on the first lines naming the draft numbers, e.g.:\n"
        "  approve 1 3, skip 2\n"
        "  snooze 2 3d\n"
        "  now 1\n"
        "  stop 4\n"
        "Commands: approve (ok, yes, send), now, skip, snooze 3d, pause until YYYY-MM-DD, "
        "stop, won, lost, paid.\n"
        "Edits to the texts are not taken from a reply to this digest, only the commands; "
        "to send other words, write to the buyer yourself.\n",
        "请在一封回复中作答，在开头几行写指令并注明草稿编号，例如：\n"
        "  同意 1 3，跳过 2\n"
        "  推迟 2 3天\n"
        "  立即 1\n"
        "  停止 4\n"
        "可用指令：同意/发送、立即、跳过、推迟 3天、暂停到 2026-12-01、停止、成交、丢单、已付款"
        "（英文 approve、now、skip、snooze 3d、pause until、stop、won、lost、paid 同样有效）。\n"
        "回复摘要时对正文的修改不会被采用，只读取指令；如需改用其他措辞，请您直接给买家写信。\n",
    ),
    "digest.entry": (
        "{number}. Draft {step}/{total} for {buyer}",
        "{number}. 跟进草稿 {step}/{total} · {buyer}",
    ),
}
