#!/usr/bin/env bash
# Makes sure the end-to-end tests' tools are on this machine: node (20+) and
# npm for Rebilly's JavaScript SDK, curl and jq for the README walk-through.
# As root it installs what is missing with apt-get (Node from Debian's nodejs
# package when that is recent enough); otherwise it says how to.
set -euo pipefail

node_ok() {
  command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 &&
    [ "$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)" -ge 20 ]
}

missing=()
node_ok || missing+=(node)
command -v curl >/dev/null 2>&1 || missing+=(curl)
command -v jq >/dev/null 2>&1 || missing+=(jq)
[ ${#missing[@]} = 0 ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "end-to-end test tools missing (${missing[*]}): installing with apt-get" >&2
  apt-get update -qq
  pkgs=()
  for m in "${missing[@]}"; do
    case "$m" in
    node) pkgs+=(nodejs npm) ;;
    *) pkgs+=("$m") ;;
    esac
  done
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${pkgs[@]}" >/dev/null
  if node_ok; then exit 0; fi
  echo "Debian's nodejs is older than 20 ($(node --version 2>/dev/null || echo none)); install Node 20+ as below." >&2
fi
cat >&2 <<MSG
The end-to-end tests need: ${missing[*]}
  node 20+ and npm (Rebilly's JS SDK test), for example from https://nodejs.org/ or
      curl -fsSL https://deb.nodesource.com/setup_20.x | sudo bash - && sudo apt-get install -y nodejs
  curl and jq (the README walk-through):
      sudo apt-get install -y curl jq
MSG
exit 1
