"""The panel's Subscribers page in real chromium (tests/web/flows/subscribers.mjs): add, change
the password (checked with a digest REGISTER), delete, hostile names, read-only."""
import weblib
from weblib import finish_events

d = weblib.start(["registrar.auth=on"])
ua = weblib.eventlib.SipClient(d)
weblib.run_flow("subscribers", d,
                {"register_auth": lambda u, pw: ua.register(u, "example.com", password=pw)[0]},
                env={"SB_TOKEN": weblib.admin_token(d)})
finish_events(d)
