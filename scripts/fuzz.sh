#!/usr/bin/env bash
# Runs every fuzz target of the module for FUZZTIME each (default 30s).
set -euo pipefail
go test -list 'Fuzz.*' ./... | awk '/^Fuzz/{f=f" "$1} /^ok/{if(f!="")print $2 f; f=""}' |
while read -r pkg targets; do
  for t in $targets; do
    echo "== $pkg $t"
    go test -run='^$' -fuzz="^$t\$" -fuzztime="${FUZZTIME:-30s}" "$pkg"
  done
done
