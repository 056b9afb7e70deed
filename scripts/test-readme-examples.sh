#!/usr/bin/env bash
# test-readme-examples.sh — runs the README's example command lines as
# written, against the built binary, and fails naming the README line of
# any that fails.  Run by `make test`.
#
#   scripts/test-readme-examples.sh [README] [BINARY]   (default README.md build/optbench)
#
# What counts as an example: a line in a code block (fenced ``` or ```sh,
# or indented by four spaces) that starts with `optbench `,
# `./build/optbench ` or `gnuplot `.  Lines starting with `printf ` in the
# same block are its setup and run too, in order, and a `cd DIR` line moves
# the block's later lines into DIR.  Everything else in code blocks (make,
# scripts, JSON, C) is not run.
#
# Skipped without running: synopsis lines, i.e. lines with `[`, `|` or `<`
# or with an ALL-CAPS placeholder word (`optbench COMMAND --help`,
# `optbench compare A B`).
#
# Markers in the README (in the line's own `#` comment, so a reader sees
# them too):
#   (tested with ARGS)            the test appends ARGS (a full run shortened,
#                                 e.g. `--steps 20`); the rest runs as written
#   (tested with A instead of B)  the test runs it with B replaced by A
#   (not run by the README test: WHY)   skipped, and listed as skipped
# and, invisible in the rendered README, on the line before a code block:
#   <!-- readme-test: save NAME -->  the block is written to NAME in the
#                                    test folder before any example runs (a
#                                    suite file an example reads)
#
# Every example runs with bash in one fresh folder, in README order, like a
# checkout would have it: `optbench` on PATH, ./build/optbench, the
# committed baseline (results/baseline/ci-baseline.json) and plot/.  Each
# has a time limit (OB_README_TIMEOUT, default 120 s).
set -u
readme=${1:-README.md}
bin=${2:-build/optbench}
limit=${OB_README_TIMEOUT:-120}
root=$(cd "$(dirname "$0")/.." && pwd)
[ -f "$readme" ] || { echo "test-readme-examples: $readme: no such file" >&2; exit 2; }
[ -x "$bin" ] || { echo "test-readme-examples: $bin: not built" >&2; exit 2; }
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
readme_abs=$(cd "$(dirname "$readme")" && pwd)/$(basename "$readme")

