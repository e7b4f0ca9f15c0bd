#!/usr/bin/env bash
# The README's curl examples are executable: this script takes the shell
# blocks of its "Walk-through with curl", "Lead sources and merging
# duplicates", "Tags and custom fields", "Timeline and webhooks" and "Coming
# from Cleeng, Adobe VIP or Worldline" sections out of README.md itself (so the docs cannot drift from what is tested), runs
# every command against a real server, and checks what the README says each
# step answers. Any failed check, or a README step this script has no check
# for, exits non-zero.
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
# The webhook receiver is the README's own: the ```go block of "Receiving
# webhooks" is built as it stands and run as the README says, so that the
# server's real deliveries must pass its signature check. It listens on a
# free port instead of the README's 127.0.0.1:9000, which the steps' text is
# changed to point at.
#
# Usage: test/e2e/readme.sh   (needs go, curl, jq and PostgreSQL's binaries; the
# Go toolchain also builds the receiver, which needs no module download)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

for tool in curl jq; do
  command -v "$tool" >/dev/null || e2e_fail "$tool is needed (scripts/ensure-e2e-tools.sh installs it)"
done
README=${E2E_README:-$E2E_ROOT/README.md} # E2E_README: another copy, to see the checks fail
SECTIONS='Walk-through with curl|Lead sources and merging duplicates|Tags and custom fields|Timeline and webhooks|Coming from Cleeng, Adobe VIP or Worldline'

# Retries within seconds, so that a rejected delivery fails during the walk.
export WEBHOOK_RETRY_SCHEDULE=1s,1s
e2e_start_server

# ---- the README's webhook receiver -----------------------------------------
RX_DIR="$E2E_TMP/receiver"
mkdir -p "$RX_DIR"
awk '/^### Receiving webhooks$/ { insub = 1; next }
     /^##/                      { insub = 0 }
     insub && /^```go$/ && !done { inblock = 1; next }
     inblock && /^```$/         { inblock = 0; done = 1; next }
     inblock                    { print }' "$README" >"$RX_DIR/receiver.go"
[ -s "$RX_DIR/receiver.go" ] || e2e_fail "README.md has no \`\`\`go block (the receiver) under '### Receiving webhooks'"
printf 'module receiver\n\ngo 1.22\n' >"$RX_DIR/go.mod"
(cd "$RX_DIR" && go vet . && go build -o receiver .) || e2e_fail "the README's receiver (### Receiving webhooks) does not build or vet"
RX_BIN="$RX_DIR/receiver"
RX_PID=
RX_LOG=
RX_STARTS=0
start_receiver() { # start_receiver SECRET [LISTEN]: the receiver as the README runs it
  RX_STARTS=$((RX_STARTS + 1))
  RX_LOG="$RX_DIR/receiver.$RX_STARTS.log"
  WEBHOOK_SECRET=$1 LISTEN=${2:-127.0.0.1:$RX_PORT} "$RX_BIN" >"$RX_LOG" 2>&1 &
  RX_PID=$!
  E2E_KILL_ON_EXIT=$RX_PID # lib.sh kills it on exit
  local i
  for i in $(seq 50); do
    grep -q 'receiving webhooks on http://' "$RX_LOG" && return 0
    kill -0 "$RX_PID" 2>/dev/null || break
    sleep 0.1
  done
  e2e_fail "the README's receiver did not start: $(cat "$RX_LOG")"
}
stop_receiver() {
  [ -n "$RX_PID" ] || return 0
  kill "$RX_PID" 2>/dev/null || true
  wait "$RX_PID" 2>/dev/null || true
  RX_PID=
  E2E_KILL_ON_EXIT=
}
# A free port for it: it listens on port 0 once and says which it got.
start_receiver whsec_AAAA 127.0.0.1:0
RX_PORT=$(sed -n 's|.*receiving webhooks on http://127\.0\.0\.1:\([0-9][0-9]*\)$|\1|p' "$RX_LOG")
stop_receiver
[ -n "$RX_PORT" ] || e2e_fail "the README's receiver did not say where it listens: $(cat "$RX_LOG")"

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

