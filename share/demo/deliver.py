#!/usr/bin/python3
"""The demo's local delivery: an SMTP server (aiosmtpd) on loopback that
drops each message into the recipient's Maildir with Python's
mailbox.Maildir. The mailbox of an address is its posternMailboxPath in
the demo's LDIF file; a message smtp-edge marked as junk
(X-Postern-Spam: ...; action=junk) goes to the Junk folder. Unknown
recipients get 550 5.1.1.

usage: deliver.py HOST PORT USERS.LDIF"""
import asyncio
import mailbox
import re
import signal
import sys

from aiosmtpd.controller import Controller

HOST, PORT, LDIF = sys.argv[1], int(sys.argv[2]), sys.argv[3]


def mailboxes(path):
    """address (lower case) -> Maildir path, from mail and
    posternMailboxPath of each entry."""
    boxes = {}
    for entry in open(path, encoding="utf-8").read().split("\n\n"):
        mails = re.findall(r"^mail: *(.+)$", entry, re.M)
        box = re.findall(r"^posternMailboxPath: *(.+)$", entry, re.M)
        if box:
            for m in mails:
                boxes[m.strip().lower()] = box[0].strip()
    return boxes


class Deliver:
    async def handle_RCPT(self, server, session, envelope, address, options):
        if address.lower() not in mailboxes(LDIF):
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 Ok"

    async def handle_DATA(self, server, session, envelope):
        boxes = mailboxes(LDIF)
        data = envelope.original_content or envelope.content
        head = data.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
        junk = re.search(rb"^X-Postern-Spam:[^\n]*action=junk", head, re.M | re.I)
        for rcpt in envelope.rcpt_tos:
            md = mailbox.Maildir(boxes[rcpt.lower()], create=True)
            if junk:
                if "Junk" not in md.list_folders():
                    md.add_folder("Junk")
                md = md.get_folder("Junk")
            msg = mailbox.MaildirMessage((b"Return-Path: <%s>\nDelivered-To: %s\n"
                                          % (envelope.mail_from.encode(), rcpt.encode())
                                          + data.replace(b"\r\n", b"\n")))
            key = md.add(msg)
            print("deliver: to=%s folder=%s key=%s" % (rcpt, "Junk" if junk else "INBOX", key),
                  flush=True)
        return "250 2.0.0 Ok: delivered"


def main():
    c = Controller(Deliver(), hostname=HOST, port=PORT, server_hostname="hub.demo.test",
                   decode_data=False, data_size_limit=50 << 20)
    c.start()
    print("deliver: listening on %s:%d" % (HOST, PORT), flush=True)
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    for s in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(s, stop.set)
    loop.run_until_complete(stop.wait())
    c.stop()


if __name__ == "__main__":
    main()
