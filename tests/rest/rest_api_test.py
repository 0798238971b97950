"""REST /api/v1 against the real daemon: resources, problem+json, ETag/If-Match/If-None-Match,
201 + Location, paging with Link, the escape hatch, and every answer checked against the served
OpenAPI document (restlib)."""
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import restlib  # noqa: E402
from restlib import check, finish, log  # noqa: E402


def problem_ok(r, status, what):
    check(r.status == status, f"{what}: status {status}", status, r)
    check((r.header("Content-Type") or "").startswith("application/problem+json"),
          f"{what}: application/problem+json", "application/problem+json", r.header("Content-Type"))
    if r.json:
        check(r.json.get("status") == status and r.json.get("type", "").startswith("tag:switchboard,2026:problem:"),
              f"{what}: problem members", status, r.json)


def pointers(r):
    return sorted(e.get("pointer") for e in (r.json or {}).get("errors", []) if "pointer" in e)


d = restlib.start()
api = restlib.Api(d)

# ---- the document: served = printed ---------------------------------------------------------
printed = subprocess.run([restlib.seclib.SB, "--openapi"], capture_output=True, text=True, check=True).stdout
check(json.loads(printed) == api.doc, "GET /api/v1/openapi.json is `switchboard --openapi`")
check(api.doc["openapi"] == "3.1.0", "OpenAPI 3.1", "3.1.0", api.doc.get("openapi"))

# ---- subscribers: create, conflict, read, conditional writes, delete -------------------------
r = api.request("POST", "/subscribers", {"username": "alice", "domain": "Example.com", "password": "s3cret"})
check(r.status == 201, "POST /subscribers creates: 201", 201, r)
check(r.header("Location") == "/api/v1/subscribers/alice@Example.com", "201 has Location",
      "/api/v1/subscribers/alice@Example.com", r.header("Location"))
problem_ok(api.request("POST", "/subscribers", {"username": "alice", "domain": "example.com", "password": "x"}),
           409, "a duplicate create")
r = api.request("GET", "/subscribers/alice@example.com")
check(r.status == 200 and r.json["username"] == "alice" and "password" not in r.body and "ha1" not in r.body,
      "GET one subscriber: no password, no hash", "alice", r)
etag = r.header("ETag")
check(bool(re.fullmatch(r'"[0-9a-f]{32}"', etag or "")), "a strong ETag", '"<hex>"', etag)
check(api.request("GET", "/subscribers/alice@example.com", headers={"If-None-Match": etag}).status == 304,
      "If-None-Match with the current ETag: 304")
check(api.request("GET", "/subscribers/alice@example.com", headers={"If-None-Match": '"other"'}).status == 200,
      "If-None-Match with another ETag: 200")
problem_ok(api.request("GET", "/subscribers/nobody@example.com"), 404, "an unknown subscriber")
problem_ok(api.request("PUT", "/subscribers/alice@example.com", {"password": "n3w"}), 428, "PUT without If-Match")
problem_ok(api.request("PUT", "/subscribers/alice@example.com", {"password": "n3w"}, headers={"If-Match": '"stale"'}),
           412, "PUT with a stale ETag")
r = api.request("PUT", "/subscribers/alice@example.com", {"password": "n3w"}, headers={"If-Match": etag})
check(r.status == 200 and r.json["username"] == "alice" and r.header("ETag"),
      "PUT with the current ETag: 200, the resource and its ETag", 200, r)
check(r.header("ETag") != etag, "a password change changes the ETag (the version), not only what is shown",
      "another ETag", r.header("ETag"))
problem_ok(api.request("PUT", "/subscribers/alice@example.com", {"password": "lost"}, headers={"If-Match": etag}),
           412, "a second password change based on the old ETag (a lost update)")
problem_ok(api.request("DELETE", "/subscribers/alice@example.com"), 428, "DELETE without If-Match")
r = api.request("DELETE", "/subscribers/alice@example.com", headers={"If-Match": r.header("ETag")})
check(r.status == 204 and r.body == "", "DELETE with If-Match: 204, no body", 204, r)
problem_ok(api.request("GET", "/subscribers/alice@example.com"), 404, "a deleted subscriber")
problem_ok(api.request("DELETE", "/subscribers/alice@example.com", headers={"If-Match": "*"}), 404,
           "DELETE If-Match: * of nothing")

# ---- validation: every problem at once, by JSON Pointer ---------------------------------------
r = api.request("POST", "/subscribers", {"username": 5, "domain": "example.com", "extra": True})
problem_ok(r, 422, "a body of the wrong shape")
check(pointers(r) == ["/extra", "/password", "/username"], "422 lists every problem by pointer",
      ["/extra", "/password", "/username"], pointers(r))