# The README's receiver address, 127.0.0.1:9000, is this test's receiver's.
grep -q '"127.0.0.1:9000"' "$RX_DIR/receiver.go" || e2e_fail "the README's receiver does not listen on 127.0.0.1:9000 by default, where its webhook points"
sed -i "s|http://127\.0\.0\.1:9000|http://127.0.0.1:$RX_PORT|g" "$steps"/*

ls "$steps"/*.cmd >/dev/null 2>&1 || e2e_fail "README.md has no \`\`\`sh block under '## Walk-through with curl'"
if [ -s "$steps/uncovered" ]; then
  e2e_fail "README.md has curl examples (\$API) in sections test/e2e/readme.sh does not run: $(sort -u "$steps/uncovered" | tr '\n' ';') add them to SECTIONS and check them"
fi

# ---- running a step --------------------------------------------------------
# curl as the README calls it, plus -D to keep the response headers apart; its
# output (what the reader sees) is kept too, and while a README command runs
# it also goes on to what the command pipes it into (jq, tee).
STEP_HDR="$E2E_TMP/step.headers"
STEP_OUT="$E2E_TMP/step.out"
STEP_PIPE=
curl() {
  if [ -n "$STEP_PIPE" ]; then
    command curl -D "$STEP_HDR" "$@" | tee "$STEP_OUT"
  else
    command curl -D "$STEP_HDR" "$@" >"$STEP_OUT"
  fi
}

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
  STEP_PIPE=1
  if ! eval "$(cat "$1.cmd")" >/dev/null; then
    echo "  FAIL the command failed (curl exit status)" >&2
    failures=$((failures + 1))
  fi
  STEP_PIPE=
}

# until_body SECONDS JQ URL: GETs URL (with the development key) until its
# body satisfies the jq expression, for at most SECONDS; prints how many
# tenths of a second that took, or fails with the last body.
until_body() {
  local tenths=0 got
  while :; do
    got=$(command curl -s "$3" -H "REB-APIKEY: $E2E_DEV_KEY")
    if echo "$got" | jq -e "$2" >/dev/null 2>&1; then
      echo "$tenths"
      return 0
    fi
    if [ "$tenths" -ge $(($1 * 10)) ]; then
      echo "never within ${1}s: $(echo "$got" | head -c 400)"
      return 1
    fi
    sleep 0.1
    tenths=$((tenths + 1))
  done
}
rx_saw() { # rx_saw EXTENDED-REGEX: whether the receiver's log has a line matching it
  grep -Eq "$1" "$RX_LOG" && echo yes || echo "no, its log: $(tail -n 5 "$RX_LOG" | tr '\n' '|')"
}
metric() { # metric NAME{LABELS}: its value on GET /metrics
  command curl -s "$API/metrics" | awk -v m="$1" '$1 == m { print $2 }'
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

  "Change ada-1's locale; a PUT sends the whole customer, the rest as it was")
    before=$(command curl -s "$API/customers/ada-1" -H "REB-APIKEY: $KEY")
    run "$step"
    check "status" "$(status)" 200
    check "locale" "$(field .locale)" fr-FR
    check "one revision more" "$(field .revision)" "$(($(echo "$before" | jq .revision) + 1))"
    check "the rest as it was" "$(body | jq -cS 'del(.locale, .revision, .updatedTime)')" \
      "$(echo "$before" | jq -cS 'del(.locale, .revision, .updatedTime)')"
    change_request=$(header X-Request-Id)
    ada_revision=$(field .revision)
    ada_updated=$(field .updatedTime)
    ;;

  "ada-1's timeline, newest first: changes holds only what changed, old and new")
    run "$step"
    check "status" "$(status)" 200
    check_documented "$step"
    check "revision: the one the change produced" "$(field '.[0].extraData.revision')" "$ada_revision"
    check "requestId: the change's X-Request-Id" "$(field '.[0].extraData.requestId')" "$change_request"
    check_match "apiKeyId: the key's id" "$(field '.[0].extraData.apiKeyId')" '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
    check "occurredTime: the change's" "$(field '.[0].occurredTime')" "$ada_updated"
    check "links" "$(cfield '[.[0]._links[] | [.rel, .href]]')" \
      "[[\"self\",\"$API/customers/ada-1/timeline/$(field '.[0].id')\"],[\"customer\",\"$API/customers/ada-1\"]]"
    check "Pagination-Limit" "$(header Pagination-Limit)" 1
    check_match "Pagination-Total counts every message" "$(header Pagination-Total)" '^([2-9]|[1-9][0-9]+)$'
    curl -s "$API/customers/ada-1/timeline?filter=type:customer-merged" -H "REB-APIKEY: $KEY"
    check "the merge's message, with what it changed" "$(cfield '[.[] | [.message, .extraData.changes.websiteId.new]]')" \
      '[["Customer ada-dup was merged into this customer.","shop-eu"]]'
    curl -s "$API/customers/ada-1/timeline?sort=occurredTime&limit=1" -H "REB-APIKEY: $KEY"
    check "sort=occurredTime: the oldest first" "$(field '.[0].type')" customer-created
    curl -s "$API/customers/ada-dup/timeline" -H "REB-APIKEY: $KEY"
    check "a merged-away id's timeline" "$(status)" 404
    ;;

  'Comment on ada-1: 201 (keep the id to delete it)')
    run "$step"
    check "status" "$(status)" 201
    check_match "MSG is the new message's id" "$MSG" '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$'
    check "Location" "$(header Location)" "$API/customers/ada-1/timeline/$MSG"
    check "type and message" "$(field '[.type, .message] | join(" / ")')" "customer-comment-created / Wants invoices in French."
    check "the customer did not change" "$(command curl -s "$API/customers/ada-1" -H "REB-APIKEY: $KEY" | jq .revision)" "$ada_revision"
    curl -s "$API/customers/ada-1/timeline/$MSG" -H "REB-APIKEY: $KEY"
    check "it is on the timeline" "$(status) $(field .message)" "200 Wants invoices in French."
    curl -s -X POST "$API/customers/ada-1/timeline" -H "REB-APIKEY: $KEY" -H 'Content-Type: application/json' \
      -d '{"type": "custom-event", "customEventType": "call", "message": "Called back.", "customData": {"minutes": 4}}'
    check "a custom event: status" "$(status)" 201
    check "a custom event: its fields" "$(cfield '[.customEventType, .customData]')" '["call",{"minutes":4}]'
    curl -s -X DELETE "$(header Location)" -H "REB-APIKEY: $KEY"
    check "a custom event can be deleted too" "$(status)" 204
    curl -s -X POST "$API/customers/ada-1/timeline" -H "REB-APIKEY: $KEY" -H 'Content-Type: application/json' \
      -d '{"type": "customer-updated", "message": "Not mine to write."}'
    check "any other type: 422 naming it" "$(status) $(cfield '[.invalidFields[].field]')" '422 ["type"]'
    ;;

  'Delete the comment: 204')
    run "$step"
    check "status" "$(status)" 204
    check "no body" "$(body)" ""
    curl -s "$API/customers/ada-1/timeline/$MSG" -H "REB-APIKEY: $KEY"
    check "it is gone" "$(status)" 404
    ;;

  "The service's own messages stay: deleting one is 409")
    run "$step"
    check "status" "$(status)" 409
    check "Content-Type" "$(header Content-Type)" "application/problem+json; charset=utf-8"
    check_documented "$step"
    curl -s "$API/customers/ada-1/timeline/$SYS" -H "REB-APIKEY: $KEY"
    check "it is still there" "$(status) $(field .type)" "200 customer-updated"
    ;;

  'Subscribe a receiver to every event: 201 with the secret that signs its deliveries')
    run "$step"
    check "status" "$(status)" 201
    check_documented "$step"
    webhook_secret=$(field .secret)
    check_match "secret: whsec_ and base64" "$webhook_secret" '^whsec_[A-Za-z0-9+/]{43}=$'
    check "secret: 32 bytes" "$(printf '%s' "${webhook_secret#whsec_}" | base64 -d | wc -c | tr -d ' ')" 32
    check "Location" "$(header Location)" "$API/webhooks/$(field .id)"
    check "webhook.json holds the answer" "$(jq -c . webhook.json)" "$(body | jq -c .)"
    # As the README says next: the receiver, with the secret.
    start_receiver "$(jq -r .secret webhook.json)"
    ;;

  'Its id, for what follows')
    run "$step"
    check_match "WH is the webhook's id" "$WH" '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$'
    check "... the one created" "$WH" "$(jq -r .id webhook.json)"
    ;;

  'Read the webhook back: no secret')
    run "$step"
    check "status" "$(status)" 200
    check_documented "$step"
    check "no secret field" "$(field 'has("secret")')" false
    check "links" "$(cfield '[._links[] | [.rel, .href]]')" "[[\"self\",\"$API/webhooks/$WH\"],[\"deliveries\",\"$API/webhooks/$WH/deliveries\"]]"
    curl -s "$API/webhooks" -H "REB-APIKEY: $KEY"
    check "the list: this webhook, no secret" "$(cfield '[.[] | [.id, has("secret")]]')" "[[\"$WH\",false]]"
    curl -s -X POST "$API/webhooks" -H "REB-APIKEY: $KEY" -H 'Content-Type: application/json' \
      -d '{"url": "ftp://example.com/", "eventsFilter": ["customer-deleted"], "headers": {"webhook-id": "x"}}'
    check "an invalid webhook: 422 naming each field" "$(status) $(cfield '[.invalidFields[].field]')" \
      '422 ["url","eventsFilter[0]","headers.webhook-id"]'
    ;;

  'Tag ada-1 french: a customer-updated event, which the receiver prints within a second')
    run "$step"
    check "status" "$(status)" 204
    ada_revision=$(command curl -s "$API/customers/ada-1" -H "REB-APIKEY: $KEY" | jq .revision)
    took=$(until_body 10 '.[0].status == "delivered"' "$API/webhooks/$WH/deliveries") || true
    check_match "delivered within a second or two (tenths of a second)" "$took" '^([0-9]|1[0-9]|2[0-9])$'
    delivery=$(command curl -s "$API/webhooks/$WH/deliveries" -H "REB-APIKEY: $KEY" | jq -r '.[0].id')
    check "the receiver verified it and printed it" \
      "$(rx_saw "$delivery: customer-updated ada-1 revision $ada_revision\$")" yes
    ;;

  "The webhook's deliveries, newest first: delivered at the first attempt")
    run "$step"
    check "status" "$(status)" 200
    check_documented "$step"
    check "Pagination-Total" "$(header Pagination-Total)" 1
    check "the delivery the receiver printed" "$(field '.[0].id')" "$delivery"
    ;;

  'Send it again: 202; the receiver sees the same webhook-id and skips it')
    run "$step"
    check "status" "$(status)" 202
    check "DELIVERY" "$DELIVERY" "$delivery"
    took=$(until_body 10 '.[0] | .attempts == 2 and .status == "delivered"' "$API/webhooks/$WH/deliveries") || true
    check_match "delivered again" "$took" '^[0-9]+$'
    check "the receiver skipped it" "$(rx_saw "$delivery: already handled\$")" yes
    ;;

  'Rotate the secret: 200 with the new one, which signs every delivery from now on')
    run "$step"
    check "status" "$(status)" 200
    check_documented "$step"
    new_secret=$(field .secret)
    check_match "a new secret" "$new_secret" '^whsec_[A-Za-z0-9+/]{43}=$'
    [ "$new_secret" != "$webhook_secret" ] || check "the secret changed" "the same" "another"
    curl -s "$API/webhooks/$WH" -H "REB-APIKEY: $KEY"
    check "not shown again" "$(field 'has("secret")')" false
    # The receiver still has the old secret: it rejects what comes now,
    # which is tried 1 + 2 times (WEBHOOK_RETRY_SCHEDULE=1s,1s) and fails.
    command curl -s -o /dev/null -X PUT "$API/customers/rotated-1" -H "REB-APIKEY: $KEY" \
      -H 'Content-Type: application/json' -d '{"locale": "de-DE"}'
    took=$(until_body 15 '.[0].status == "failed"' "$API/webhooks/$WH/deliveries?filter=customerId:rotated-1") || true
    check_match "signed with the new secret: rejected, then failed" "$took" '^[0-9]+$'
    curl -s "$API/webhooks/$WH/deliveries?filter=customerId:rotated-1" -H "REB-APIKEY: $KEY"
    check "attempts, the receiver's status and answer" "$(field '.[0] | [.attempts, .lastResponseStatus, .lastError, .nextAttemptTime] | @json')" \
      '[3,401,"HTTP 401: no valid signature\n",null]'
    check "the receiver said why" "$(rx_saw 'rejected: no valid signature$')" yes
    failed=$(field '.[0].id')
    # With the new secret it takes the failed delivery, sent again.
    stop_receiver
    start_receiver "$new_secret"
    curl -s -X POST "$API/webhooks/$WH/deliveries/$failed/retry" -H "REB-APIKEY: $KEY"
    check "retry a failed delivery: status" "$(status)" 202
    took=$(until_body 10 '.[0].status == "delivered"' "$API/webhooks/$WH/deliveries?filter=customerId:rotated-1") || true
    check_match "retry a failed delivery: delivered" "$took" '^[0-9]+$'
    check "... verified with the new secret" "$(rx_saw "$failed: customer-created rotated-1 revision 0\$")" yes
    # The receiver's other checks, by hand.
    command curl -s -o /dev/null -w '%{http_code} ' "http://127.0.0.1:$RX_PORT/webhooks" -H 'webhook-id: msg_1' \
      -H "webhook-timestamp: $(($(date +%s) - 600))" -H 'webhook-signature: v1,AAAA' -d '{}' >"$E2E_TMP/rx.code"
    check "the receiver rejects a timestamp 10 minutes old" "$(cat "$E2E_TMP/rx.code")$(rx_saw 'more than 5 minutes off$')" "401 yes"
    command curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$RX_PORT/webhooks" -H 'webhook-id: msg_1' \
      -H "webhook-timestamp: $(date +%s)" -H 'webhook-signature: v1,AAAA' -d '{}' >"$E2E_TMP/rx.code"
    check "the receiver rejects a wrong signature" "$(cat "$E2E_TMP/rx.code")" 401
    stop_receiver
    # What GET /metrics says of it all.
    check "metric: delivered" "$(metric 'customers_api_webhook_deliveries_total{result="delivered"}')" 3
    check "metric: retried" "$(metric 'customers_api_webhook_deliveries_total{result="retried"}')" 2
    check "metric: failed" "$(metric 'customers_api_webhook_deliveries_total{result="failed"}')" 1
    check_match "metric: pending" "$(metric customers_api_webhook_deliveries_pending)" '^[0-9]+$'
    check_match "metric: oldest pending" "$(metric customers_api_webhook_oldest_pending_seconds)" '^[0-9.e+-]+$'
    ;;

  'Give ada-1 an address, a phone, a tax number and a currency (a PUT sends the whole customer)')
    before=$(command curl -s "$API/customers/ada-1" -H "REB-APIKEY: $KEY")
    run "$step"
    check "status" "$(status)" 200
    check "one revision more" "$(field .revision)" "$(($(echo "$before" | jq .revision) + 1))"
    check "the address" "$(field '.primaryAddress | [.organization, .address, .address2, .city, .region, .postalCode, .country] | join("|")')" \
      "Analytical Engines Ltd|12 St James Square|Second floor|London|Greater London|SW1Y 4JH|GB"
    check "email from the primary email" "$(field .email)" ada.king@example.com
    check "the tax number" "$(cfield '[.taxNumbers[] | [.value, .isDefault]]')" '[["GB123456789",true]]'
    check "custom fields" "$(body | jq -cS '.customFields')" '{"currency":"GBP","externalReferenceId":"crm-1815","source-system":"legacy"}'
    check "the rest as it was" "$(field '[.locale, .websiteId, ([.tags[].name] | join(","))] | join(" ")')" "fr-FR shop-eu french,newsletter,vip"
    ada_created=$(field .createdTime)
    ;;

  'Issue a customer token for ada-1, valid for an hour: 201, the token shown this once')
    run "$step"
    check "status" "$(status)" 201
    check_documented "$step"
    ct_id=$(field .id)
    check_match "id is a UUID" "$ct_id" '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
    check_match "token: ct_ and 65 base62 characters" "$(field .token)" '^ct_[0-9A-Za-z]{65}$'
    check "an hour from createdTime to expiredTime" \
      "$(field '(.expiredTime | fromdateiso8601) - (.createdTime | fromdateiso8601)')" 3600
    check "Location" "$(header Location)" "$API/customers/ada-1/tokens/$ct_id"
    check "links" "$(cfield '[._links[] | [.rel, .href]]')" \
      "[[\"self\",\"$API/customers/ada-1/tokens/$ct_id\"],[\"customer\",\"$API/customers/ada-1\"]]"
    check "token.json holds the answer" "$(jq -c . token.json)" "$(body | jq -c .)"
    curl -s -X POST "$API/customers/ada-1/tokens" -H "REB-APIKEY: $KEY" -H 'Content-Type: application/json' -d '{}'
    check "no expiresIn: a day" "$(status) $(field '(.expiredTime | fromdateiso8601) - (.createdTime | fromdateiso8601)')" "201 86400"
    curl -s -X DELETE "$API/customers/ada-1/tokens/$(field .id)" -H "REB-APIKEY: $KEY"
    check "... deleted again" "$(status)" 204
    curl -s -X POST "$API/customers/ada-1/tokens" -H "REB-APIKEY: $KEY" -H 'Content-Type: application/json' -d '{"expiresIn": 2592001}'
    check "more than 30 days: 422 naming expiresIn" "$(status) $(cfield '[.invalidFields[].field]')" '422 ["expiresIn"]'
    curl -s -X POST "$API/customers/nobody/tokens" -H "REB-APIKEY: $KEY" -H 'Content-Type: application/json' -d '{}'
    check "an unknown customer: 404" "$(status)" 404
    # An Idempotency-Key replay never shows the token again (SPEC §16).
    curl -s -X POST "$API/customers/grace-1/tokens" -H 'Idempotency-Key: readme-token-1' -H "REB-APIKEY: $KEY" \
      -H 'Content-Type: application/json' -d '{"expiresIn": 60}'
    first_token=$(field .token)
    check_match "idempotent: the first answer has the token" "$first_token" '^ct_'
    curl -s -X POST "$API/customers/grace-1/tokens" -H 'Idempotency-Key: readme-token-1' -H "REB-APIKEY: $KEY" \
      -H 'Content-Type: application/json' -d '{"expiresIn": 60}'
    check "idempotent: the replay has it null" "$(status) $(header Idempotent-Replayed) $(cfield '.token')" "201 true null"
    # At most 100 live tokens a customer.
    command curl -s -o /dev/null -X PUT "$API/customers/tok-many" -H "REB-APIKEY: $KEY" -H 'Content-Type: application/json' -d '{}'
    for i in $(seq 100); do
      command curl -s -o /dev/null -w '%{http_code}\n' -X POST "$API/customers/tok-many/tokens" -H "REB-APIKEY: $KEY" \
        -H 'Content-Type: application/json' -d '{"expiresIn": 600}'
    done | sort | uniq -c | tr -s ' ' >"$E2E_TMP/codes"
    check "100 live tokens" "$(cat "$E2E_TMP/codes")" " 100 201"
    curl -s -X POST "$API/customers/tok-many/tokens" -H "REB-APIKEY: $KEY" -H 'Content-Type: application/json' -d '{}'
    check "a 101st: 409" "$(status)" 409
    # Permissions: a key with only GetCustomer may not issue, list or revoke.
    getonly=$(./bin/customers-api keys create --org "$E2E_DEV_ORG" --permissions GetCustomer 2>/dev/null)
    curl -s -X POST "$API/customers/ada-1/tokens" -H "REB-APIKEY: $getonly" -H 'Content-Type: application/json' -d '{}'
    check "without PostCustomerToken: 403" "$(status)" 403
    curl -s "$API/customers/ada-1/tokens" -H "REB-APIKEY: $getonly"
    check "without GetCustomerTokenCollection: 403" "$(status)" 403
    curl -s -X DELETE "$API/customers/ada-1/tokens/$ct_id" -H "REB-APIKEY: $getonly"
    check "without DeleteCustomerToken: 403" "$(status)" 403
    ;;

  'The token, and its id to revoke it with')
    run "$step"
    check_match "CT is the token" "$CT" '^ct_[0-9A-Za-z]{65}$'
    check "CT_ID is its id" "$CT_ID" "$ct_id"
    ;;

  "Cleeng's getCustomer: the token is the only credential")
    run "$step"
    check "status" "$(status)" 200
    check_match "Content-Type" "$(header Content-Type)" '^application/json(; charset=utf-8)?$'
    check_documented "$step"
    rpc() { # rpc BODY: POST it to the JSON-RPC endpoint, no key
      curl -s -X POST "$API/3.0/json-rpc" -H 'Content-Type: application/json' -d "$1"
    }
    rpc "{\"method\": \"getCustomer\", \"params\": {\"customerToken\": \"$CT\"}, \"jsonrpc\": \"2.0\", \"id\": \"req-7\"}"
    check "a string id is echoed" "$(cfield '[.id, .result.id]')" '["req-7","ada-1"]'
    rpc "[{\"method\": \"getCustomer\", \"params\": {\"customerToken\": \"$CT\"}, \"jsonrpc\": \"2.0\", \"id\": 1},
          {\"method\": \"getCustomerEmail\", \"params\": {}, \"jsonrpc\": \"2.0\", \"id\": 2},
          {\"method\": \"getCustomer\", \"params\": {\"customerToken\": \"$CT\"}, \"jsonrpc\": \"2.0\"}]"
    check "a batch: an array, no answer to the notification" "$(status) $(cfield '[.[] | [.id, .result.id, .error.code]]')" \
      '200 [[1,"ada-1",null],[2,null,-32601]]'
    rpc "{\"method\": \"getCustomer\", \"params\": {\"customerToken\": \"$CT\"}, \"jsonrpc\": \"2.0\"}"
    check "a notification: 204, no body" "$(status) $(body)" "204 "
    rpc '{"method": "getCustomer", "params": {'
    check "not JSON: -32700, id null" "$(status) $(cfield '[.error.code, .id]')" '200 [-32700,null]'
    rpc '{"method": "getCustomer", "params": {"customerToken": "x"}, "id": 3}'
    check "no jsonrpc: -32600" "$(cfield '[.error.code, .id]')" '[-32600,3]'
    rpc '{"method": "getCustomer", "params": {"customerToken": 7}, "jsonrpc": "2.0", "id": 4}'
    check "customerToken not a string: -32602" "$(cfield '[.error.code, .id]')" '[-32602,4]'
    rpc '{"method": "getCustomer", "params": {"customerToken": "ct_nonsense"}, "jsonrpc": "2.0", "id": 5}'
    check "a made-up token: code 1" "$(cfield '.error')" '{"code":1,"message":"Invalid customer token"}'
    # A token lasts as long as it was asked to.
    short=$(command curl -s -X POST "$API/customers/grace-1/tokens" -H "REB-APIKEY: $KEY" \
      -H 'Content-Type: application/json' -d '{"expiresIn": 1}' | jq -r .token)
    sleep 2
    rpc "{\"method\": \"getCustomer\", \"params\": {\"customerToken\": \"$short\"}, \"jsonrpc\": \"2.0\", \"id\": 6}"
    check "an expired token: code 1" "$(cfield '.error.code')" 1
    # Another organization's token is its own customer's, nothing else.
    acme_ct=$(command curl -s -X POST "$API/customers/acme-1/tokens" -H "REB-APIKEY: $ACME_KEY" \
      -H 'Content-Type: application/json' -d '{}' | jq -r .token)
    rpc "{\"method\": \"getCustomer\", \"params\": {\"customerToken\": \"$acme_ct\"}, \"jsonrpc\": \"2.0\", \"id\": 8}"
    check "another organization's token: its customer" "$(cfield '[.result.id, .result.locale, .result.displayName]')" '["acme-1","en-GB",null]'
    curl -s "$API/customers/ada-1/tokens" -H "REB-APIKEY: $ACME_KEY"
    check "another organization's key sees no ada-1" "$(status)" 404
    # A merge moves the duplicate's tokens to its target.
    for c in tok-target tok-dup; do
      command curl -s -o /dev/null -X PUT "$API/customers/$c" -H "REB-APIKEY: $KEY" -H 'Content-Type: application/json' -d '{}'
    done
    dup_ct=$(command curl -s -X POST "$API/customers/tok-dup/tokens" -H "REB-APIKEY: $KEY" \
      -H 'Content-Type: application/json' -d '{}' | jq -r .token)
    curl -s -X DELETE "$API/customers/tok-dup?targetCustomerId=tok-target" -H "REB-APIKEY: $KEY"
    check "merge: status" "$(status)" 204
    rpc "{\"method\": \"getCustomer\", \"params\": {\"customerToken\": \"$dup_ct\"}, \"jsonrpc\": \"2.0\", \"id\": 9}"
    check "merge: the duplicate's token reads the target" "$(cfield '.result.id')" '"tok-target"'
    curl -s "$API/customers/tok-target/tokens" -H "REB-APIKEY: $KEY"
    check "merge: the target lists it" "$(cfield '[.[].customerId]')" '["tok-target"]'
    ;;

  "ada-1's tokens: no secrets")
    run "$step"
    check "status" "$(status)" 200
    check_documented "$step"
    check "the token issued, no secret" "$(cfield '[.[] | [.id, has("token")]]')" "[[\"$CT_ID\",false]]"
    check "Pagination-Total" "$(header Pagination-Total)" 1
    ;;

  'Revoke the token: 204')
    run "$step"
    check "status" "$(status)" 204
    check "no body" "$(body)" ""
    curl -s "$API/customers/ada-1/tokens" -H "REB-APIKEY: $KEY"
    check "no longer listed" "$(cfield .)" '[]'
    curl -s -X DELETE "$API/customers/ada-1/tokens/$CT_ID" -H "REB-APIKEY: $KEY"
    check "revoking it again: 404" "$(status)" 404
    ;;

  "getCustomer with the revoked token: Cleeng's error code 1 (HTTP 200, as JSON-RPC has it)")
    run "$step"
    check "status" "$(status)" 200
    check_documented "$step"
    ;;

  'Adobe VIP Marketplace: the key as X-Api-Key and as the Bearer token; X-Correlation-Id is echoed')
    run "$step"
    check "status" "$(status)" 200
    check_match "Content-Type" "$(header Content-Type)" '^application/json(; charset=utf-8)?$'
    check_documented "$step"
    check "X-Correlation-Id echoed" "$(header X-Correlation-Id)" 5d0f6a2e-import-1
    check_match "X-Request-Id made" "$(header X-Request-Id)" '.'
    check "creationDate is createdTime" "$(field .creationDate)" "$ada_created"
    adobe() { # adobe PATH CURL-ARGS...: GET it as Adobe's client would, with the key unless overridden
      local path=$1
      shift
      curl -s "$API$path" "$@"
    }
    adobe /v3/customers/ada-1 -H "X-Api-Key: $KEY" -H "Authorization: Bearer $KEY" -H 'X-Correlation-Id: c-2' -H 'X-Request-Id: r-2'
    check "X-Request-Id echoed" "$(status) $(header X-Request-Id) $(header X-Correlation-Id)" "200 r-2 c-2"
    adobe /v3/customers/ada-1 -H "X-Api-Key: $KEY" -H "Authorization: Bearer $KEY"
    check "no X-Correlation-Id: 400" "$(status) $(field .code)" "400 400"
    adobe /v3/customers/ada-1 -H "X-Api-Key: $KEY" -H 'X-Correlation-Id: c-3'
    check "no Bearer: 401" "$(status) $(field .code)" "401 401"
    adobe /v3/customers/ada-1 -H "X-Api-Key: $KEY" -H "Authorization: Bearer $ACME_KEY" -H 'X-Correlation-Id: c-4'
    check "another key as Bearer: 401" "$(status) $(field .code)" "401 401"
    adobe /v3/customers/ada-1 -H "X-Api-Key: sk_live_nope" -H "Authorization: Bearer sk_live_nope" -H 'X-Correlation-Id: c-5'
    check "an unknown X-Api-Key: 403" "$(status) $(field .code)" "403 403"
    adobe /v3/customers/nobody -H "X-Api-Key: $KEY" -H "Authorization: Bearer $KEY" -H 'X-Correlation-Id: c-6'
    check "an unknown customer: 404 {code, message}" "$(status) $(cfield 'keys')" '404 ["code","message"]'
    adobe /v3/customers/ada-dup -H "X-Api-Key: $KEY" -H "Authorization: Bearer $KEY" -H 'X-Correlation-Id: c-7'
    check "a merged-away customer: 404" "$(status) $(field .code)" "404 404"
    adobe /v3/customers/ada-1 -H "X-Api-Key: $ACME_KEY" -H "Authorization: Bearer $ACME_KEY" -H 'X-Correlation-Id: c-8'
    check "another organization's key: 404" "$(status) $(field .code)" "404 404"
    adobe /v3/customers/acme-1 -H "X-Api-Key: $getonly" -H "Authorization: Bearer $getonly" -H 'X-Correlation-Id: c-9'
    check "... and the other way round: 404" "$(status) $(field .code)" "404 404"
    adobe /v3/customers/grace-1 -H "X-Api-Key: $KEY" -H "Authorization: Bearer $KEY" -H 'X-Correlation-Id: c-10'
    check "grace-1, without a primary address: empty text, no contacts" \
      "$(cfield '[.customerId, .companyProfile.companyName, .externalReferenceId, .companyProfile.contacts, .companyProfile.address.country]')" \
      '["grace-1","",null,[],""]'
    ;;

  "Worldline's merchant id is your organization's id")
    run "$step"
    check "MERCHANT is the development organization" "$MERCHANT" "$E2E_DEV_ORG"
    ;;

  "Worldline's customerDetails: ada-1 by its tax number in GB")
    run "$step"
    check "status" "$(status)" 200
    check_match "Content-Type" "$(header Content-Type)" '^application/json(; charset=utf-8)?$'
    check_documented "$step"
    wl() { # wl BODY [KEY-HEADER]: the lookup in the development organization
      curl -s -X POST "$API/v1/$MERCHANT/products/9000/customerDetails" -H "${2:-REB-APIKEY: $KEY}" \
        -H 'Content-Type: application/json' -d "$1"
    }
    wl '{"countryCode": "gb", "values": [{"key": "fiscalNumber", "value": "gb123456789"}]}' "Authorization: Bearer $KEY"
    check "a Bearer key, case-insensitive values" "$(status) $(field .surname)" "200 King"
    wl '{"countryCode": "GB", "values": [{"key": "emailAddress", "value": "ada.king@example.com"}, {"key": "phoneNumber", "value": "+44 20 7946 0018"}]}'
    check "by email and phone" "$(status) $(field .fiscalNumber)" "200 GB123456789"
    wl '{"countryCode": "GB", "values": [{"key": "customerId", "value": "ada-1"}]}'
    check "by customerId" "$(status) $(field .firstName)" "200 Ada"
    wl '{"countryCode": "GB", "values": [{"key": "fiscalNumber", "value": "GB123456789"}, {"key": "emailAddress", "value": "grace@example.com"}]}'
    check "every key must match" "$(status) $(field '.errors[0].code')" "400 1214"
    wl '{"countryCode": "GB", "values": [{"key": "ssn", "value": "1"}]}'
    check "an unknown key: 400 naming it" "$(status) $(field '.errors[0].propertyName')" "400 values[0].key"
    wl '{"values": [{"key": "fiscalNumber", "value": "GB123456789"}]}'
    check "no countryCode: 400 naming it" "$(status) $(field '.errors[0].propertyName')" "400 countryCode"
    wl '{"countryCode": "GB", "values": [{"key": "fiscalNumber", "value": "GB123456789"}]}' 'REB-APIKEY: sk_live_nope'
    check "an unknown API key: 401" "$(status) $(field '.errors[0].httpStatusCode')" "401 401"
    wl '{"countryCode": "GB", "values": [{"key": "fiscalNumber", "value": "GB123456789"}]}' "REB-APIKEY: $ACME_KEY"
    check "another organization's merchantId: 403" "$(status) $(field '.errors[0].httpStatusCode')" "403 403"
    curl -s -X POST "$API/v1/$ORG/products/9000/customerDetails" -H "REB-APIKEY: $ACME_KEY" \
      -H 'Content-Type: application/json' -d '{"countryCode": "GB", "values": [{"key": "fiscalNumber", "value": "GB123456789"}]}'
    check "... and its own does not see ada-1" "$(status) $(field '.errors[0].code')" "400 1214"
    ;;

  'Nobody has that tax number in Sweden: 400, Worldline'"'"'s error 1214')
    run "$step"
    check "status" "$(status)" 400
    check_documented "$step"
    check "requestId is the X-Request-Id" "$(field '.errors[0].requestId')" "$(header X-Request-Id)"
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
