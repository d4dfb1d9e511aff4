"""Local SMTP sink for the demo: every mail Odoo sends lands as a .eml file.

Listens on loopback only; messages are kept in MAILDIR/new (a standard Maildir,
readable with any mail client or ``mutt -f MAILDIR``) and listed in
MAILDIR/index.log.
"""

import argparse
import asyncio
import mailbox
import pathlib
import time
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller


class MaildirHandler:
    def __init__(self, maildir):
        self.maildir = mailbox.Maildir(maildir, create=True)
        self.index = pathlib.Path(maildir) / "index.log"

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.original_content, policy=policy.default)
        key = self.maildir.add(envelope.original_content)
        with self.index.open("a", encoding="utf-8") as index:
            index.write(
                "\t".join(
                    [
                        time.strftime("%Y-%m-%d %H:%M:%S"),
                        key,
                        ",".join(envelope.rcpt_tos),
                        str(message.get("Subject", "")),
                    ]
                )
                + "\n"
            )
        return "250 Message accepted for delivery"


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=2525)
    parser.add_argument("--maildir", required=True)
    args = parser.parse_args()
    controller = Controller(MaildirHandler(args.maildir), hostname="127.0.0.1", port=args.port)
    controller.start()
    try:
        asyncio.new_event_loop().run_forever()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
