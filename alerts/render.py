"""What an alert or digest looks like on each channel: email (text + HTML), JSON, Slack, Discord.

Pure functions. Article titles and text come from third-party pages, so every format escapes
them, header values lose CR/LF, links are only http(s), and long text is cut to fit the
service's limits (Discord 2,000 characters; Slack 150 per header, 3,000 per section, 50 blocks).
"""

from __future__ import annotations

import html
import re
from datetime import datetime, timezone
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses
from typing import Callable

from alerts.config import EmailConfig
from alerts.digest import EVENT_LABELS, Digest, Entry
from newswatch.models import Alert

DISCORD_MAX = 2000
SLACK_HEADER_MAX = 150
SLACK_TEXT_MAX = 3000
SLACK_BLOCKS_MAX = 50
SUBJECT_MAX = 250
ELLIPSIS = "…"


# -- Text helpers ---------------------------------------------------------------


def one_line(text: str) -> str:
    """All whitespace, CR/LF and other control characters folded into single spaces."""
    return " ".join("".join(" " if not ch.isprintable() else ch for ch in text).split())


def truncate(text: str, limit: int) -> str:
    """`text` cut at a word boundary to at most `limit` characters, ending in an ellipsis if cut."""
    if len(text) <= limit:
        return text
    if limit <= len(ELLIPSIS):
        return ELLIPSIS[:limit]
    cut = text[: limit - len(ELLIPSIS)]
    space = cut.rfind(" ")
    if not text[len(cut)].isspace() and space > len(cut) // 2:  # do not end on half a word
        cut = cut[:space]
    return cut.rstrip() + ELLIPSIS


def fit(render: Callable[[str], str], text: str, limit: int) -> str:
    """render(text), with `text` shortened until the result is at most `limit` characters."""
    budget = limit
    while True:
        out = render(truncate(text, budget))
        if len(out) <= limit:
            return out
        if budget <= 1:
            return truncate(out, limit)
        budget = max(1, budget - (len(out) - limit))


def highlight(text: str, terms: tuple[str, ...], escape: Callable[[str], str], mark: Callable[[str], str]) -> str:
    """`text` escaped, with every occurrence of a term (any case) passed through `mark`."""
    words = sorted({t for t in terms if t.strip()}, key=len, reverse=True)
    if not words:
        return escape(text)
    pattern = re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE)
    out, pos = [], 0
    for m in pattern.finditer(text):
        out += [escape(text[pos : m.start()]), mark(escape(m.group()))]
        pos = m.end()
    out.append(escape(text[pos:]))
    return "".join(out)


def label(alert: Alert) -> str:
    """"labor, troops" for a matched article; the event's name for the rest."""
    return ", ".join(alert.categories) or EVENT_LABELS.get(alert.event, alert.event)


def subject(alert: Alert) -> str:
    return truncate(one_line(f"[newswatch] {label(alert)}: {alert.title}"), SUBJECT_MAX)


def digest_subject(digest: Digest) -> str:
    return truncate(one_line(f"[newswatch] {digest.title}"), SUBJECT_MAX)


def safe_link(url: str) -> str:
    """The URL if it is http(s), else "" (a page could name a javascript: link)."""
    url = url.strip()
    return url if re.match(r"^https?://", url, re.IGNORECASE) and not re.search(r"\s", url) else ""


def when(value: datetime | None) -> str:
    return value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC") if value else "unknown"


def _outlets(entry: Entry) -> str:
    return ", ".join(entry.outlets)


def _is_article(alert: Alert) -> bool:
    return alert.event in ("article.matched", "story.updated")


# -- Email ------------------------------------------------------------------------


def alert_text(alert: Alert) -> str:
    """The plain-text body for one alert (email, Apprise)."""
    return "\n".join(
        [one_line(alert.title), "", *(f"{k}: {v}" for k, v in _details(alert)), "", one_line(alert.snippet)]
    )


