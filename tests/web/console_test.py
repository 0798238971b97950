"""The panel's MI console in real chromium (tests/web/flows/console.mjs): the catalogue and its
search, uptime run with its reply as a tree and raw JSON (the daemon's own), a generated params
form for dp_translate (the API's message for a bad param; the daemon's translation), an unknown
command explained with the closest names, read-only sessions kept from what they may not run."""
import weblib
from weblib import finish_events

eventlib = weblib.eventlib
d = weblib.start()
for method, params in (("port_add", {"port": 1, "driver": "virtual", "channels": 1}),
                       ("port_group_add", {"name": "lines", "ports": "1"}),
                       ("dp_rule_add", {"src": "any", "dest_match": "^0(\\d+)$", "dest_rewrite": "\\1",
                                        "target": "group:lines", "comment": "national"})):
    weblib.check(eventlib.mi(d, method, params)[1] is None, f"{method} {params}")


def mi(method, params_json="{}"):
    """A command over the FIFO, as the Python side sees it: {result} or {error}."""
    import json
    res, err = eventlib.mi(d, method, json.loads(params_json))
    return {"error": err} if err else {"result": res}


def commands(needle=""):
    """The commands the daemon has (command_list) whose name, summary or module holds `needle`."""
    res, err = eventlib.mi(d, "command_list")
    if err:
        return err
    rows = res if isinstance(res, list) else res.get("Commands", res.get("commands", []))
    n = needle.lower()
    return sorted(c["name"] for c in rows if not n or any(n in str(c.get(k, "")).lower() for k in ("name", "summary", "module")))


weblib.run_flow("console", d, {"mi": mi, "commands": commands}, env={"SB_TOKEN": weblib.admin_token(d)})
finish_events(d)
