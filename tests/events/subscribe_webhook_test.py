"""Issue #14: http:// and https:// event sockets (webhooks).

Each event is POSTed as the JSON-RPC notification with X-Switchboard-Event, X-Switchboard-Delivery
(the seq) and, with a secret, X-Switchboard-Signature: sha256=<HMAC-SHA256(secret, body)>
(verified here with hmac/hashlib). 5xx is retried with back-off (500 ms doubling) and delivered
once the receiver answers 200; a 404 fails at once (no retry). https is verified against
events.webhook_ca_file (a CA made here with the openssl CLI, certificate for IP 127.0.0.1);
without it (the system's store) the self-signed chain is refused.
"""
import hashlib
import hmac
import json
import os
import ssl
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from eventlib import *  # noqa: E402,F401,F403

tmp = make_tmpdir()
ca_pem, server_pem, server_key = make_tls_ca(tmp)
d = start(["events.webhook_retries=3", "events.backoff_max_ms=1000", f"events.webhook_ca_file={ca_pem}"])
counter = [100]


def subscribe(hook, secret=None, daemon=None):
    params = {"event": "E_DIALPLAN_RELOADED", "socket": hook.url}
    if secret:
        params["secret"] = secret
    res, e = mi(daemon or d, "event_subscribe", params)
    check(e is None and isinstance(res, dict), f"event_subscribe E_DIALPLAN_RELOADED {hook.url}", "a row", e)
    return res or {}


def unsubscribe(hook, daemon=None):
    mi(daemon or d, "event_unsubscribe", {"event": "E_DIALPLAN_RELOADED", "socket": hook.url})


def raise_one(daemon=None):
    counter[0] += 1
    res, e = mi(daemon or d, "raise_event", {"event": "E_DIALPLAN_RELOADED", "params": {"rules": counter[0]}})
    check(e is None, f"raise_event E_DIALPLAN_RELOADED {{rules: {counter[0]}}}", "OK", e)
    return counter[0]


def settled(url, daemon=None):
    """The subscription's row once its event was delivered or given up (nothing queued or in flight)."""
    def done():
        r = subscription(daemon or d, url)
        return r if r and r["queued"] == 0 and r["delivered"] + r["failed"] >= 1 else None
    return wait_for(done, 15)


# ---- signed POST ----------------------------------------------------------------------------------
secret = "s3cret-" + rand_word()
h1 = WebhookReceiver()
row = subscribe(h1, secret)
check(row.get("kind") == "http" and "secret" not in row and secret not in json.dumps(row),
      "the row: kind http, the secret is not shown", "no secret", row)
n = raise_one()
check(h1.wait_requests(1, 5), "the webhook receives a POST", 1, len(h1.snapshot()))
req = (h1.snapshot() or [None])[0]
if req:
    body, hd = req["body"], req["headers"]
    check(req["path"] == "/hook", "POSTed to the URL's path", "/hook", req["path"])
    check(hd.get("content-type", "").startswith("application/json"), "Content-Type: application/json",
          "application/json", hd.get("content-type"))
    j = req["json"] or {}
    check(j.get("jsonrpc") == "2.0" and j.get("method") == "E_DIALPLAN_RELOADED" and j.get("params") == {"rules": n},
          "the body is the JSON-RPC notification", {"method": "E_DIALPLAN_RELOADED", "params": {"rules": n}}, body)
    check(hd.get("x-switchboard-event") == "E_DIALPLAN_RELOADED", "X-Switchboard-Event names the event",
          "E_DIALPLAN_RELOADED", hd)
    check(hd.get("x-switchboard-delivery") == str(j.get("seq")), "X-Switchboard-Delivery is the event's seq",
          j.get("seq"), hd.get("x-switchboard-delivery"))
    want = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    check(hmac.compare_digest(hd.get("x-switchboard-signature", ""), want),
          "X-Switchboard-Signature is sha256=HMAC-SHA256(secret, body)", want, hd.get("x-switchboard-signature"))
    bad = "sha256=" + hmac.new(b"other", body, hashlib.sha256).hexdigest()
    check(hd.get("x-switchboard-signature") != bad, "…and does not verify with another key")
row = settled(h1.url)
check(row is not None and row["delivered"] == 1 and row["state"] == {"last_status": 200, "retries": 0, "signed": True},
      "subscribers_list: delivered 1, state {last_status 200, retries 0, signed true}", 1, row)
unsubscribe(h1)

h0 = WebhookReceiver()
subscribe(h0)
raise_one()
check(h0.wait_requests(1, 5), "an unsigned subscription POSTs too", 1, len(h0.snapshot()))
check(h0.snapshot() and "x-switchboard-signature" not in h0.snapshot()[0]["headers"],
      "…without X-Switchboard-Signature", "absent", h0.snapshot() and h0.snapshot()[0]["headers"])
row = settled(h0.url)
check(row is not None and row["state"].get("signed") is False, "state.signed is false", False, row)
unsubscribe(h0)

# ---- 500, 500, then 200: retried with back-off, delivered once -----------------------------------
h2 = WebhookReceiver(statuses=[500, 500])
subscribe(h2)
failed_before = get_stat(d, "events:failed")
n = raise_one()
check(h2.wait_requests(3, 10), "answered 500 twice, the POST is sent a third time", 3, len(h2.snapshot()))
reqs = h2.snapshot()
check([r["status"] for r in reqs] == [500, 500, 200], "…and stops once answered 200", [500, 500, 200],
      [r["status"] for r in reqs])
