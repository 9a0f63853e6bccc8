#!/usr/bin/env bash
# scripts/quickstart builds only what the quickstart runs: its build phase names targets,
# and nothing those targets need comes from tests/ or bench/ (a quickstart that built
# everything compiled 96 test and benchmark steps on a fresh machine). It prints one line
# per phase, and leaves HONE_HOME alone so that the experiment lands where `hone
# experiment list` looks. Usage: quickstart_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1
cd "$2"
fail() { echo "FAIL: $*" >&2; exit 1; }

plan=$(scripts/quickstart --dry-run)
echo "$plan"
[[ $(echo "$plan" | wc -l) -eq 4 ]] || fail "expected 4 phases"
build_line=$(echo "$plan" | grep '^\[3/4\]') || fail "no build phase"
[[ $build_line == *"--target "* ]] || fail "the build phase builds everything: $build_line"
read -ra targets <<<"${build_line##*--target }"
echo "targets: ${targets[*]}"
for t in "${targets[@]}"; do
  inputs=$(ninja -C "$build" -t inputs "$t") || fail "ninja knows no target $t"
  bad=$(echo "$inputs" | grep -E "/(tests|bench)/|gtest" || true)
  [[ -z $bad ]] || fail "target $t needs test or benchmark code:"$'\n'"$(echo "$bad" | head)"
done
# The run phase uses the default HONE_HOME (no override in the script or its plan).
if grep -nE '^[^#]*HONE_HOME=' scripts/quickstart; then fail "scripts/quickstart overrides HONE_HOME"; fi
echo "$plan" | grep -q 'HONE_HOME' && fail "the run phase sets HONE_HOME"
echo "quickstart plan ok"
