#!/bin/sh
# gen-openapi.sh: regenerate openapi/switchboard.json, the OpenAPI 3.1 document of the REST API
# (/api/v1), from the commands' REST bindings and schemas (`switchboard --openapi`). A test
# (tests/shell/openapi_stale_test.sh) fails while the committed file differs: run this after
# adding or changing a command's params, reply schema or REST binding, and commit the result.
set -eu
top="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$top/build}"
ninja -C "$build" switchboard >/dev/null
"$build/bin/switchboard" --openapi > "$top/openapi/switchboard.json.new"
mv "$top/openapi/switchboard.json.new" "$top/openapi/switchboard.json"
echo "gen-openapi: wrote openapi/switchboard.json"
