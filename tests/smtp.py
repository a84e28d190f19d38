"""A real SMTP server for tests (aiosmtpd on a free local port) that keeps what it accepted.

    with SMTPSink() as sink:
        ...send to 127.0.0.1:sink.port...
        sink.messages            # email.message.EmailMessage objects, in the order accepted
        sink.refuse_next(2, "421 4.3.2 Try again later")   # the next 2 DATA commands get this answer
        sink.hold_after(3)        # the 4th message waits in DATA until release() (for crash tests)

A held or refused message is not kept: the server did not accept it, exactly as a real one.
"""

import email
import email.policy
import logging
import socket
import threading

from aiosmtpd.controller import Controller

logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every command at INFO


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _Handler:
    def __init__(self, sink: "SMTPSink"):
        self.sink = sink

    async def handle_DATA(self, server, session, envelope):
        return self.sink._data(envelope)


class SMTPSink:
    def __init__(self, *, keep_messages: bool = True):
        self.port = free_port()
        self.keep_messages = keep_messages
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.accepted = 0
        self.refused = 0
        self._refusals: list[str] = []
        self._hold_after: int | None = None
        self.holding = threading.Event()  # set while a message waits in DATA
        self._release = threading.Event()
        self._lock = threading.Lock()
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> "SMTPSink":
        self._controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self._release.set()
        self._controller.stop()

    def refuse_next(self, count: int, reply: str = "421 4.3.2 Service busy, try again later") -> None:
        with self._lock:
            self._refusals.extend([reply] * count)

    def hold_after(self, accepted: int) -> None:
        """The message after the first `accepted` ones blocks in DATA until release(), then is refused."""
        self._hold_after = accepted

    def release(self) -> None:
        self._release.set()

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [message for message in self.messages if message["To"] == address]

    def _data(self, envelope) -> str:
        with self._lock:
            if self._refusals:
                self.refused += 1
                return self._refusals.pop(0)
            hold = self._hold_after is not None and self.accepted == self._hold_after
        if hold:
            # Runs on the server's event loop thread: blocking it is what a stuck server looks like.
            self.holding.set()
            self._release.wait(60)
            self._hold_after = None
            return "451 4.3.0 Aborted"
        with self._lock:
            self.accepted += 1
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
            if self.keep_messages:
                self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 2.0.0 OK"
