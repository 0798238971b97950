#!/bin/sh
# openapi_lint_test.sh: the committed OpenAPI document lints clean — no error and no warning —
# with @redocly/cli's recommended rules (pinned in web/package-lock.json, installed by
# scripts/setup.sh; openapi/redocly.yaml).
. "$SB_SOURCE_DIR/tests/shell/lib.sh"
sb_init openapi_lint
redocly="$SB_SOURCE_DIR/web/node_modules/.bin/redocly"
[ -x "$redocly" ] || { fail "$redocly is missing: run scripts/setup.sh (npm ci in web/)"; sb_finish; }
if ! (cd "$SB_SOURCE_DIR/web" && "$redocly" lint --config ../openapi/redocly.yaml ../openapi/switchboard.json) \
     > "$dir/lint.out" 2>&1; then
  fail "redocly lint failed:"
  grep -v '^\s*[║╔╚]' "$dir/lint.out" | head -40 >&2
fi
if grep -Eq 'You have [0-9]+ warning' "$dir/lint.out"; then
  fail "redocly lint warns:"
  grep -v '^\s*[║╔╚]' "$dir/lint.out" | head -40 >&2
fi
grep -q 'Your API description is valid' "$dir/lint.out" || fail "redocly did not say the document is valid"
sb_finish
