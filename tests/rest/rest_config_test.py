"""The configuration as one document over REST (and MI): export with its revision as ETag,
import that is all-or-nothing with every problem by JSON Pointer, dry_run, the change report with
impact classes, revisions kept and restored, every write bumping the revision, admin only."""
import copy
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import restlib  # noqa: E402
from restlib import check, finish, seclib  # noqa: E402

d = restlib.start(["http.basic_auth=op:op-pass:operator,adm:adm-pass:admin", "config.keep_revisions=5"])
adm = restlib.Api(d, user="adm", password="adm-pass")
op = adm.with_credentials(user="op", password="op-pass")


def get_config():
    r = adm.request("GET", "/config")
    check(r.status == 200, "GET /config", 200, r)
    return r.json, r.header("ETag")


def pointers(r):
    return sorted(e.get("pointer") for e in (r.json or {}).get("errors", []))


# ---- roles --------------------------------------------------------------------------------------
r = op.request("GET", "/config")
check(r.status == 403, "an operator may not read the document (it holds secrets)", 403, r)
doc, etag = get_config()
check(doc["revision"] == 0 and etag == '"0"', "a fresh server is at revision 0, its ETag", '"0"', etag)
check(doc["subscribers"] == [] and doc["accounts"] == [] and doc["schema_version"] == 1, "an empty document")

# ---- every write bumps the revision ------------------------------------------------------------
check(op.request("POST", "/subscribers", {"username": "alice", "domain": "example.com", "password": "pw"}).status == 201,
      "create a subscriber")
check(op.request("POST", "/ports", {"port": 1, "driver": "virtual", "channels": 2}).status == 201, "create a port")
check(op.request("POST", "/port-groups", {"name": "lines", "ports": "1"}).status == 201, "create a group")
r = op.request("POST", "/dialplan/rules", {"src": "any", "dest_match": "^0", "dest_rewrite": "", "target": "group:lines"})
check(r.status == 201, "create a rule", 201, r)
r = op.request("POST", "/accounts", {"name": "trunk", "address": "192.0.2.9", "username": "gw", "secret": "s3cr3t",
                                     "register": False})
check(r.status == 201, "create an account", 201, r)
doc, etag = get_config()
check(doc["revision"] == 5 and etag == '"5"', "five writes: revision 5", 5, doc["revision"])
check(doc["accounts"][0]["secret"] == "s3cr3t", "the admin's document holds the account's secret")
check(len(doc["subscribers"][0]["ha1"]) == 32 and "password" not in doc["subscribers"][0], "subscribers as HA1 only")
check(adm.request("GET", "/config", headers={"If-None-Match": etag}).status == 304, "If-None-Match on /config: 304")
revs = adm.request("GET", "/config/revisions").json
check(revs["current"] == 5 and [x["revision"] for x in revs["Revisions"]] == [5, 4, 3, 2, 1],
      "revisions listed newest first", [5, 4, 3, 2, 1], revs)
check(revs["Revisions"][0]["source"] == "account_add", "a revision names what made it", "account_add",
      revs["Revisions"][0]["source"])
backup = copy.deepcopy(doc)

# ---- import: precondition, validation of the whole, dry run, report ------------------------------
changed = copy.deepcopy(doc)
changed["subscribers"].append({"username": "bob", "domain": "Example.COM", "password": "bobpw"})
changed["accounts"][0]["address"] = "192.0.2.10"
changed["dialplan"][0]["comment"] = "national"
r = adm.request("PUT", "/config", changed)
check(r.status == 428, "PUT /config without If-Match: 428", 428, r)
r = adm.request("PUT", "/config", changed, headers={"If-Match": '"4"'})
check(r.status == 412, "PUT /config with an old revision: 412", 412, r)
r = op.request("PUT", "/config", changed, headers={"If-Match": etag})
check(r.status == 403, "an operator may not import", 403, r)

bad = copy.deepcopy(changed)
bad["subscribers"][0]["domain"] = ""
bad["accounts"][0]["transport"] = "sctp"
bad["dialplan"][0]["dest_match"] = "(["
bad["port_groups"][0]["ports"] = [1, 7]
bad["extra"] = 1
r = adm.request("PUT", "/config", bad, headers={"If-Match": etag})
check(r.status == 422, "a bad document: 422", 422, r)
expected = ["/accounts/0/transport", "/dialplan/0/dest_match", "/extra"]
check(all(p in pointers(r) for p in expected), "422 names every problem by pointer", expected, pointers(r))
r = adm.request("PUT", "/config", {k: v for k, v in bad.items() if k != "extra"}, headers={"If-Match": etag})
want = ["/accounts/0/transport", "/dialplan/0/dest_match", "/port_groups/0/ports/1", "/subscribers/0/domain"]
check(pointers(r) == want, "…all of them at once", want, pointers(r))
check(get_config()[0] == doc or get_config()[0]["revision"] == 5, "a refused document changes nothing")
missing = {k: v for k, v in changed.items() if k != "ports"}
r = adm.request("PUT", "/config", missing, headers={"If-Match": etag})
check(r.status == 422 and "/ports" in pointers(r), "a document without a kind is refused (not 'remove them all')",
      "/ports", pointers(r))

