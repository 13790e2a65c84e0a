"""Email over SMTP (smtplib): STARTTLS, implicit TLS or plain, with optional login."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage

from alerts import render
from alerts.channels import DeliveryError, network_error
from alerts.config import EmailConfig
from alerts.digest import Digest
from newswatch.models import Alert, utcnow


class EmailChannel:
    def __init__(self, config: EmailConfig):
        self.config = config
        self.target = f"{config.smtp_host}:{config.smtp_port}"

    def send_alert(self, alert: Alert) -> str:
        return self._send(render.alert_email(alert, self.config, utcnow()))

    def send_digest(self, digest: Digest) -> str:
        return self._send(render.digest_email(digest, self.config, utcnow()))

    def _send(self, message: EmailMessage) -> str:
        c = self.config
        try:
            smtp = self._connect()
        except smtplib.SMTPResponseException as exc:
            raise _smtp_error(exc, f"{self.target} refused the connection") from None
        except OSError as exc:
            raise network_error(exc, self.target, c.timeout) from None
        try:
            if c.security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
            if c.username:
                smtp.login(c.username, c.password or "")
            refused = smtp.send_message(message)
        except smtplib.SMTPAuthenticationError as exc:
            raise _smtp_error(exc, f"authentication as {c.username} failed at {self.target}") from None
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            detail = _refusals(exc.recipients)
            raise DeliveryError(f"{self.target} refused every recipient: {detail}", retryable=all(400 <= c < 500 for c in codes)) from None
        except smtplib.SMTPResponseException as exc:
            raise _smtp_error(exc, f"{self.target} rejected the message") from None
        except smtplib.SMTPNotSupportedError as exc:
            raise DeliveryError(f"{self.target}: {exc} (check security and username)", retryable=False) from None
        except smtplib.SMTPException as exc:
            raise DeliveryError(f"{self.target}: {exc}", retryable=True) from None
        except OSError as exc:
            raise network_error(exc, self.target, c.timeout) from None
        finally:
            _quit(smtp)
        if refused:  # accepted for the others: sending again would repeat it to them
            return f"accepted by {self.target}, but refused for {_refusals(refused)}"
        return f"accepted by {self.target}"

    def _connect(self) -> smtplib.SMTP:
        c = self.config
        if c.security == "tls":
            return smtplib.SMTP_SSL(c.smtp_host, c.smtp_port, timeout=c.timeout, context=ssl.create_default_context())
        return smtplib.SMTP(c.smtp_host, c.smtp_port, timeout=c.timeout)


def _smtp_error(exc: smtplib.SMTPResponseException, what: str) -> DeliveryError:
    """4xx replies are temporary and retried; 5xx are permanent."""
    text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
    return DeliveryError(f"{what}: {exc.smtp_code} {render.one_line(text)}", retryable=400 <= exc.smtp_code < 500)


def _refusals(recipients: dict) -> str:
    return "; ".join(
        f"{address} ({code} {render.one_line(text.decode('utf-8', 'replace') if isinstance(text, bytes) else text)})"
        for address, (code, text) in recipients.items()
    )


def _quit(smtp: smtplib.SMTP) -> None:
    """Say goodbye; a failure here must not turn a delivered message into a retried one."""
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()