check(len({r["body"] for r in reqs}) == 1 and len({r["headers"].get("x-switchboard-delivery") for r in reqs}) == 1,
      "every retry carries the same body and X-Switchboard-Delivery", 1, reqs)
row = settled(h2.url)
check(row is not None and row["delivered"] == 1 and row["failed"] == 0, "delivered once, not failed", 1, row)
check(row is not None and row["state"].get("retries", 0) >= 2 and row["state"].get("last_status") == 200,
      "state.retries >= 2, last_status 200", ">= 2", row and row["state"])
check(get_stat(d, "events:failed") == failed_before, "events:failed unchanged by a retried success", failed_before,
      get_stat(d, "events:failed"))
unsubscribe(h2)

# ---- 503 every time: retried events.webhook_retries (3) times, then failed -----------------------
h5 = WebhookReceiver(default=503)
subscribe(h5)
t0 = time.monotonic()
raise_one()
row = settled(h5.url)
check(row is not None and row["failed"] == 1 and row["delivered"] == 0, "always 503: failed after the retries", 1, row)
check(len(h5.snapshot()) == 4, "1 + events.webhook_retries (3) POSTs", 4, len(h5.snapshot()))
check(time.monotonic() - t0 >= 2.0, "with back-off between them (0.5 + 1 + 1 s with backoff_max_ms=1000)",
      ">= 2.0 s", round(time.monotonic() - t0, 2))
check(row is not None and row["last_error"] and "503" in row["last_error"], "last_error names the status", "503",
      row and row["last_error"])
unsubscribe(h5)

# ---- 404: failed at once ---------------------------------------------------------------------------
h3 = WebhookReceiver(default=404)
subscribe(h3)
failed_before = get_stat(d, "events:failed")
raise_one()
row = settled(h3.url)
check(row is not None and row["failed"] == 1 and row["delivered"] == 0, "a 404 fails the delivery", 1, row)
check(len(h3.snapshot()) == 1, "…at once: one POST, no retry", 1, len(h3.snapshot()))
check(row is not None and row["state"].get("retries") == 0 and row["state"].get("last_status") == 404,
      "state: retries 0, last_status 404", {"retries": 0, "last_status": 404}, row and row["state"])
check(row is not None and row["last_error"] and "404" in row["last_error"], "last_error names 404", "404",
      row and row["last_error"])
check(get_stat(d, "events:failed") == (failed_before or 0) + 1, "events:failed + 1", (failed_before or 0) + 1,
      get_stat(d, "events:failed"))
unsubscribe(h3)

# ---- https against events.webhook_ca_file ----------------------------------------------------------
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(server_pem, server_key)
hs = WebhookReceiver(tls=ctx)
check(hs.url.startswith("https://127.0.0.1:"), "an https receiver on 127.0.0.1", "https://127.0.0.1:…", hs.url)
row = subscribe(hs, secret)
check(row.get("kind") == "https", "kind https", "https", row)
n = raise_one()
check(hs.wait_requests(1, 10), "https: the POST arrives (verified against events.webhook_ca_file)", 1,
      (len(hs.snapshot()), hs.tls_errors))
req = (hs.snapshot() or [None])[0]
check(req is not None and (req["json"] or {}).get("params") == {"rules": n}, "…with the event", {"rules": n},
      req and req["body"])
if req:
    want = "sha256=" + hmac.new(secret.encode(), req["body"], hashlib.sha256).hexdigest()
    check(req["headers"].get("x-switchboard-signature") == want, "…signed", want, req["headers"])
row = settled(hs.url)
check(row is not None and row["delivered"] == 1 and row["failed"] == 0, "https: delivered 1", 1, row)
unsubscribe(hs)

# The CA is trusted but the name must match: the certificate is for IP 127.0.0.1, not "localhost".
wrong_name = hs.url.replace("127.0.0.1", "localhost")
res, e = mi(d, "event_subscribe", {"event": "E_DIALPLAN_RELOADED", "socket": wrong_name})
check(e is None, f"event_subscribe {wrong_name}", "a row", e)
n_before = len(hs.snapshot())
raise_one()
row = settled(wrong_name)
check(row is not None and row["failed"] == 1 and row["delivered"] == 0,
      "https to a host name the certificate does not name: refused even with the CA trusted", 1, row)
err = (row or {}).get("last_error") or ""
check(any(w in err.lower() for w in ("certificate", "verify")), "last_error says why (certificate/verify)",
      "certificate or verify", err)
check(len(hs.snapshot()) == n_before, "no request reached the receiver", n_before, len(hs.snapshot()))
mi(d, "event_unsubscribe", {"event": "E_DIALPLAN_RELOADED", "socket": wrong_name})

# ---- https with the system's store: the self-signed chain is refused -------------------------------
d2 = start(["events.webhook_retries=0"])
subscribe(hs, daemon=d2)
n_before = len(hs.snapshot())
raise_one(d2)
row = settled(hs.url, d2)
check(row is not None and row["failed"] == 1 and row["delivered"] == 0,
      "https without events.webhook_ca_file: the certificate is not trusted, the delivery fails", 1, row)
err = (row or {}).get("last_error") or ""
check(any(w in err.lower() for w in ("certificate", "verify")), "last_error says why (certificate/verify)",
      "certificate or verify", err)
check(len(hs.snapshot()) == n_before, "no request reached the receiver", n_before, len(hs.snapshot()))
check(row is not None and row["state"].get("last_status") == 0, "state.last_status 0 (no HTTP answer)", 0,
      row and row["state"])

for h in (h1, h0, h2, h5, h3, hs):
    h.close()
finish_events(d, d2)