check("s3cret" not in r.body, "a refused body is not echoed")
r = api.request("POST", "/subscribers", {"username": "bob", "domain": "example.com", "password": 12345})
check(r.status == 422 and "12345" not in r.body, "a secret of the wrong type is not echoed", 422, r)
r = api.request("POST", "/subscribers", {"username": "b@d", "domain": "example.com", "password": "p"})
problem_ok(r, 422, "a value the command refuses")
check(pointers(r) == ["/username"], "the command's own refusal points at its member", ["/username"], pointers(r))
problem_ok(api.request("POST", "/subscribers", raw=b"{not json", headers={"Content-Type": "application/json"}),
           400, "a body that is not JSON")
problem_ok(api.request("POST", "/subscribers", raw=b"[1]", headers={"Content-Type": "application/json"}),
           422, "a body that is not an object")
problem_ok(api.request("POST", "/subscribers", raw=b"username=x", headers={"Content-Type": "text/plain"}),
           415, "a body that is not JSON by media type")
problem_ok(api.request("POST", "/subscribers", raw=b"[" * 500 + b"]" * 500,
                       headers={"Content-Type": "application/json"}), 400, "a body nested too deep")
r = api.request("PATCH", "/subscribers")
problem_ok(r, 405, "a method the resource lacks")
check("POST" in (r.header("Allow") or "") and "GET" in (r.header("Allow") or ""), "405 has Allow", "GET, POST",
      r.header("Allow"))
problem_ok(api.request("GET", "/no-such-thing"), 404, "an unknown resource")
r = api.request("GET", "/subscribers?limt=5")
problem_ok(r, 400, "an unknown query parameter")
check(r.json and r.json["errors"][0].get("parameter") == "limt", "the problem names the parameter", "limt", r.json)
problem_ok(api.request("GET", "/subscribers?limit=5000"), 400, "a limit over 1000")
problem_ok(api.request("GET", "/subscribers?limit=2&cursor=zz"), 400, "a cursor the server did not give")

# Every operation with a body refuses a member it does not declare, and each missing required
# member: a request the document calls invalid is refused.
for template, item in api.doc["paths"].items():
    for method, op in item.items():
        body = op.get("requestBody")
        if not body or "{" in template:
            continue
        schema = body["content"]["application/json"]["schema"]
        if "properties" not in schema:
            continue
        # An If-Match of "*" gets past the precondition (PUT /config): the body is what is tested.
        needs_match = any(p.get("in") == "header" and p["name"] == "If-Match" for p in op.get("parameters", []))
        r = api.request(method.upper(), template, {"__not_a_member": 1},
                        headers={"If-Match": "*"} if needs_match else None)
        check(r.status == 422 and "/__not_a_member" in pointers(r),
              f"{method.upper()} {template}: an undeclared member is refused (422)", 422, r)
        for name in schema.get("required", []):
            check(f"/{name}" in pointers(r), f"{method.upper()} {template}: missing '{name}' is reported",
                  f"/{name}", pointers(r))

# ---- paging: Link rel=next to the end, stable under inserts ---------------------------------
for i in range(25):
    r = api.request("POST", "/subscribers", {"username": f"u{i:02d}", "domain": "page.test", "password": "p"})
    check(r.status == 201, f"create u{i:02d}", 201, r.status)
seen, url, pages = [], "/subscribers?limit=10", 0
while url:
    r = api.request("GET", url)
    check(r.status == 200, f"page {pages + 1}", 200, r)
    seen += [f"{s['username']}@{s['domain']}" for s in r.json["Subscribers"]]
    pages += 1
    if pages == 1:  # a subscriber inserted behind the cursor and one ahead of it while paging
        api.request("POST", "/subscribers", {"username": "a00", "domain": "page.test", "password": "p"})
        api.request("POST", "/subscribers", {"username": "z99", "domain": "page.test", "password": "p"})
    link = r.header("Link")
    check((link is None) == (r.json["next_cursor"] is None), "Link iff next_cursor", r.json["next_cursor"], link)
    url = None
    if link:
        m = re.fullmatch(r'<(/api/v1[^>]*)>; rel="next"', link)
        check(m is not None, "Link: <...>; rel=\"next\"", "<...>", link)
        url = m.group(1)[len("/api/v1"):] if m else None
    if pages > 10:
        break
