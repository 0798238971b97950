#!/bin/sh
# openapi_stale_test.sh: the committed openapi/switchboard.json is what `switchboard --openapi`
# prints now (regenerate it with scripts/gen-openapi.sh), and the document is sound JSON with
# an operation for every REST binding the catalogue lists.
. "$SB_SOURCE_DIR/tests/shell/lib.sh"
sb_init openapi_stale

"$SB" --openapi > "$dir/now.json" || fail "switchboard --openapi failed"
if ! cmp -s "$dir/now.json" "$SB_SOURCE_DIR/openapi/switchboard.json"; then
  fail "openapi/switchboard.json is stale: run scripts/gen-openapi.sh and commit it"
  diff "$SB_SOURCE_DIR/openapi/switchboard.json" "$dir/now.json" | head -20 >&2
fi
python3 - "$dir/now.json" <<'PY' || fail "the document is not a sound OpenAPI 3.1 description"
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["openapi"] == "3.1.0", doc["openapi"]
ids = [op["operationId"] for item in doc["paths"].values() for op in item.values()]
assert len(ids) == len(set(ids)), "operationIds are unique"
for path, item in doc["paths"].items():
    for method, op in item.items():
        assert op["responses"], (method, path)
        names = [p["name"] for p in op.get("parameters", []) if p["in"] == "path"]
        for part in path.split("/"):
            if "{" in part:
                for name in [x.split("}")[0] for x in part.split("{")[1:]]:
                    assert name in names, f"{method} {path}: path parameter {name} is declared"
PY
sb_finish
