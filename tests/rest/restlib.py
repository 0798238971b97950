"""restlib: a REST client for the tests that checks every answer against the OpenAPI document.

Every response the tests get passes through check_against_doc(): the path and method must be in
the document (else the server must have said 404 or 405), the status must be declared for the
operation (2xx and 304 exactly, errors through `default` at least), a JSON body must validate
against the declared schema (problem+json against Problem), and declared required headers
(ETag, Location) must be there. The daemon is started with tests/security/seclib.py.
"""
import base64
import http.client
import json
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "security"))
import seclib  # noqa: E402
from seclib import check, fail, finish, log, start_daemon  # noqa: E402,F401

import jsonschema  # noqa: E402

BASE = "/api/v1"


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # lower-case name -> value (the last one)
        self.all_headers = []
        self.body = body
        self.json = None
        if body:
            try:
                self.json = json.loads(body)
            except ValueError:
                pass

    def header(self, name):
        return self.headers.get(name.lower())

    def __repr__(self):
        return f"<{self.status} {self.body[:300]!r}>"


def _deref(doc, node):
    """The schema with every local $ref replaced by its target (the document has no cycles)."""
    if isinstance(node, dict):
        if "$ref" in node and node["$ref"].startswith("#/"):
            target = doc
            for part in node["$ref"][2:].split("/"):
                target = target[part]
            return _deref(doc, target)
        return {k: _deref(doc, v) for k, v in node.items()}
    if isinstance(node, list):
        return [_deref(doc, v) for v in node]
    return node


def _template_regex(template):
    return re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+?", re.escape(template).replace(r"\{", "{").replace(r"\}", "}")) + "$")


class Api:
    def __init__(self, daemon, user=None, password=None, token=None, doc=None):
        self.port = daemon.http_port
        self.auth = None
        if user is not None:
            self.auth = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        elif token is not None:
            self.auth = "Bearer " + token
        self.doc = doc
        self.checked = 0
        if self.doc is None:
            r = self.request("GET", "/openapi.json", validate=False)
            check(r.status == 200, "GET /api/v1/openapi.json answers 200", 200, r.status)
            self.doc = r.json
        self.paths = [(t, _template_regex(t)) for t in self.doc["paths"]]

    def with_credentials(self, **kw):
        return Api(_Port(self.port), doc=self.doc, **kw)

    def request(self, method, path, body=None, headers=None, raw=None, validate=True):
        """path: under /api/v1 (with its query string). body: JSON-encoded; raw: bytes as is."""
        h = {"Host": f"127.0.0.1:{self.port}"}
        if self.auth:
            h["Authorization"] = self.auth
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        if raw is not None:
            data = raw
        h.update(headers or {})
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        conn.request(method, BASE + path, body=data, headers=h)
        resp = conn.getresponse()
        payload = resp.read().decode("utf-8", "replace")
        r = Response(resp.status, {k.lower(): v for k, v in resp.getheaders()}, payload)
        r.all_headers = resp.getheaders()
        conn.close()
        if validate:
            self.check_against_doc(method, path, r)
        return r

    # ---- the document as the oracle ------------------------------------------------------

    def find_operation(self, method, path):
        bare = path.split("?", 1)[0]
        for template, rx in self.paths:
            if rx.match(bare):
                item = self.doc["paths"][template]
                op = item.get("get" if method == "HEAD" else method.lower())
                return template, item, op
        return None, None, None

    def check_against_doc(self, method, path, r):
        self.checked += 1
        what = f"{method} {path} -> {r.status}"
        template, item, op = self.find_operation(method, path)
        if template is None:
            check(r.status in (404, 401, 403), f"{what}: a path the document lacks answers 404", 404, r.status)
            return
        if op is None:
            check(r.status == 405 and r.header("Allow"), f"{what}: a method the document lacks answers 405 + Allow",
                  405, r.status)
            return
        responses = op["responses"]
        declared = responses.get(str(r.status))
        if declared is None:
            check(r.status >= 400 and "default" in responses,
                  f"{what}: the status is declared for the operation", sorted(responses), r.status)
            declared = responses.get("default")
            if declared is None:
                return
        declared = _deref(self.doc, declared)
        for name, spec in (declared.get("headers") or {}).items():
            if spec.get("required"):
                check(r.header(name) is not None, f"{what}: header {name} is there", name, r.headers)
        content = declared.get("content")
        if not content or method == "HEAD" or r.status in (204, 304):
            check(not r.body or method == "HEAD" or r.status not in (204, 304), f"{what}: no body", "", r.body)
            return
        media = (r.header("Content-Type") or "").split(";")[0].strip()
        check(media in content, f"{what}: Content-Type is declared", sorted(content), media)
        if media not in content:
            return
        check(r.json is not None or r.body == "null", f"{what}: the body is JSON", "JSON", r.body[:200])
        schema = content[media].get("schema", {})
        try:
            jsonschema.Draft202012Validator(schema).validate(r.json)
        except jsonschema.ValidationError as e:
            fail(f"{what}: the body matches the document's schema", e.message, r.body[:500])


class _Port:
    def __init__(self, port):
        self.http_port = port


def start(extra_sets=(), **kw):
    """The daemon with HTTP on a port of its own choosing; every caller admin unless credentials
    are configured in extra_sets."""
    sets = ["http.anonymous_role=admin", "sip.listen=udp:127.0.0.1:0"] + list(extra_sets)
    return start_daemon(sets, **kw)
