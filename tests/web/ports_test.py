"""The panel's Ports page in real chromium (tests/web/flows/ports.mjs): ports and a group added
over the FIFO first; block / unblock (the page's and the daemon's side, live E_PORT_STATE),
restart with confirmation, a hostile port label shown as text, read-only."""
import weblib
from weblib import finish_events

XSS = "<img src=x onerror=alert(1)>"
d = weblib.start()
mi = weblib.eventlib.mi
weblib.eventlib.mi_ok(d, "port_add", {"port": 1, "driver": "virtual", "channels": 2, "label": XSS},
                      "port 1 (virtual, 2 channels, label: an <img onerror> XSS attempt) added over the FIFO")
weblib.eventlib.mi_ok(d, "port_add", {"port": 2, "driver": "virtual", "channels": 1, "label": "spare"},
                      "port 2 (virtual, 1 channel) added")
weblib.eventlib.mi_ok(d, "port_group_add", {"name": "isdn", "ports": "1,2"}, "group isdn (ports 1,2) added")


def port(n):
    """The daemon's view of port `n` (port_show): {state, blocked, restarts, label}."""
    res, err = mi(d, "port_show", {"port": int(n)})
    if err:
        return {"error": err.get("message")}
    return {k: res.get(k) for k in ("state", "blocked", "restarts", "label", "in_use")}


def block(n):
    """Blocks port `n` from the daemon's side (not through the page): its new state."""
    res, err = mi(d, "port_block", {"port": int(n), "block": True})
    return res.get("state") if not err else {"error": err.get("message")}


weblib.run_flow("ports", d, {"port": port, "block": block}, env={"SB_TOKEN": weblib.admin_token(d)})
finish_events(d)
