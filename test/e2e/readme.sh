#!/usr/bin/env bash
# The README's curl examples are executable: this script takes the shell
# blocks of its "Walk-through with curl", "Lead sources and merging
# duplicates" and "Tags and custom fields" sections out of README.md itself
# (so the docs cannot drift from what is tested), runs every command against
# a real server, and checks what the README says each step answers. Any
# failed check, or a README step this script has no check for, exits non-zero.
#
# How the README is read: the ```sh blocks of the sections named in SECTIONS
# (from their "## " heading to the next one), in order, as one terminal
# session would run them. A ```sh block anywhere else in README.md that uses
# $API fails the run, so a new curl example cannot escape the checks. Each
# block is cut into paragraphs (blank-line separated); a paragraph is its
# leading "# " comment (the step's title, which names its check below), its
# command lines, and trailing "# " comment lines (the documented output,
# compared when it is JSON; "…" stands for any value). The first paragraph of
# the first block sets KEY and API; it runs unchanged except that API then
# points at this test's server instead of 127.0.0.1:8080.
#
# Commands run in a directory laid out like a checkout after `make run`
# (.data/ with the development key, bin/customers-api), with `curl` wrapped
# only to record each response's headers and output for the checks.
#
# Usage: test/e2e/readme.sh   (needs go, curl, jq and PostgreSQL's binaries)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

for tool in curl jq; do
  command -v "$tool" >/dev/null || e2e_fail "$tool is needed (scripts/ensure-e2e-tools.sh installs it)"
done
README=${E2E_README:-$E2E_ROOT/README.md} # E2E_README: another copy, to see the checks fail
SECTIONS='Walk-through with curl|Lead sources and merging duplicates|Tags and custom fields'

e2e_start_server

