"""The panel's log-in and dashboard in real chromium (tests/web/flows/login_dashboard.mjs):
strict headers, the generated admin token, live tiles and charts from E_STATISTICS."""
import weblib
from weblib import check, finish_events

d = weblib.start()
ua = weblib.eventlib.SipClient(d)


def port(action, n):
    if action == "add":
        res, err = weblib.eventlib.mi(d, "port_add", {"port": int(n), "driver": "virtual", "channels": 2})
    else:
        res, err = weblib.eventlib.mi(d, "port_block", {"port": int(n), "block": True})
    return "ok" if not err else str(err)


weblib.run_flow("login_dashboard", d, {"register": lambda u, dom: ua.register(u, dom)[0], "port": port},
                env={"SB_TOKEN": weblib.admin_token(d)})
finish_events(d)
