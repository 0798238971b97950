"""The panel's Configuration page in real chromium (tests/web/flows/configuration.mjs): the
document downloaded; an upload with errors shows each problem at its JSON Pointer; a valid
upload's dry run reports the change and its impact, Apply makes it the daemon's; the revisions
list grows; restoring the previous revision brings the daemon back; read-only cannot change it."""
import weblib
from weblib import finish_events

eventlib = weblib.eventlib
d = weblib.start()
for method, params in (("port_add", {"port": 1, "driver": "virtual", "channels": 1, "label": "first"}),
                       ("port_group_add", {"name": "lines", "ports": "1"}),
                       ("dp_rule_add", {"src": "any", "dest_match": "^0", "dest_rewrite": "", "target": "group:lines"})):
    weblib.check(eventlib.mi(d, method, params)[1] is None, f"{method} {params}")


def state():
    """The daemon's configuration as the Python side reads it over the FIFO."""
    revs, err = eventlib.mi(d, "config_revisions")
    doc, err2 = eventlib.mi(d, "config_export")
    if err or err2:
        return {"error": err or err2}
    ports, _ = eventlib.mi(d, "port_list")
    return {"current": revs["current"], "revisions": [[r["revision"], r["source"]] for r in revs["Revisions"]],
            "doc_revision": doc["revision"], "ports": sorted(p["port"] for p in doc["ports"]),
            "live_ports": sorted(p["port"] for p in (ports or {}).get("Ports", [])),
            "rules": [r["dest_match"] for r in doc["dialplan"]]}


def port(n):
    """port_show <n>: {label, channels} or {error}."""
    res, err = eventlib.mi(d, "port_show", {"port": int(n)})
    return {"error": err} if err else {"label": res["label"], "channels": res["channels"]}


def add_port(n):
    """port_add <n> virtual over the FIFO (a change made elsewhere): "OK" or the error."""
    res, err = eventlib.mi(d, "port_add", {"port": int(n), "driver": "virtual", "channels": 1})
    return err or "OK"


weblib.run_flow("configuration", d, {"state": state, "port": port, "add_port": add_port}, env={"SB_TOKEN": weblib.admin_token(d)})
finish_events(d)