check(len(seen) == len(set(seen)), "no subscriber on two pages", len(set(seen)), len(seen))
check(all(f"u{i:02d}@page.test" in seen for i in range(25)), "every subscriber that existed is listed")
check("z99@page.test" in seen, "one inserted ahead of the cursor shows up on a later page")
check(pages == 3, "25 (+1 ahead) subscribers in pages of 10: 3 pages", 3, pages)

# ---- registrations: paging with a prefix -----------------------------------------------------
for i in range(30):
    aor = f"{'alice' if i < 12 else 'bob'}{i:02d}@reg.test"
    r = api.request("POST", f"/registrations/{aor}/contacts",
                    {"contact": f"sip:{aor.split('@')[0]}@192.0.2.1:5060", "expires": 3600})
    check(r.status == 201, f"POST a contact of {aor}", 201, r)
r = api.request("GET", "/registrations?prefix=alice&limit=5")
check(r.status == 200 and len(r.json["AORs"]) == 5 and r.header("Link"), "a page of AORs with a prefix", 5, r)
count, url = 0, "/registrations?prefix=alice&limit=5"
while url:
    r = api.request("GET", url)
    count += len(r.json["AORs"])
    check(all(a["AOR"].startswith("alice") for a in r.json["AORs"]), "only the prefix's AORs")
    link = r.header("Link")
    url = link[len("</api/v1"):link.index(">")] if link else None
check(count == 12, "12 AORs start with alice", 12, count)
r = api.request("GET", "/registrations/alice00@reg.test")
check(r.status == 200 and r.json["Contacts"][0]["Contact"].startswith("sip:alice00@"), "GET one AOR", "alice00", r)
r = api.request("DELETE", "/registrations/alice00@reg.test/contacts/sip:alice00@192.0.2.1:5060")
check(r.status == 204, "DELETE one contact", 204, r)
problem_ok(api.request("GET", "/registrations/alice00@reg.test"), 404, "an AOR without contacts")
check(api.request("DELETE", "/registrations/bob20@reg.test").status == 204, "DELETE an AOR")

# ---- accounts, ports, groups, dialplan -------------------------------------------------------
r = api.request("POST", "/accounts", {"name": "trunk1", "address": "192.0.2.50:5060", "username": "gw",
                                     "secret": "t0psecret", "register": False})
check(r.status == 201 and r.header("Location") == "/api/v1/accounts/trunk1", "POST /accounts", 201, r)
r = api.request("GET", "/accounts/trunk1")
check(r.status == 200 and "t0psecret" not in r.body, "an account never shows its secret", 200, r)
r2 = api.request("PATCH", "/accounts/trunk1", {"displayname": "Trunk One"}, headers={"If-Match": r.header("ETag")})
check(r2.status == 200 and r2.json["displayname"] == "Trunk One", "PATCH an account with If-Match", 200, r2)
problem_ok(api.request("PATCH", "/accounts/trunk1", {"displayname": "x"}, headers={"If-Match": r.header("ETag")}),
           412, "PATCH with the ETag from before the last change")
check(api.request("GET", "/accounts/trunk1/registration").json["state"] == "disabled",
      "the registration of an account that does not register")
r = api.request("POST", "/accounts/trunk1/registration")
check(r.status == 200 and r.json["name"] == "trunk1", "POST /accounts/{name}/registration restarts it", 200, r)
problem_ok(api.request("POST", "/accounts/nobody/registration"), 404, "re-register an unknown account")

r = api.request("POST", "/ports", {"port": 3, "driver": "virtual", "channels": 2})
check(r.status == 201 and r.header("Location") == "/api/v1/ports/3", "POST /ports", 201, r)
before = api.request("GET", "/ports/3").header("ETag")
check(bool(re.fullmatch(r'"[0-9a-f]{32}\.[0-9a-f]{32}"', before or "")), "a port's ETag: stable part . whole",
      '"<stable>.<full>"', before)
r = api.request("POST", "/ports/3/block")
check(r.status == 200 and r.json["blocked"] is True, "POST /ports/3/block", True, r)
check(api.request("GET", "/ports/3", headers={"If-None-Match": before}).status == 200,
      "If-None-Match with the tag from before the block: 200 (the representation changed)")