work=$(mktemp -d /tmp/optbench-readme-XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bin" "$work/build" "$work/results/baseline"
ln -s "$bin" "$work/bin/optbench"
ln -s "$bin" "$work/build/optbench"
# The example plugins beside the binary (build/plugins), as in a checkout.
[ -d "$(dirname "$bin")/plugins" ] && ln -s "$(dirname "$bin")/plugins" "$work/build/plugins"
cp "$root/results/baseline/ci-baseline.json" "$work/results/baseline/"
ln -s "$root/plot" "$work/plot"

# One record per line: KIND<TAB>LINE<TAB>TEXT, KIND one of begin (a code
# block starts), run, setup, cd, save:NAME (TEXT: a line of that file).
extract() {
  awk '
    function emit(kind, text) { printf "%s\t%d\t%s\n", kind, NR, text }
    function emit_at(kind, text, at) { printf "%s\t%d\t%s\n", kind, at, text }
    /<!-- readme-test: save [^ ]+ -->/ { match($0, /save [^ ]+/); save = substr($0, RSTART + 5, RLENGTH - 5); next }
    /^```/ {
      if (fenced) { fenced = 0; save = ""; next }
      fenced = 1; lang = substr($0, 4); emit("begin", ""); next
    }
    {
      indented = $0 ~ /^    / && (prev_blank || in_indent)
      if (indented && !in_indent && !fenced) emit("begin", "")
      code = fenced || indented
      in_indent = indented && !fenced
      prev_blank = ($0 ~ /^[ \t]*$/)
      if (!code) { if (!prev_blank) save = ""; next }
      if (save != "") { emit("save:" save, $0); next }
      if (fenced && lang != "" && lang != "sh") next
      line = $0; sub(/^[ \t]+/, "", line)
      # A command continued with a backslash is one command (reported at
      # its first line).
      if (cont != "") { line = cont " " line; cont = "" } else first = NR
      if (line ~ /\\$/) { cont = substr(line, 1, length(line) - 1); sub(/[ \t]+$/, "", cont); next }
      if (line ~ /^((\.\/build\/)?optbench|gnuplot)( |$)/) emit_at("run", line, first)
      else if (line ~ /^printf /) emit("setup", line)
      else if (line ~ /^cd [^ ]+$/) emit("cd", substr(line, 4))
    }
  ' "$1"
}

# The command without its trailing `# comment` (a `#` after white space).
strip_comment() { sed -E 's/[[:space:]]+#.*$//' <<<"$1"; }
comment_of() { sed -nE 's/^.*[[:space:]]#[[:space:]]?(.*)$/\1/p' <<<"$1"; }

is_synopsis() {
  local cmd=$1
  [[ $cmd == *"["* || $cmd == *"|"* || $cmd == *"<"* ]] && return 0
  local w
  for w in $cmd; do
    [[ $w =~ ^[A-Z][A-Z_.]*$ ]] && return 0
  done
  return 1
}

ran=0 failed=0 skipped=0 synopses=0
start_all=$(date +%s)
# The files the README saves come first: examples anywhere may read them.
extract "$readme_abs" >"$work/.examples"
while IFS=$'\t' read -r kind lineno text; do
  [[ $kind == save:* ]] && printf '%s\n' "$text" >>"$work/${kind#save:}"
done <"$work/.examples"
dir=.
while IFS=$'\t' read -r kind lineno text; do
  case $kind in
  save:*) continue ;;
  begin)
    dir=.
    continue
    ;;
  cd)
    dir="$dir/$text"
    continue
    ;;
  esac
  cmd=$(strip_comment "$text")
  note=$(comment_of "$text")
  if [[ $note =~ \(not\ run\ by\ the\ README\ test:\ ([^\)]*)\) ]]; then
    echo "skip $readme:$lineno: $cmd  (${BASH_REMATCH[1]})"
    skipped=$((skipped + 1))
    continue
  fi
  if [ "$kind" = run ] && is_synopsis "$cmd"; then
    synopses=$((synopses + 1))
    continue
  fi
  if [[ $note =~ \(tested\ with\ (.*)\ instead\ of\ ([^\)]*)\) ]]; then
    cmd=${cmd/"${BASH_REMATCH[2]}"/"${BASH_REMATCH[1]}"}
  elif [[ $note =~ \(tested\ with\ ([^\)]*)\) ]]; then
    cmd="$cmd ${BASH_REMATCH[1]}"
  fi
  if [[ $cmd == gnuplot* ]] && ! command -v gnuplot >/dev/null; then
    echo "skip $readme:$lineno: $cmd  (no gnuplot here)"
    skipped=$((skipped + 1))
    continue
  fi
  t0=$(date +%s.%N)
  (cd "$work/$dir" && PATH="$work/bin:$PATH" timeout "$limit" bash -c "$cmd" >"$work/.out" 2>"$work/.err" </dev/null)
  rc=$?
  t1=$(date +%s.%N)
  secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
  ran=$((ran + 1))
  if [ $rc -ne 0 ]; then
    failed=$((failed + 1))
    what="exit $rc"
    [ $rc -eq 124 ] && what="timed out after ${limit} s"
    echo "FAIL $readme:$lineno: $what: $cmd" >&2
    tail -n 5 "$work/.err" | sed 's/^/     /' >&2
  else
    echo "ok   $readme:$lineno (${secs} s): $cmd"
  fi
done <"$work/.examples"

total=$(($(date +%s) - start_all))
echo "README examples: $ran run, $failed failed, $skipped skipped as marked, $synopses synopsis lines not run (${total} s)"
[ $failed -eq 0 ] && [ $ran -gt 0 ]