toomany = copy.deepcopy(changed)
toomany["dialplan"] = [{"dest_match": "^1", "target_kind": "group", "target_id": "lines"}] * 1001
r = adm.request("PUT", "/config", toomany, headers={"If-Match": etag})
check(r.status == 422 and "/dialplan" in pointers(r), "more rules than the dialplan holds: refused before writing",
      "/dialplan", pointers(r))

r = adm.request("PUT", "/config?dry_run=1", changed, headers={"If-Match": etag})
check(r.status == 200 and r.json["dry_run"] is True and r.json["revision"] == 5, "a dry run reports", 200, r)
check(r.json["changes"]["subscribers"]["added"] == ["bob@example.com"], "bob would be added", ["bob@example.com"],
      r.json["changes"]["subscribers"])
impacts = {(x["kind"], x["key"]): x["impact"] for x in r.json["impact"]}
check(impacts.get(("accounts", "trunk")) == "reregister", "a changed account address: reregister", "reregister",
      impacts)
check(impacts.get(("dialplan", str(doc["dialplan"][0]["id"]))) == "none", "a comment change: no impact", "none",
      impacts)
check(get_config()[0]["revision"] == 5, "a dry run changes nothing")

r = adm.request("PUT", "/config", changed, headers={"If-Match": etag})
check(r.status == 200 and r.json["revision"] == 6 and r.json["dry_run"] is False, "the import: revision 6", 6, r)
check(r.header("ETag") == '"6"', "the import's answer carries the new revision as ETag", '"6"', r.header("ETag"))
now, etag6 = get_config()
check([s["username"] for s in now["subscribers"]] == ["alice", "bob"], "bob is there", ["alice", "bob"],
      now["subscribers"])
check(now["accounts"][0]["address"] == "192.0.2.10", "the account changed")
check(op.request("GET", "/accounts/trunk").json["address"] == "192.0.2.10", "…and the running account too")
check(op.request("GET", f"/dialplan/rules/{doc['dialplan'][0]['id']}").json["comment"] == "national",
      "the running dialplan has the new rule text")

# ---- restore an older revision -----------------------------------------------------------------
r = adm.request("POST", "/config/revisions/5/restore")
check(r.status == 428, "restore without If-Match: 428", 428, r)
r = adm.request("POST", "/config/revisions/5/restore", headers={"If-Match": etag})
check(r.status == 412, "restore with a stale config ETag: 412", 412, r)
r = adm.request("POST", "/config/revisions/5/restore", headers={"If-Match": etag6})
check(r.status == 200 and r.json["revision"] == 7 and r.json["changes"]["subscribers"]["removed"] == ["bob@example.com"],
      "restore revision 5: bob goes, revision 7", 7, r)
now, etag7 = get_config()
check([s["username"] for s in now["subscribers"]] == ["alice"], "back to alice alone")
check(op.request("GET", "/subscribers/bob@example.com").status == 404, "bob is gone for the running registrar too")
r = adm.request("GET", "/config/revisions/1")
check(r.status == 404, "keep_revisions=5: revision 1 is gone", 404, r)
r = adm.request("GET", "/config/revisions/6")
check(r.status == 200 and r.json["revision"] == 6 and len(r.json["subscribers"]) == 2, "revision 6 kept", 6, r)

# ---- importing an older document (the backup) ---------------------------------------------------
backup["dialplan"].append({"dest_match": "^9", "target_kind": "group", "target_id": "lines"})
r = adm.request("PUT", "/config", backup, headers={"If-Match": etag7})
check(r.status == 200 and r.json["changes"]["dialplan"]["added"] == ["(new rule)"], "a rule without an id is added",
      ["(new rule)"], r)
check(len(op.request("GET", "/dialplan/rules").json["Rules"]) == 2, "two rules run now")

# ---- the same through MI -------------------------------------------------------------------------
r = adm.request("POST", "/mi/config_import", {"document": backup, "dry_run": True})
check(r.status == 200 and r.json["dry_run"] is True, "config_import over MI (dry run)", 200, r)
r = adm.request("POST", "/mi/config_import", {"document": backup, "if_revision": 3})
check(r.status == 412, "config_import if_revision: 412 when not current", 412, r)

# ---- an import does not drop the calls that are up ------------------------------------------------
r = adm.request("POST", "/mi/port_call", {"port": 1, "number": "0301"})
check(r.status == 200 and "id" in r.json, "a call from port 1 through the dialplan to group lines", 200, r)
call_id = r.json.get("id")
answered = seclib.wait_for(lambda: any(c["id"] == call_id and c["state"] == "answered"
                                       for c in op.request("GET", "/calls").json["Calls"]), 10)
check(answered, "the call is answered (both channels of port 1 in use)")
doc, etag = get_config()
doc["ports"][0]["label"] = "relabelled"
doc["dialplan"][0]["comment"] = "changed while a call is up"
r = adm.request("PUT", "/config", doc, headers={"If-Match": etag})
check(r.status == 200 and r.json["changes"]["ports"]["changed"] == ["1"], "an import that changes port 1", 200, r)
calls = op.request("GET", "/calls").json["Calls"]
check([c["id"] for c in calls] == [call_id] and calls[0]["state"] == "answered",
      "the call is still up after the import", [call_id], calls)
port = op.request("GET", "/ports/1").json
check(port["label"] == "relabelled" and port["in_use"] == 2, "port 1 has its new label and still carries it",
      ("relabelled", 2), (port["label"], port["in_use"]))
check(op.request("DELETE", f"/calls/{call_id}").status == 200, "hang up")

finish()
