"""The panel's Dialplan page in real chromium (tests/web/flows/dialplan.mjs): add rules (a bad
regex gets the API's message at its field), move them (the daemon's order is checked), the
test-a-number box (match, rewrite, no match), a hostile comment shown as text, read-only, delete."""
import weblib
from weblib import finish_events

d = weblib.start()


def rules():
    """The daemon's rules in evaluation order (dp_list over the FIFO): [{id, position, comment}]."""
    res, err = weblib.eventlib.mi(d, "dp_list")
    if err:
        return {"error": err.get("message")}
    return [{"id": r["id"], "position": r["position"], "comment": r["comment"]}
            for r in sorted(res.get("Rules", []), key=lambda r: r["position"])]


weblib.run_flow("dialplan", d, {"rules": rules}, env={"SB_TOKEN": weblib.admin_token(d)})
finish_events(d)
