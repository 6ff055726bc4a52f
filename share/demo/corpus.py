#!/usr/bin/python3
"""Generated mail for the demo's spam model: NSPAM spam and NHAM ham
messages in DIR/spam/cur and DIR/ham/cur (Maildir folders, what
scl-score train reads), from small vocabularies so that the classes
separate clearly. With --one spam|ham it prints one more message of
that kind on stdout instead (another seed: not one it was trained on).

usage: corpus.py DIR NSPAM NHAM | corpus.py --one spam|ham [SUBJECT]"""
import os
import random
import sys

SPAM = ("viagra lottery winner prize casino bitcoin pills discount unsubscribe millions "
        "inheritance offer free cheap guaranteed click urgent claim credit loan bonus "
        "exclusive investment crypto limited").split()
HAM = ("meeting project schedule report review lunch agenda budget team deadline draft "
       "minutes quarterly notes code release patch branch server backup invoice holiday "
       "conference slides").split()
NOISE = ("the and of to please regards you we our this that with for today tomorrow is "
         "are have will about from your it in on at as be can all").split()
SENDERS = ["deals@offers.invalid", "win@lottery.invalid", "promo@cheap-pills.invalid"]


def message(rng, kind, i, subject=None):
    own, other = (SPAM, HAM) if kind == "spam" else (HAM, SPAM)
    words = []
    for k in range(40 + rng.randrange(30)):
        r = rng.random()
        words.append(rng.choice(own) if r < 0.4 else rng.choice(other) if r < 0.43
                     else rng.choice(NOISE))
        if k % 12 == 11:
            words.append("\n")
    body = " ".join(words).replace(" \n ", "\n")
    if subject is None:
        subject = " ".join([rng.choice(own), rng.choice(NOISE), rng.choice(own)])
    sender = rng.choice(SENDERS) if kind == "spam" else "colleague%d@partner.example" % rng.randrange(20)
    name = "Best Offers" if kind == "spam" else "A Colleague"
    return ("From: %s <%s>\nTo: alice@demo.test\nSubject: %s\n"
            "Date: Mon, 2 Mar 2026 10:%02d:%02d +0000\nMessage-ID: <%s.%d@demo.test>\n"
            "MIME-Version: 1.0\nContent-Type: text/plain; charset=us-ascii\n\n%s\n"
            % (name, sender, subject, rng.randrange(60), rng.randrange(60), kind, i, body))


def main():
    if sys.argv[1] == "--one":
        rng = random.Random(4242)
        subject = sys.argv[3] if len(sys.argv) > 3 else None
        sys.stdout.write(message(rng, sys.argv[2], 0, subject))
        return
    top, counts = sys.argv[1], {"spam": int(sys.argv[2]), "ham": int(sys.argv[3])}
    rng = random.Random(7)
    for kind, n in counts.items():
        for sub in ("cur", "new", "tmp"):
            os.makedirs(os.path.join(top, kind, sub), exist_ok=True)
        for i in range(n):
            with open(os.path.join(top, kind, "cur", "%05d.%s:2,S" % (i, kind)), "w") as f:
                f.write(message(rng, kind, i))


if __name__ == "__main__":
    main()
