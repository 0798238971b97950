"""The panel's Calls & CDRs page in real chromium (tests/web/flows/calls.mjs): a call between two
scripted SIP UAs shows up live, is hung up from the page (the daemon has no call left and both
UAs got a BYE), its CDR is listed; a window without it is empty; the CSV download matches the
CDRs (a caller number beginning with + or = gets the ' prefix); read-only cannot hang up."""
import socket
import threading
import time

import weblib
from weblib import finish_events

eventlib = weblib.eventlib
d = weblib.start()


class Answerer:
    """A scripted SIP UA on a SipClient's socket: answers INVITE with 180 then 200 (SDP), takes
    ACK, answers BYE and CANCEL with 200. .got: the methods received, in order."""

    def __init__(self, ua):
        self.ua = ua
        self.got = []
        self.stopped = False
        self.t = threading.Thread(target=self._run, daemon=True)
        self.t.start()
        eventlib._closers.append(self.close)

    def _reply(self, text, peer, status, reason, body=""):
        head = text.split("\r\n\r\n", 1)[0].split("\r\n")
        out = [f"SIP/2.0 {status} {reason}"]
        for line in head[1:]:
            name = line.split(":", 1)[0].strip().lower()
            if name in ("to", "t") and "tag=" not in line:
                line += ";tag=answerer"
            if name in ("via", "v", "from", "f", "to", "t", "call-id", "i", "cseq"):
                out.append(line)
        out.append(f"Contact: <sip:answerer@127.0.0.1:{self.ua.port}>")
        if body:
            out.append("Content-Type: application/sdp")
        out.append(f"Content-Length: {len(body)}")
        self.ua.s.sendto(("\r\n".join(out) + "\r\n\r\n" + body).encode(), peer)

    def _run(self):
        self.ua.s.settimeout(0.2)
        while not self.stopped:
            try:
                data, peer = self.ua.s.recvfrom(65536)
            except socket.timeout:
                continue
            except OSError:
                return
            text = data.decode("utf-8", "replace")
            method = text.split(" ", 1)[0]
            if method.startswith("SIP/"):
                continue
            self.got.append(method)
            if method == "INVITE":
                self._reply(text, peer, 180, "Ringing")
                self._reply(text, peer, 200, "OK", eventlib.SipClient.SDP)
            elif method in ("BYE", "CANCEL", "OPTIONS"):
                self._reply(text, peer, 200, "OK")

    def close(self):
        if not self.stopped:
            self.stopped = True
            self.t.join(2)


# bob answers calls; two callers are registered subscribers (registrar.auth is off), one of
# them with a number a spreadsheet would take for a formula.
callee, caller, formula = (eventlib.SipClient(d) for _ in range(3))
for ua, user in ((callee, "bob"), (caller, "+15551234"), (formula, "=1+2")):
    st = ua.register(user, "example.com", expires=600)[0]
    weblib.check(st == 200, f"{user}@example.com registered", 200, st)
bob = Answerer(callee)
res, err = eventlib.mi(d, "dp_rule_add", {"src": "any", "dest_match": "^200$", "dest_rewrite": "", "target": "user:bob"})
weblib.check(err is None, "dp_rule_add any ^200$ → user:bob", "a rule", err)
answerers = {}


def place(who):
    """who=plus: +15551234 calls 200 (bob answers); who=formula: =1+2 calls 999 (no route)."""
    ua, user, number = (caller, "+15551234", "200") if who == "plus" else (formula, "=1+2", "999")
    status, reason, _, info = ua.invite(user, number)
    if status == 200 and who not in answerers:
        answerers[who] = Answerer(ua)  # takes the BYE the daemon sends when the call is hung up
    calls = (eventlib.mi(d, "call_list")[0] or {}).get("Calls", [])
    mine = [c["id"] for c in calls if c.get("caller") == user]
    return {"status": status, "call": mine[-1] if mine else None}


def calls(want):
    """How many calls the daemon has in progress (-1: call_list failed), once it is `want` or
    after 5 s (a call ends when both BYEs are answered)."""
    def count():
        res, err = eventlib.mi(d, "call_list")
        return -1 if err else len(res.get("Calls", []))
    eventlib.wait_for(lambda: count() == int(want), 5, 0.1)
    return count()


def byes(who):
    """The BYEs each side of the call got from the daemon (waits up to 5 s for one each)."""
    got = lambda: {"callee": bob.got.count("BYE"),  # noqa: E731
                   "caller": answerers[who].got.count("BYE") if who in answerers else 0}
    eventlib.wait_for(lambda: got()["callee"] and got()["caller"], 5, 0.05)
    return got()


def cdrs(frm="", to=""):
    """cdr_query over the FIFO for a window (unix seconds; empty: the last 24 h up to the end of
    this second: the API's default end, now, leaves out a call started in the current second)."""
    to = int(to) if to else int(time.time()) + 1
    params = {"limit": 1000, "from": int(frm) if frm else to - 86400, "to": to}
    res, err = eventlib.mi(d, "cdr_query", params)
    return {"error": err} if err else res.get("CDRs", [])


weblib.run_flow("calls", d, {"place": place, "calls": calls, "byes": byes, "cdrs": cdrs},
                env={"SB_TOKEN": weblib.admin_token(d)})
finish_events(d)