# ---- take the steps out of README.md -------------------------------------
steps="$E2E_TMP/readme-steps"
mkdir -p "$steps"
awk -v dir="$steps" -v sections="$SECTIONS" '
  function flush() {
    if (have) { close(cmdf); close(docf); close(titlef) }
    have = 0
  }
  function start() {
    n++; f = sprintf("%s/%03d", dir, n)
    titlef = f ".title"; cmdf = f ".cmd"; docf = f ".doc"
    printf "%s\n", heading > titlef
    printf "" > cmdf; printf "" > docf
    have = 1; phase = "title"
  }
  BEGIN                       { nsec = split(sections, secs, "|"); for (i = 1; i <= nsec; i++) want[secs[i]] = 1 }
  /^## /                      { heading = substr($0, 4); insec = (heading in want); next }
  /^```sh$/ && !insec         { outside = 1; body = ""; next }
  outside && /^```$/          { outside = 0; if (body ~ /\$API/) printf "%s\n", heading > (dir "/uncovered"); next }
  outside                     { body = body $0 "\n"; next }
  /^### /                     { if (insec) heading = substr($0, 5); next }
  !insec                      { next }
  /^```sh$/ && !inblock       { inblock = 1; blk++; first = 1; next }
  /^```$/ && inblock          { inblock = 0; flush(); next }
  !inblock                    { next }
  /^[[:space:]]*$/            { flush(); next }
  {
    if (!have) {
      start()
      # The first paragraph of the first block is the setup (KEY, API).
      if (blk == 1 && first) { printf "setup\n" > titlef }
      first = 0
    }
    if (phase == "title" && /^# /) { printf "%s\n", substr($0, 3) > titlef; next }
    if (phase != "doc" && !/^#/)   { phase = "cmd"; print > cmdf; next }
    if (phase == "cmd" && /^#/)    { phase = "doc" }
    if (phase == "doc")            { sub(/^# ?/, ""); print > docf; next }
    print > cmdf
  }
' "$README"

ls "$steps"/*.cmd >/dev/null 2>&1 || e2e_fail "README.md has no \`\`\`sh block under '## Walk-through with curl'"
if [ -s "$steps/uncovered" ]; then
  e2e_fail "README.md has curl examples (\$API) in sections test/e2e/readme.sh does not run: $(sort -u "$steps/uncovered" | tr '\n' ';') add them to SECTIONS and check them"
fi

# ---- running a step --------------------------------------------------------
# curl as the README calls it, plus -D to keep the response headers apart; its
# output (what the reader sees) is kept too.
STEP_HDR="$E2E_TMP/step.headers"
STEP_OUT="$E2E_TMP/step.out"
curl() { command curl -D "$STEP_HDR" "$@" >"$STEP_OUT"; }

failures=0
check() { # check DESCRIPTION ACTUAL EXPECTED
  if [ "$2" == "$3" ]; then
    echo "  ok   $1"
  else
    echo "  FAIL $1: got [$2], want [$3]" >&2
    failures=$((failures + 1))
  fi
}
check_match() { # check_match DESCRIPTION ACTUAL EXTENDED-REGEX
  if [[ "$2" =~ $3 ]]; then
    echo "  ok   $1"
  else
    echo "  FAIL $1: got [$2], want a match of /$3/" >&2
    failures=$((failures + 1))
  fi
}
status() { awk '/^HTTP\//{s=$2} END{print s}' "$STEP_HDR"; }
header() { # the last response's header $1, case-insensitively
  awk -v name="$(echo "$1" | tr 'A-Z' 'a-z')" '
    /^HTTP\// { v = "" }
    { line = $0; sub(/\r$/, "", line); i = index(line, ":") }
    i > 0 && tolower(substr(line, 1, i - 1)) == name { v = substr(line, i + 1); sub(/^[ \t]+/, "", v) }
    END { print v }' "$STEP_HDR"
}
body() { # the response body, without the headers `curl -i` prints first
  if head -c 5 "$STEP_OUT" | grep -q '^HTTP/'; then
    awk 'started { print; next } /^\r?$/ { started = 1 }' "$STEP_OUT"
  else
    cat "$STEP_OUT"
  fi
}
field() { body | jq -r "$1" 2>/dev/null || echo "<the body is not JSON: $(body | head -c 200)>"; }
cfield() { body | jq -c "$1" 2>/dev/null || echo "<the body is not JSON: $(body | head -c 200)>"; } # compact JSON

run() { # run STEP: the README's command, exactly
  : >"$STEP_HDR"
  : >"$STEP_OUT"
  if ! eval "$(cat "$1.cmd")"; then
    echo "  FAIL the command failed (curl exit status)" >&2
    failures=$((failures + 1))
  fi
}

# check_documented STEP: a step whose README text shows the JSON answer is
# compared with the real one; "…" in the documentation stands for any value.
check_documented() {
  [ -s "$1.doc" ] || return 0
  local doc
  doc=$(tr '\n' ' ' <"$1.doc")
  echo "$doc" | jq -e . >/dev/null 2>&1 || { check "documented output is JSON" "$doc" "valid JSON"; return; }
  local got
  got=$(body | jq -c --argjson doc "$doc" '
    . as $act
    | (reduce ($doc | paths(. == "…")) as $p ($doc; setpath($p; $act | getpath($p)))) as $want
    | if . == $want and ([$doc | paths(. == "…")] | all(. as $p | $act | getpath($p) != null)) then "same"
      else {got: ., want: $want} end')
  check "body is the documented one" "$got" '"same"'
}

# ---- the steps and what the README says about them -------------------------
cd "$E2E_WORK" # .data/ and bin/ are where the README expects them
unset DATA_DIR DATABASE_URL

created_id=
for step in "$steps"/*; do
  case "$step" in *.cmd) ;; *) continue ;; esac
  step=${step%.cmd}
  title=$(tail -n 1 "$step.title")
  echo "README: $title"
  case "$title" in
  setup)
    eval "$(cat "$step.cmd")"
    check "KEY is the development key the server printed" "$KEY" "$E2E_DEV_KEY"
    check "API is the address make run listens on" "$API" "http://127.0.0.1:8080"
    API=$E2E_BASE_URL # this test's server listens on a free port instead
    ;;

  'Create a customer: 201, Location, ETag "0"')
    run "$step"
    check "status" "$(status)" 201
    created_id=$(field .id)
    check_match "id is a server-made UUID v4" "$created_id" '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$'
    check "Location" "$(header Location)" "$API/customers/$created_id"
    check "ETag" "$(header ETag)" '"0"'
    check "revision" "$(field .revision)" 0
    check "email taken from the primary email" "$(field .email)" ada@example.com
    check "firstName" "$(field .firstName)" Ada
    check "customFields" "$(field .customFields.tier)" gold
    check "Content-Type" "$(header Content-Type)" "application/json; charset=utf-8"
    ;;

  'Upsert with your own id: 201 the first time, 200 afterwards')
    run "$step"
    check "first time: status" "$(status)" 201
    check "first time: Location" "$(header Location)" "$API/customers/ada-1"
    check "first time: id from the path" "$(field .id)" ada-1
    check "first time: revision" "$(field .revision)" 0
    first_updated=$(field .updatedTime)
    run "$step"
    check "afterwards: status" "$(status)" 200
    check "afterwards: no Location" "$(header Location)" ""
    check "afterwards: nothing changed, same revision" "$(field .revision)" 0
    check "afterwards: same updatedTime" "$(field .updatedTime)" "$first_updated"
    check "afterwards: locale" "$(field .locale)" en-GB
    ;;

  'Read it back; the ETag is the revision')
    run "$step"
    check "status" "$(status)" 200
    check "id" "$(field .id)" ada-1
    check "ETag is the revision" "$(header ETag)" "\"$(field .revision)\""
    check "lastName" "$(field .lastName)" Lovelace
    ;;

  'Change it only if nobody else did: If-Match the ETag you read; 200, revision 1')
    run "$step"
    check "status" "$(status)" 200
    check "changed" "$(field .lastName)" King
    check "revision moved on" "$(field .revision)" 1
    check "ETag" "$(header ETag)" '"1"'
    ;;

  'The same write with the old ETag again: 412, the revision moved on')
    run "$step"
    check "status" "$(status)" 412
    check "problem+json" "$(header Content-Type)" "application/problem+json; charset=utf-8"
    check "status in the body" "$(field .status)" 412
    ;;

  'Retry a create safely: the same Idempotency-Key gets the first 201 again')
    run "$step"
    check "first time: status" "$(status)" 201
    check "first time: not a replay" "$(header Idempotent-Replayed)" ""
    idem_id=$(field .id)
    run "$step"
    check "retry: status" "$(status)" 201
    check "retry: replayed" "$(header Idempotent-Replayed)" true
    check "retry: the same customer" "$(field .id)" "$idem_id"
    check "retry: nothing more was created" "$(command curl -s "$API/customers?filter=websiteId:shop-uk&limit=0" -D - -o /dev/null -H "REB-APIKEY: $KEY" | tr -d '\r' | awk -F': ' 'tolower($1)=="pagination-total" {print $2}')" 1
    ;;

  'An error: 422 application/problem+json naming the field')
    run "$step"
    check "status" "$(status)" 422
    check "Content-Type" "$(header Content-Type)" "application/problem+json; charset=utf-8"
    check "requestId is the X-Request-Id" "$(field .requestId)" "$(header X-Request-Id)"
    check_documented "$step"
    # A 422 changes nothing.
    check "the customer is unchanged" "$(command curl -s "$API/customers/ada-1" -H "REB-APIKEY: $KEY" | jq -r .revision)" 1
    ;;

  'List: a bare JSON array, filtered, sorted and trimmed; Pagination-Total counts every match')
    run "$step"
    check "status" "$(status)" 200
    check "Pagination-Total" "$(header Pagination-Total)" 2
    check "Pagination-Limit (the default)" "$(header Pagination-Limit)" 100
    check "Pagination-Offset" "$(header Pagination-Offset)" 0
    check "sorted by lastName, only id and lastName" "$(body | jq -c '[.[] | [.id, .lastName, (keys | join(","))]]')" \
      "[[\"ada-1\",\"King\",\"id,lastName\"],[\"$created_id\",\"Lovelace\",\"id,lastName\"]]"
    check_match "Link has first and last" "$(header Link)" 'rel="first".*rel="last"'
    ;;

  'Search: q matches any part of an id, email, name, organization or phone number')
    run "$step"
    check "status" "$(status)" 200
    check "only the Lovelace still so named" "$(body | jq -c '[.[] | [.id, .email]]')" "[[\"$created_id\",\"ada@example.com\"]]"
    ;;

  'Organizations and API keys')
    # An aside about another organization: its ACME_KEY leaves KEY, the
    # development key, to the sections that follow (which use ada-1).
    walk_key=$KEY
    out=$(eval "$(cat "$step.cmd")" && declare -p ORG ACME_KEY RO) || { check "the commands succeed" "failed" "ok"; continue; }
    eval "$out"
    KEY=$ACME_KEY
    check_match "ORG is only the new organization id" "$ORG" '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
    check_match "ACME_KEY is only the new secret" "$ACME_KEY" '^sk_live_[0-9A-Za-z]{40}$'
    check_match "RO is only the new secret" "$RO" '^sk_live_[0-9A-Za-z]{40}$'
    # "all permissions"
    curl -s -X PUT "$API/organizations/$ORG/customers/acme-1" -H "REB-APIKEY: $KEY" \
      -H 'Content-Type: application/json' -d '{"locale": "en-GB"}'
    check "KEY may PutCustomer under its organization" "$(status)" 201
    curl -s "$API/customers/acme-1" -H "REB-APIKEY: $KEY"
    check "... and bare paths are its organization" "$(status)" 200
    curl -s "$API/customers/ada-1" -H "REB-APIKEY: $KEY"
    check "another organization's customer does not exist for it" "$(status)" 404
    # RO: GetCustomerCollection,GetCustomer only
    curl -s "$API/customers/acme-1" -H "REB-APIKEY: $RO"
    check "RO may GetCustomer" "$(status)" 200
    curl -s -X PUT "$API/customers/acme-1" -H "REB-APIKEY: $RO" -H 'Content-Type: application/json' -d '{}'
    check "RO may not PutCustomer" "$(status)" 403
    curl -s -X DELETE "$API/customers/acme-1?targetCustomerId=x" -H "REB-APIKEY: $RO"
    check "RO may not DeleteCustomer" "$(status)" 403
    KEY=$walk_key
    ;;

  'Record where ada-1 came from: 201 the first time, 200 afterwards')
    run "$step"
    check "first time: status" "$(status)" 201
    check "first time: Location" "$(header Location)" "$API/customers/ada-1/lead-source"
    check "first time: values" "$(field '[.source, .medium, .campaign] | join(" ")')" "newsletter email spring"
    check "first time: copied into original" "$(field '.original.campaign')" spring
    check "first time: the customer's revision moved on (the ETag)" "$(header ETag)" '"2"'
    run "$step"
    check "afterwards: status" "$(status)" 200
    check "afterwards: original kept" "$(field '.original.source')" newsletter
    ada_revision=$(command curl -s "$API/customers/ada-1" -H "REB-APIKEY: $KEY" | jq -r .revision)
    ;;

  'A duplicate of ada-1, created by another import')
    run "$step"
    check "status" "$(status)" 201
    check "id" "$(field .id)" ada-dup
    check "revision" "$(field .revision)" 0
    ;;

  "Merge it into ada-1: 204; If-Match checks the duplicate's revision")
    run "$step"
    check "status" "$(status)" 204
    check "no body" "$(body)" ""
    ;;

  "ada-1 now has the duplicate's websiteId and custom field, one revision more")
    run "$step"
    check "status" "$(status)" 200
    check "websiteId from the duplicate" "$(field .websiteId)" shop-eu
    check "custom field from the duplicate" "$(field '.customFields["source-system"]')" legacy
    check "one revision more" "$(field .revision)" "$((ada_revision + 1))"
    check "its own fields kept" "$(field .lastName)" King
    ;;

  'The duplicate'"'"'s id: 404 naming ada-1 (and a PUT to it is 409)')
    run "$step"
    check "status" "$(status)" 404
    check "Content-Type" "$(header Content-Type)" "application/problem+json; charset=utf-8"
    check_documented "$step"
    curl -s -X PUT "$API/customers/ada-dup" -H "REB-APIKEY: $KEY" -H 'Content-Type: application/json' -d '{}'
    check "a PUT to it: status" "$(status)" 409
    check_match "a PUT to it: names ada-1" "$(field .detail)" 'ada-1'
    ;;

  'Define a typed custom field: 201 (200 when it changes)')
    run "$step"
    check "status" "$(status)" 201
    check "Location" "$(header Location)" "$API/custom-fields/customers/loyaltyPoints"
    check "name and type" "$(field '[.name, .type] | join(" ")')" "loyaltyPoints integer"
    curl -s -X PUT "$API/custom-fields/customers/loyaltyPoints" -H "REB-APIKEY: $KEY" \
      -H 'Content-Type: application/json' -d '{"type": "integer", "description": "Points earned"}'
    check "a change: status" "$(status)" 200
    check "a change: description" "$(field .description)" "Points earned"
    curl -s -X PUT "$API/custom-fields/customers/loyaltyPoints" -H "REB-APIKEY: $KEY" \
      -H 'Content-Type: application/json' -d '{"type": "integer"}'
    check "back as the README defines it" "$(status) $(field .description)" "200 null"
    ;;

  'A customer with points and a tax number (isValid is always null: no VIES check)')
    run "$step"
    check "status" "$(status)" 201
    check "id" "$(field .id)" grace-1
    check "the points, a number" "$(field '.customFields.loyaltyPoints | type')" number
    check "taxNumbers" "$(cfield .taxNumbers)" '[{"type":"eu-vat","value":"DE123456789","isValid":null,"isDefault":true}]'
    check "organizationId is the development organization" "$(field .organizationId)" "$E2E_DEV_ORG"
    ;;

  'Points must now be whole numbers: 422 naming customFields.loyaltyPoints')
    before=$(command curl -s "$API/customers/ada-1" -H "REB-APIKEY: $KEY" | jq -c .)
    run "$step"
    check "status" "$(status)" 422
    check_documented "$step"
    check "ada-1 is unchanged" "$(command curl -s "$API/customers/ada-1" -H "REB-APIKEY: $KEY" | jq -c .)" "$before"
    curl -s -X PUT "$API/customers/grace-1" -H "REB-APIKEY: $KEY" -H 'Content-Type: application/json' \
      -d '{"customFields": {"loyaltyPoints": 120, "tier": "gold"}}'
    check "an undefined key: status" "$(status)" 422
    check "an undefined key: named" "$(cfield '[.invalidFields[].field]')" '["customFields.tier"]'
    ;;

  'A range on a defined number compares numerically: 120 is in 20..')
    run "$step"
    check "status" "$(status)" 200
    check_documented "$step"
    curl -s "$API/customers?filter=customFields.loyaltyPoints:..100&fields=id" -H "REB-APIKEY: $KEY"
    check "120 is not in ..100" "$(cfield .)" '[]'
    ;;

  'Find customers by tax number (case-insensitive)')
    run "$step"
    check "status" "$(status)" 200
    check_documented "$step"
    ;;

  'Tag ada-1: 204, creating the tag if needed')
    rev=$(command curl -s "$API/customers/ada-1" -H "REB-APIKEY: $KEY" | jq -r .revision)
    command curl -s -o /dev/null -w '%{http_code}' "$API/tags/vip" -H "REB-APIKEY: $KEY" >"$E2E_TMP/code"
    check "no tag vip before" "$(cat "$E2E_TMP/code")" 404
    run "$step"
    check "status" "$(status)" 204
    check "no body" "$(body)" ""
    curl -s "$API/customers/ada-1" -H "REB-APIKEY: $KEY"
    check "ada-1's tags" "$(cfield '[.tags[].name]')" '["vip"]'
    check "one revision more" "$(field .revision)" "$((rev + 1))"
    run "$step"
    check "again: status" "$(status)" 204
    curl -s "$API/customers/ada-1" -H "REB-APIKEY: $KEY"
    check "again: the revision does not move" "$(field .revision)" "$((rev + 1))"
    curl -s "$API/tags/vip" -H "REB-APIKEY: $KEY"
    check "the tag was created" "$(status) $(field .name) $(field .type)" "200 vip customer"
    ;;

  'Tag many at once: 204; an unknown id is 422 naming it (customerIds[1]) and nothing changes')
    curl -s -X POST "$API/tags/newsletter/customers" -H "REB-APIKEY: $KEY" -H 'Content-Type: application/json' \
      -d '{"customerIds": ["ada-1", "nobody"]}'
    check "an unknown id: status" "$(status)" 422
    check "an unknown id: named" "$(cfield '[.invalidFields[].field]')" '["customerIds[1]"]'
    curl -s "$API/customers/ada-1" -H "REB-APIKEY: $KEY"
    check "an unknown id: ada-1 was not tagged" "$(cfield '[.tags[].name]')" '["vip"]'
    run "$step"
    check "status" "$(status)" 204
    check "no body" "$(body)" ""
    ;;

  'List the tags')
    run "$step"
    check "status" "$(status)" 200
    check "names, sorted" "$(cfield '[.[].name]')" '["newsletter","vip"]'
    check "type" "$(cfield '[.[].type] | unique')" '["customer"]'
    check "Pagination-Total" "$(header Pagination-Total)" 2
    ;;

  'Customers by tag; their tags are sorted by name')
    run "$step"
    check "status" "$(status)" 200
    check "ada-1 and grace-1 with their tags" "$(cfield '[.[] | [.id, [.tags[].name]]]')" \
      '[["ada-1",["newsletter","vip"]],["grace-1",["newsletter"]]]'
    check "full tag objects" "$(field '.[0].tags[0] | [.id != null, .type] | @tsv')" "$(printf 'true\tcustomer')"
    ;;

  'Delete a definition once no customer has a value for it: 204 (409 before)')
    curl -s -X DELETE "$API/custom-fields/customers/loyaltyPoints" -H "REB-APIKEY: $KEY"
    check "before: status" "$(status)" 409
    run "$step"
    check "status" "$(status)" 204
    curl -s "$API/custom-fields/customers" -H "REB-APIKEY: $KEY"
    check "no definitions left" "$(cfield .)" '[]'
    curl -s "$API/customers/grace-1" -H "REB-APIKEY: $KEY"
    check "grace-1 has no points, keeps its tag" "$(cfield '[.customFields, [.tags[].name]]')" '[{},["newsletter"]]'
    curl -s -X PUT "$API/customers/grace-1" -H "REB-APIKEY: $KEY" -H 'Content-Type: application/json' \
      -d '{"customFields": {"tier": "gold"}}'
    check "customFields are free-form again" "$(status) $(field .customFields.tier)" "200 gold"
    ;;

  *)
    echo "  FAIL README.md has a walk-through step that test/e2e/readme.sh does not check: '$title'" >&2
    echo "       (add a case for it, saying what the README claims the step answers)" >&2
    failures=$((failures + 1))
    ;;
  esac
done

# The prose around the blocks.
echo "README: Every route also exists under /organizations/{organizationId}"
curl -s "$API/organizations/$E2E_DEV_ORG/customers/ada-1" -H "REB-APIKEY: $E2E_DEV_KEY"
check "GET under the development organization" "$(status)" 200
check "the same customer" "$(field .lastName)" King
echo "README: make run prints the development organization, key and address"
check "the server printed what the README shows" \
  "$(sed -E 's/: [0-9a-f-]{36}$/: ORG/; s/: sk_live_[0-9A-Za-z]{40}$/: KEY/; s|http://127\.0\.0\.1:[0-9]+$|http://ADDR|' "$E2E_STDOUT")" \
  "$(grep -E '^(Development organization:|Development API key \(REB-APIKEY\):|Customers API listening on) ' "$README" |
    sed -E 's/: [0-9a-f-]{36}$/: ORG/; s/: sk_live_[0-9A-Za-z]{40}$/: KEY/; s|http://127\.0\.0\.1:[0-9]+$|http://ADDR|')"

echo "README: make run prints the same key on every start; the cluster is kept between runs"
first_key=$E2E_DEV_KEY
first_org=$E2E_DEV_ORG
e2e_stop_server
e2e_start_server
API=$E2E_BASE_URL
check "the same development key" "$E2E_DEV_KEY" "$first_key"
check "the same development organization" "$E2E_DEV_ORG" "$first_org"
check ".data/dev-api-key still holds it" "$(cat .data/dev-api-key)" "$first_key"
curl -s "$API/customers/ada-1" -H "REB-APIKEY: $E2E_DEV_KEY"
check "the walk-through's customer is still there" "$(status) $(field .lastName) $(field .websiteId)" "200 King shop-eu"

cd "$E2E_ROOT"
[ -n "$created_id" ] || { echo "FAIL the README's create step did not run" >&2; failures=$((failures + 1)); }
if [ "$failures" != 0 ]; then
  echo "readme walk-through: $failures check(s) failed" >&2
  exit 1
fi
echo "readme walk-through: every check passed"