def alert_html(alert: Alert) -> str:
    rows = "".join(f"<tr><th align=left>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in _details(alert))
    marked = highlight(one_line(alert.snippet), alert.terms, html.escape, lambda t: f"<mark><b>{t}</b></mark>")
    return f"<h2>{_html_title(alert)}</h2><table>{rows}</table><p>{marked}</p>"


def digest_text(digest: Digest) -> str:
    lines = [one_line(digest.title)]
    for section in digest.sections:
        lines += ["", f"== {section.title} ({len(section.entries)}) =="]
        for entry in section.entries:
            a = entry.alert
            more = (_byline(entry), safe_link(a.url), truncate(one_line(a.snippet), 300))
            lines += ["", f"* {one_line(a.title)}", *(f"  {line}" for line in more if line)]
    return "\n".join(lines)


def digest_html(digest: Digest) -> str:
    parts = [f"<h2>{html.escape(one_line(digest.title))}</h2>"]
    for section in digest.sections:
        parts.append(f"<h3>{html.escape(section.title)} ({len(section.entries)})</h3><ul>")
        for entry in section.entries:
            a = entry.alert
            marked = highlight(truncate(one_line(a.snippet), 300), a.terms, html.escape, lambda t: f"<mark>{t}</mark>")
            parts.append(f"<li><b>{_html_title(a)}</b><br><small>{html.escape(_byline(entry))}</small><br>{marked}</li>")
        parts.append("</ul>")
    return "".join(parts)


def alert_email(alert: Alert, channel: EmailConfig, now: datetime) -> EmailMessage:
    return _email(channel, subject(alert), alert.id, alert.event, alert_text(alert), alert_html(alert), now)


def digest_email(digest: Digest, channel: EmailConfig, now: datetime) -> EmailMessage:
    return _email(channel, digest_subject(digest), digest.id, "digest", digest_text(digest), digest_html(digest), now)


def _details(alert: Alert) -> list[tuple[str, str]]:
    details = [
        ("Source", alert.source),
        ("Published", when(alert.published) if _is_article(alert) else ""),
        ("Link", safe_link(alert.url)),
        ("Categories", ", ".join(alert.categories)),
        ("Rules", ", ".join(alert.rules)),
        ("Matched terms", ", ".join(alert.terms)),
        ("Also reported by", ", ".join(alert.also_reported_by)),
    ]
    return [(k, one_line(v)) for k, v in details if v]


def _byline(entry: Entry) -> str:
    return f"{one_line(_outlets(entry))} · {when(entry.alert.published)}"


def _html_title(alert: Alert) -> str:
    title = html.escape(one_line(alert.title))
    link = safe_link(alert.url)
    return f'<a href="{html.escape(link)}">{title}</a>' if link else title


# CPython folds long non-ASCII subjects into encoded words split at a space, and RFC 2047 readers
# drop the whitespace between encoded words ("вместо строителей" arrives as "вместостроителей").
UNFOLDED = policy.SMTP.clone(max_line_length=998)


def _email(channel: EmailConfig, title: str, message_id: str, event: str, text: str, body: str, now: datetime) -> EmailMessage:
    msg = EmailMessage(policy=UNFOLDED)
    msg["Subject"] = title
    msg["From"] = channel.sender
    msg["To"] = ", ".join(channel.to)
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = f"<{message_id}@{getaddresses([channel.sender])[0][1].rpartition('@')[2]}>"
    msg["X-Newswatch-Id"] = message_id
    msg["X-Newswatch-Event"] = event
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies
    msg.set_content(f"{text}\n\n-- \n{_footer(message_id)}\n")
    msg.add_alternative(
        '<!doctype html><html><body style="font-family: sans-serif">'
        f'{body}<p style="color: #888; font-size: small">{html.escape(_footer(message_id))}</p></body></html>\n',
        subtype="html",
    )
    return msg


def _footer(message_id: str) -> str:
    return f"newswatch alert {message_id}"


# -- Webhooks -----------------------------------------------------------------------


def alert_payload(alert: Alert, format: str) -> dict:
    """The webhook body for one alert in `format` (json | slack | discord)."""
    if format == "slack":
        return _slack_alert(alert)
    if format == "discord":
        return _discord_alert(alert)
    return alert_json(alert)


def digest_payload(digest: Digest, format: str) -> dict:
    if format == "slack":
        return _slack_digest(digest)
    if format == "discord":
        return _discord_digest(digest)
    return {
        "id": digest.id,
        "event": "digest",
        "title": digest.title,
        "count": len(digest.alerts),
        "alerts": [alert_json(a) for a in digest.alerts],
    }


def alert_json(alert: Alert) -> dict:
    return {
        "id": alert.id,
        "event": alert.event,
        "title": alert.title,
        "url": alert.url,
        "source": alert.source,
        "published": alert.published.isoformat() if alert.published else None,
        "categories": list(alert.categories),
        "rules": list(alert.rules),
        "terms": list(alert.terms),
        "snippet": alert.snippet,
        "story_id": alert.story_id,
        "also_reported_by": list(alert.also_reported_by),
        "created": alert.created.isoformat(),
        "evidence": alert.evidence or None,
    }


def slack_escape(text: str) -> str:
    """Slack mrkdwn treats only &, < and > as control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _slack_link(url: str, text: str) -> str:
    link = safe_link(url).replace("|", "%7C").replace(">", "%3E").replace("<", "%3C")
    return f"<{link}|{slack_escape(one_line(text))}>" if link else slack_escape(one_line(text))


def _slack_text(text: str) -> dict:
    return {"type": "mrkdwn", "text": text}


def _slack_alert(alert: Alert) -> dict:
    meta = " · ".join(
        part
        for part in (
            _slack_link(alert.url, alert.source or "link"),
            when(alert.published) if _is_article(alert) else "",
            slack_escape(label(alert)),
            slack_escape("also: " + ", ".join(alert.also_reported_by)) if alert.also_reported_by else "",
            f"id {alert.id}",
        )
        if part
    )
    snippet = fit(lambda s: highlight(s, alert.terms, slack_escape, lambda t: f"*{t}*"), one_line(alert.snippet), SLACK_TEXT_MAX)
    blocks = [_slack_header(alert.title)]
    blocks += [{"type": "section", "text": _slack_text(snippet)}] if snippet else []
    blocks.append({"type": "context", "elements": [_slack_text(truncate(meta, SLACK_TEXT_MAX))]})
    return {"text": slack_escape(subject(alert)), "blocks": blocks}


def _slack_digest(digest: Digest) -> dict:
    shown = digest.sections[: SLACK_BLOCKS_MAX - 2]  # room for the header and a closing context block
    blocks = [_slack_header(digest.title)]
    for section in shown:
        lines = [f"• {_slack_link(e.alert.url, e.alert.title)} — {slack_escape(_outlets(e))}" for e in section.entries]
        heading = f"*{slack_escape(section.title)}* ({len(section.entries)})"
        blocks.append({"type": "section", "text": _slack_text(_fit_lines(heading, lines, SLACK_TEXT_MAX))})
    hidden = len(digest.sections) - len(shown)
    footer = f"digest {digest.id}" + (f" · {hidden} more categories not shown" if hidden else "")
    blocks.append({"type": "context", "elements": [_slack_text(footer)]})
    return {"text": slack_escape(digest_subject(digest)), "blocks": blocks}


def _slack_header(title: str) -> dict:
    text = truncate(one_line(title), SLACK_HEADER_MAX) or "newswatch"  # Slack rejects an empty header
    return {"type": "header", "text": {"type": "plain_text", "text": text}}


def discord_escape(text: str) -> str:
    """Backslash before each character Discord markdown would interpret."""
    return re.sub(r"([\\*_~`|>#\[\]()<@-])", r"\\\1", text)


def _discord_link(url: str) -> str:
    link = safe_link(url)
    return f"<{link}>" if link else ""  # <…> stops Discord from adding a preview


def _discord_alert(alert: Alert) -> dict:
    head = "\n".join(
        line
        for line in (
            f"**{discord_escape(truncate(subject(alert), 256))}**",
            _discord_link(alert.url),
            discord_escape(" · ".join(p for p in (alert.source, when(alert.published) if _is_article(alert) else "") if p)),
            discord_escape("also reported by " + ", ".join(alert.also_reported_by)) if alert.also_reported_by else "",
        )
        if line
    )
    snippet = one_line(alert.snippet)
    if not snippet:
        return _discord(truncate(head, DISCORD_MAX))
    content = fit(
        lambda s: f"{head}\n> {highlight(s, alert.terms, discord_escape, lambda t: f'**{t}**')}", snippet, DISCORD_MAX
    )
    return _discord(content)


def _discord_digest(digest: Digest) -> dict:
    parts = [f"**{discord_escape(truncate(one_line(digest.title), 256))}**"]
    for section in digest.sections:
        lines = [f"• {discord_escape(one_line(e.alert.title))} {_discord_link(e.alert.url)} — {discord_escape(_outlets(e))}" for e in section.entries]
        parts.append(_fit_lines(f"__{discord_escape(section.title)}__ ({len(section.entries)})", lines, 600))
    return _discord(_fit_lines(parts[0], parts[1:], DISCORD_MAX, separator="\n\n"))


def _discord(content: str) -> dict:
    return {"content": content, "allowed_mentions": {"parse": []}}  # no @everyone from a headline


def _fit_lines(heading: str, lines: list[str], limit: int, separator: str = "\n") -> str:
    """heading and as many whole lines as fit in `limit` characters, then "…and N more"."""
    out = truncate(heading, limit)
    for i, line in enumerate(lines):
        rest = len(lines) - i - 1
        more = f"{separator}{ELLIPSIS}and {rest} more" if rest else ""
        candidate = f"{out}{separator}{line}"
        if len(candidate) + len(more) > limit:
            tail = f"{separator}{ELLIPSIS}and {len(lines) - i} more"
            return out + tail if len(out) + len(tail) <= limit else out
        out = candidate
    return out
