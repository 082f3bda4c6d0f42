"""The local stack's mailbox: what the notify function sent through moto's SES, as .eml files.

moto runs in this process (ThreadedMotoServer), so its SES backend's `sent_messages` are the
mails exactly as SES accepted them; `write` saves the ones not yet saved to a folder a user can
open (`vindplaats up` prints it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

from infra.local.stack import LocalStack


@dataclass(frozen=True)
class SentMail:
    id: str
    sender: str
    to: list[str]
    subject: str
    body: str


def sent(stack: LocalStack) -> list[SentMail]:
    """Every mail moto's SES accepted on this stack, oldest first."""
    from moto.ses.models import ses_backends

    backend = ses_backends[stack.account_id][stack.region]
    return [
        SentMail(
            id=m.id,
            sender=m.source,
            to=list(m.destinations.get("ToAddresses", [])),
            subject=m.subject,
            body=m.body,
        )
        for m in backend.sent_messages
        if hasattr(m, "subject")
    ]


def write(stack: LocalStack, folder: Path) -> list[Path]:
    """Save each sent mail not yet in `folder` as `<nnn>-<subject>.eml`; returns the new files."""
    folder.mkdir(parents=True, exist_ok=True)
    known = {path.stem.rsplit("-", 1)[-1] for path in folder.glob("*.eml")}
    written = []
    for index, mail in enumerate(sent(stack), start=1):
        if mail.id.split("-")[0] in known:
            continue
        message = EmailMessage()
        message["Message-ID"] = f"<{mail.id}@vindplaats.local>"
        message["From"] = mail.sender
        message["To"] = ", ".join(mail.to)
        message["Subject"] = mail.subject
        message.set_content(mail.body)
        slug = re.sub(r"[^a-z0-9]+", "-", mail.subject.lower()).strip("-")[:60]
        path = folder / f"{index:03d}-{slug}-{mail.id.split('-')[0]}.eml"
        path.write_bytes(bytes(message))
        written.append(path)
    return written