r = api.request("POST", "/ports/3/unblock")
check(r.status == 200 and r.json["blocked"] is False, "POST /ports/3/unblock", False, r)
r = api.request("POST", "/ports/3/restart")
check(r.status == 200 and r.json["port"] == 3, "POST /ports/3/restart", 3, r)
problem_ok(api.request("GET", "/ports/42"), 404, "an unknown port")
api.request("POST", "/ports", {"port": 4, "driver": "virtual"})
tag4 = api.request("GET", "/ports/4").header("ETag")
api.request("POST", "/ports/4/block")  # run-time state changes; nobody wrote the port
r = api.request("DELETE", "/ports/4", headers={"If-Match": tag4})
check(r.status == 204, "If-Match with the tag from before a block still deletes (only writes conflict)", 204, r)
problem_ok(api.request("GET", "/ports/abc"), 400, "a port that is not a number")
r = api.request("POST", "/port-groups", {"name": "isdn", "ports": "3"})
check(r.status == 201 and r.header("Location") == "/api/v1/port-groups/isdn", "POST /port-groups", 201, r)
check(api.request("GET", "/port-groups/isdn").json["ports"] == [3], "GET a group")

r = api.request("POST", "/dialplan/rules", {"src": "any", "dest_match": "^0", "dest_rewrite": "", "target": "group:isdn"})
check(r.status == 201 and r.header("Location") == f"/api/v1/dialplan/rules/{r.json['id']}", "POST a rule", 201, r)
first = r.json["id"]
r = api.request("POST", "/dialplan/rules", {"src": "any", "dest_match": "^1", "dest_rewrite": "", "target": "group:isdn"})
second = r.json["id"]
r = api.request("GET", f"/dialplan/rules/{second}")
bad = api.request("PATCH", f"/dialplan/rules/{second}", {"comment": "x", "position": 9},
                  headers={"If-Match": r.header("ETag")})
check(bad.status == 422 and pointers(bad) == ["/position"], "a position out of range: 422 at /position", 422, bad)
check(api.request("GET", f"/dialplan/rules/{second}").json["comment"] == "",
      "…and the comment given with it did not change either")
r = api.request("PATCH", f"/dialplan/rules/{second}", {"position": 1}, headers={"If-Match": r.header("ETag")})
check(r.status == 200 and r.json["position"] == 1, "PATCH position reorders", 1, r)
rules = api.request("GET", "/dialplan/rules").json["Rules"]
check([x["id"] for x in rules] == [second, first], "the list follows the new order", [second, first],
      [x["id"] for x in rules])
r = api.request("POST", "/dialplan/test", {"source": "any", "number": "0301234"})
check(r.status == 200 and r.json["rule_id"] == first, "POST /dialplan/test matches a rule", first, r)
problem_ok(api.request("POST", "/dialplan/test", {"source": "any", "number": "999"}), 404, "no matching rule")

check(api.request("GET", "/cdrs").json == {"CDRs": [], "next_cursor": None}, "no CDRs yet")
check(api.request("GET", "/calls").json["count"] == 0, "no calls")
r = api.request("GET", "/statistics?group=http")
check(r.status == 200 and "http:requests" in r.json and not any(k.startswith("mi:") for k in r.json),
      "statistics of one group", "http:*", r)
sysinfo = api.request("GET", "/system").json
check(sysinfo["version"] and sysinfo["pending_impact"] == "none", "GET /system")
comps = {c["name"]: c for c in sysinfo["components"]}
check(comps.get("http", {}).get("enabled") is True and "HTTP: port" in comps["http"]["detail"]
      and comps.get("monitor", {}).get("enabled") is True, "GET /system lists the components as they run",
      "http, monitor", sysinfo["components"])
cmds = api.request("GET", "/commands").json["Commands"]
sub_add = next(c for c in cmds if c["name"] == "subscriber_add")
check(sub_add["params"]["properties"]["password"].get("writeOnly") is True, "the catalogue marks secrets writeOnly")
check(any(c["name"] == "module_list" for c in cmds) and api.request("GET", "/modules").status == 200, "modules")

# ---- the escape hatch --------------------------------------------------------------------------
r = api.request("POST", "/mi/uptime")
check(r.status == 200 and "Up time" in r.json, "POST /mi/uptime", 200, r)
r = api.request("POST", "/mi/ul_show_contact", {"table_name": "location", "aor": "bob21@reg.test"})
check(r.status == 200 and r.json["AOR"] == "bob21@reg.test", "POST /mi/<cmd> with named params", 200, r)
r = api.request("POST", "/mi/ul_show_contact", ["location", "bob21@reg.test"])
check(r.status == 200, "POST /mi/<cmd> with positional params", 200, r)
problem_ok(api.request("POST", "/mi/no_such_command"), 404, "an unknown command")
problem_ok(api.request("GET", "/mi/uptime"), 405, "GET on the escape hatch")

log(f"{api.checked} answers checked against the OpenAPI document")
finish()
