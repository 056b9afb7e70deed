#!/bin/sh
# The include rules between folders (docs: README "Layout"; run by
# `make check-layers`, which `make test` runs).  Prints every include that
# breaks a rule, with file and line, and exits 1 if there is one.
#
#   1. kernels/ and reference/ include nothing from harness/ or problems/
#      (nor include/optbench/problems.h): the kernel library is a leaf
#      apart from the public headers.
#   2. problems/ includes only its own files and include/optbench/problems.h.
#   3. include/optbench/*.h include only each other and system headers.
#   4. No harness file includes another area's *_internal.h.
#   5. No include cycle between areas: no file of area A reaches a file of
#      area B whose includes lead back into A.  Areas: kernels, reference,
#      problems, include, fuzz, tests, harness (its top-level files: main.c,
#      cli.c, ob_cli.h, ...) and each harness/<area>.
#   6. Each harness/<area> has one public header, ob_*.h, and at most one
#      internal header, <area>_internal.h, and no other header.
#   7. The engine's mistake hook (ob_engine_set_mistake), which makes every
#      path run a deliberately wrong optimizer for the repro power tests, is
#      called only from tests/: a command that reaches it would publish
#      wrong results as real ones.
#
# Includes resolve as the compiler does with -I. -Iinclude: "x" next to the
# including file first, then from the root, then from include/; <x> from the
# root or include/ if such a file exists, else it is a system header.
# Usage: scripts/check-layers.sh [ROOT]   (default: the repository root)
cd "${1:-$(dirname "$0")/..}" || exit 2
headers_bad=0
for d in harness/*/; do
    a=$(basename "$d")
    n_pub=0
    for h in "$d"*.h; do
        [ -e "$h" ] || continue
        case $(basename "$h") in
        ob_*.h) n_pub=$((n_pub + 1)) ;;
        "${a}_internal.h") ;;
        *) echo "layers: $h: a header that is neither the area's public ob_*.h nor ${a}_internal.h (rule 6)"
           headers_bad=1 ;;
        esac
    done
    [ "$n_pub" -eq 1 ] || { echo "layers: $d has $n_pub public headers (ob_*.h), not one (rule 6)"; headers_bad=1; }
done
# Rule 7: outside tests/, the hook appears only where it is declared and
# defined.
hook_bad=0
for f in $(grep -rl 'ob_engine_set_mistake' kernels reference problems include harness fuzz 2>/dev/null); do
    case $f in
    harness/engine/ob_engine.h | harness/engine/engine.c) ;;
    *) grep -Hn 'ob_engine_set_mistake' "$f" | sed 's/^/layers: /; s/$/ (rule 7: the mistake hook is for tests only)/'
       hook_bad=1 ;;
    esac
done
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
find kernels reference problems include harness tests fuzz -type f \
    \( -name '*.c' -o -name '*.h' -o -name '*.cc' \) 2>/dev/null | sort >"$tmp/files"
# file:line:text of every #include (xargs -r: nothing to read, nothing to do)
xargs -r grep -Hn '^[[:space:]]*#[[:space:]]*include' <"$tmp/files" >"$tmp/includes"

awk -v files="$tmp/files" '
function area(f,    a, n) {
    n = split(f, a, "/")
    if (a[1] == "harness") return (n > 2) ? "harness/" a[2] : "harness"
    return a[1]
}
function dirname(f) { return (f ~ /\//) ? substr(f, 1, match(f, /\/[^\/]*$/) - 1) : "." }
function normalize(p,    a, n, i, out, k, r) {
    n = split(p, a, "/"); k = 0
    for (i = 1; i <= n; i++) {
        if (a[i] == "." || a[i] == "") continue
        if (a[i] == ".." && k > 0 && out[k] != "..") { k--; continue }
        out[++k] = a[i]
    }
    r = ""
    for (i = 1; i <= k; i++) r = r (i > 1 ? "/" : "") out[i]
    return r
}
function resolve(from, name, quoted,    c) {
    if (quoted) {
        c = normalize(dirname(from) "/" name); if (c in known) return c
    }
    c = normalize(name); if (c in known) return c
    c = normalize("include/" name); if (c in known) return c
    return ""
}
function violation(msg) { print "layers: " msg; bad++ }
BEGIN {
    while ((getline f < files) > 0) known[f] = 1
    close(files)
}
{
    # file:line:#include "x" (or <x>)
    file = $0; sub(/:.*/, "", file)
    rest = substr($0, length(file) + 2)
    line = rest; sub(/:.*/, "", line)
    text = substr(rest, length(line) + 2)
    if (match(text, /"[^"]*"/)) { name = substr(text, RSTART + 1, RLENGTH - 2); quoted = 1 }
    else if (match(text, /<[^>]*>/)) { name = substr(text, RSTART + 1, RLENGTH - 2); quoted = 0 }
    else next
    to = resolve(file, name, quoted)
    if (to == "") next                       # a system header
    where = file ":" line ": includes " to
    sa = area(file); ta = area(to)
    if ((sa == "kernels" || sa == "reference") &&
        (ta ~ /^harness/ || ta == "problems" || to == "include/optbench/problems.h"))
        violation(where " (rule 1: " sa "/ may not include harness/, problems/ or optbench/problems.h)")
    if (sa == "problems" && ta != "problems" && to != "include/optbench/problems.h")
        violation(where " (rule 2: problems/ includes only include/optbench/problems.h)")
    if (file ~ /^include\/optbench\// && to !~ /^include\/optbench\//)
        violation(where " (rule 3: public headers include only each other and system headers)")
    if (sa ~ /^harness/ && to ~ /_internal\.h$/ && ta != sa)
        violation(where " (rule 4: " to " is internal to " ta ")")
    if (sa != ta) {
        edge[sa SUBSEP ta] = 1
        if (!((sa SUBSEP ta) in example)) example[sa SUBSEP ta] = where
        areas[sa] = 1; areas[ta] = 1
    }
}
END {
    # Rule 5: the transitive closure of the area graph (a few dozen areas).
    for (e in edge) reach[e] = 1
    for (k in areas) for (i in areas) if ((i SUBSEP k) in reach)
        for (j in areas) if ((k SUBSEP j) in reach) reach[i SUBSEP j] = 1
    # Each group of areas that reach one another is one cycle, reported
    # once with the includes that close it.
    for (i in areas) {
        if (i in done) continue
        size = 0; names = ""
        for (j in areas)
            if (j == i || (((i SUBSEP j) in reach) && ((j SUBSEP i) in reach))) {
                member[j] = 1; done[j] = 1; size++
            }
        if (size > 1) {
            for (j in member) names = names " " j
            violation("include cycle between areas (rule 5):" names)
            for (e in edge) {
                split(e, p, SUBSEP)
                if ((p[1] in member) && (p[2] in member))
                    print "layers:     " p[1] " -> " p[2] ", e.g. " example[e]
            }
        }
        delete member
    }
    n = 0; for (f in known) n++
    if (bad) { printf "layers: %d violation(s) in %d files\n", bad, n; exit 1 }
    printf "layers: include rules hold (%d files)\n", n
}' "$tmp/includes" || exit 1
[ "$headers_bad" -eq 0 ] && [ "$hook_bad" -eq 0 ] || exit 1
