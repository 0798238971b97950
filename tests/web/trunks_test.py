"""The panel's Trunks page in real chromium (tests/web/flows/trunks.mjs): add (a bad name gets
the API's field message), edit (the secret is write-only: empty keeps it), the registration
state followed live against a second daemon acting as the trunk's registrar, Register now, a
hostile display name shown as text, read-only, delete with confirmation."""
import weblib
from weblib import finish_events

d = weblib.start()
# The trunk's peer: a second switchboard with digest authentication, the subscriber gw@example.com
# added only when the flow asks (until then the trunk's REGISTER fails with 401).
registrar = weblib.start(["registrar.auth=on"])
mi = weblib.eventlib.mi


def account(name):
    """The daemon's view of account `name` (account_show + reg_show); None when it has none."""
    a, err = mi(d, "account_show", {"name": name})
    if err:
        return None if err.get("code") == 404 else {"error": err.get("message")}
    reg, err = mi(d, "reg_show", {"name": name})
    return {"state": a.get("state"), "has_secret": a.get("has_secret"), "displayname": a.get("displayname"),
            "expires": a.get("expires"), "last_error": (reg or {}).get("last_error")}


def accounts():
    res, err = mi(d, "account_list")
    return [a["name"] for a in res.get("Accounts", [])] if not err else {"error": err.get("message")}


def binding(aor):
    """The registrar's binding for `aor`: {contacts, expires, cseq} (contacts 0: none)."""
    res, err = mi(registrar, "ul_show_contact", {"table_name": "location", "aor": aor})
    if err:
        return {"contacts": 0} if "not found" in str(err.get("message", "")).lower() else {"error": err.get("message")}
    c = res.get("Contacts", [])
    return {"contacts": len(c), "expires": c[0].get("Expires") if c else 0, "cseq": c[0].get("Cseq") if c else 0}


def subscriber_add(user, password):
    res, err = mi(registrar, "subscriber_add", {"username": user, "domain": "example.com", "password": password})
    return res if not err else {"error": err.get("message")}


def refresh(name):
    """Re-registers `name` from the daemon's side (not through the page): its new state."""
    res, err = mi(d, "reg_refresh", {"name": name})
    return res.get("state") if not err else {"error": err.get("message")}


weblib.run_flow("trunks", d,
                {"account": account, "accounts": accounts, "binding": binding, "subscriber_add": subscriber_add,
                 "refresh": refresh, "sent": lambda: weblib.eventlib.get_stat(d, "accounts:reg_sent")},
                env={"SB_TOKEN": weblib.admin_token(d), "SB_REGISTRAR": f"127.0.0.1:{registrar.sip_port}"})
finish_events(d, registrar)
