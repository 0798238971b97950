"""The panel's Events page in real chromium (tests/web/flows/events.mjs): events the Python side
causes (REGISTERs, raise_event) show up live with the params the daemon raised; the filter, pause
and resume, an entry opened to its params; an XSS attempt in a param is shown as text."""
import weblib
from weblib import finish_events

eventlib = weblib.eventlib
d = weblib.start()
ua = eventlib.SipClient(d)
AGENTS = {"xss": "<img src=x onerror=alert(1)>", "plain": "panel-test"}
XSS = AGENTS["xss"]


def register(user, agent):
    """REGISTER user@example.com with that User-Agent: {status, call_id}."""
    status, _, _, info = ua.register(user, "example.com", expires=300, user_agent=AGENTS[agent])
    return {"status": status, "call_id": info["call_id"]}


def raise_xss():
    """raise_event E_REGISTRAR_AUTH_FAILED with the XSS attempt as its user (the daemon checks the
    params against the declaration): "OK" or the error."""
    res, err = eventlib.mi(d, "raise_event", {"event": "E_REGISTRAR_AUTH_FAILED", "params": {
        "source": "192.0.2.7", "port": 5060, "user": XSS, "method": "INVITE", "reason": "panel test", "banned": False}})
    return res if err is None else err


def event_names():
    """The names events_list gives (the catalogue the page's filter offers)."""
    res, err = eventlib.mi(d, "events_list")
    return sorted(e["name"] for e in res) if err is None else err


def listeners(event, want):
    """How many subscriptions and streams take `event` now (events_list; -1 on error), once it
    is `want` or after 5 s (a stream closes a moment after the page drops it)."""
    def count():
        res, err = eventlib.mi(d, "events_list", {"event": event})
        return res[0]["listeners"] if err is None and res else -1
    eventlib.wait_for(lambda: count() == int(want), 5, 0.1)
    return count()


weblib.run_flow("events", d, {"register": register, "raise_xss": raise_xss, "event_names": event_names,
                              "listeners": listeners},
                env={"SB_TOKEN": weblib.admin_token(d)})
finish_events(d)
