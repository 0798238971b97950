"""The panel's Registrations page in real chromium (tests/web/flows/registrations.mjs): live
E_UL_* updates, countdown, search, unregister, read-only, an XSS user agent shown as text."""
import weblib
from weblib import finish_events

d = weblib.start()
ua = weblib.eventlib.SipClient(d)
AGENTS = {"xss": "<img src=x onerror=alert(1)>", "plain": "panel-test"}


def registered(aor):
    """How many contacts the daemon holds for `aor` (0: it answers "not found"; -1: another error)."""
    result, err = weblib.eventlib.mi(d, "ul_show_contact", {"table_name": "location", "aor": aor})
    if err:
        return 0 if "not found" in str(err.get("message", "")).lower() else -1
    return sum(len(a.get("Contacts", [])) for a in result.get("AORs", [result]))


weblib.run_flow("registrations", d,
                {"register": lambda u, dom, agent: ua.register(u, dom, expires=300, user_agent=AGENTS[agent])[0],
                 "registered": registered},
                env={"SB_TOKEN": weblib.admin_token(d)})
finish_events(d)
