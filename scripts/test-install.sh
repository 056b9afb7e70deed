#!/bin/sh
# The install test, run by `make test` (README "Test your own kernel" and
# "Install"): from a clean temporary prefix,
#   1. `make install PREFIX=<tmp>/prefix` (and again with DESTDIR: the
#      staged tree must hold the same files);
#   2. the README's example, extracted from README.md between its
#      <!-- begin example: NAME --> markers and run as written: the plugin
#      built with pkg-config, examples/host/check_plugin.c linked with libob
#      (shared, and statically from libob.a), both run; a broken copy of the
#      plugin must be caught;
#   3. the installed binary, run from another folder, finds its plot
#      scripts (`run` + `report` render figures); a copy of it without them
#      fails its figures with a message naming --plot-dir;
#   4. `make uninstall` leaves no file in the prefix.
# Every step prints what it does; the first failure stops the test with
# "install test: FAILED: <step>" and exit 1.  MAKE is the make to run
# (the Makefile passes its own).
set -u
MAKE=${MAKE:-make}
repo=$(pwd)
tmp=$(mktemp -d /tmp/optbench-install.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix
log=$tmp/log

fail() {
    echo "install test: FAILED: $1" >&2
    [ -s "$log" ] && sed 's/^/install test:     /' "$log" >&2
    exit 1
}
# step NAME COMMAND...: runs COMMAND with its output in $log.
step() {
    name=$1
    shift
    "$@" >"$log" 2>&1 || fail "$name (exit $?): $*"
    echo "install test: $name: ok"
}
# The lines of README.md's example NAME, without the code fences.
example() {
    awk -v name="$1" '
        $0 == "<!-- begin example: " name " -->" { on = 1; next }
        on && $0 == "<!-- end example -->" { on = 0; found = 1 }
        on && !/^```/ { print }
        END { exit !found }' "$repo/README.md"
}

echo "install test: prefix $prefix"
work=$tmp/work
mkdir -p "$work" && example my_adamw.c >"$work/my_adamw.c" && example commands >"$work/commands.sh" ||
    fail "README.md has no example my_adamw.c and commands between <!-- begin example: NAME --> markers"

# 1. install, then a staged install that must hold the same files.
step "make install PREFIX=$prefix" $MAKE --no-print-directory install PREFIX="$prefix"
(cd "$prefix" && find . ! -type d | sort) >"$tmp/files"
step "make install DESTDIR" $MAKE --no-print-directory install PREFIX="$prefix" DESTDIR="$tmp/stage"
(cd "$tmp/stage$prefix" && find . ! -type d | sort) | cmp -s - "$tmp/files" || fail "the DESTDIR install differs"
step "make uninstall DESTDIR" $MAKE --no-print-directory uninstall PREFIX="$prefix" DESTDIR="$tmp/stage"
[ -z "$(find "$tmp/stage" ! -type d)" ] || fail "make uninstall DESTDIR left files in $tmp/stage"
for f in bin/optbench include/optbench/plugin.h include/optbench/optimizers.h lib/libob.a lib/libob.so \
    lib/libob.so.0 lib/pkgconfig/optbench.pc share/optbench/plot/style.gp share/optbench/peers/torch_optim.py \
    share/optbench/models/gpt2-small.shapes share/optbench/models/resnet18.shapes; do
    [ -e "$prefix/$f" ] || fail "make install did not install $f"
done
readelf -d "$prefix/lib/libob.so" | grep -q 'SONAME.*\[libob\.so\.0\]' || fail "libob.so has no soname libob.so.0"

# 2. The README's commands as written, in a folder of their own: `make`
# runs in the checkout, examples/ is the checkout's.
ln -s "$repo/examples" "$work/examples"
cat >"$work/run.sh" <<EOS
set -e
make() { command $MAKE -C "$repo" --no-print-directory "\$@"; }
$(grep -v '^prefix=' "$work/commands.sh")
EOS
(cd "$work" && prefix=$prefix sh -x ./run.sh) >"$log" 2>&1 || fail "the README's commands (README.md, example commands)"
grep -q '^  my_adamw .* u\*S (bound 221)$' "$log" || fail "check_plugin printed no agreement line for my_adamw"
sed -n '/(claims /,/bit-identical/s/^/install test:     /p' "$log"
grep -q '^  plugin:my_adamw  .* ok (bound 221 u\*S' "$log" || fail "the installed optbench run --plugin printed no ok line for plugin:my_adamw"
echo "install test: the README's example: ok"
ldd "$work/check_plugin" | grep -q "libob.so.0 => $prefix/lib/libob.so.0" || fail "check_plugin does not use $prefix/lib/libob.so.0"
readelf -d "$work/my_adamw.so" | grep -q 'NEEDED.*libob' && fail "my_adamw.so needs libob (a plugin needs only the header)"
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
libdir=$(pkg-config --variable=libdir optbench) || fail "pkg-config --variable=libdir optbench"
cc_static() {
    cc -O2 -Wall -Wextra -Werror "$repo/examples/host/check_plugin.c" -o "$work/check_static" \
        $(pkg-config --cflags optbench) "$libdir/libob.a" -fopenmp -lm
}
step "check_plugin linked with libob.a" cc_static
ldd "$work/check_static" | grep -q libob && fail "check_static is linked with libob.so"
step "check_static ./my_adamw.so" sh -c "cd '$work' && ./check_static ./my_adamw.so"
sed 's/(1.0f - b1) \* g\[i\]/(1.01f - b1) * g[i]/' "$work/my_adamw.c" >"$work/broken.c"
cmp -s "$work/my_adamw.c" "$work/broken.c" && fail "could not make a broken copy of my_adamw.c (the README's example changed?)"
step "broken plugin built" cc -O2 -fPIC -shared "$work/broken.c" -o "$work/broken.so" $(pkg-config --cflags optbench) -lm
(cd "$work" && ./check_static ./broken.so) >"$log" 2>&1
[ $? -eq 1 ] && grep -q FAILED "$log" || fail "check_plugin did not catch a broken plugin (exit 1 and FAILED expected)"
echo "install test: a broken plugin is caught: ok"

# 3. The installed binary from another folder finds its plot scripts.
out=$tmp/elsewhere
mkdir -p "$out"
step "installed optbench list optimizers" sh -c "cd '$out' && '$prefix/bin/optbench' list optimizers"
step "installed optbench run" sh -c "cd '$out' && '$prefix/bin/optbench' run --opt adam --problem mgh_rosenbrock \
    --steps 100 --out res --quiet"
step "installed optbench report" sh -c "cd '$out' && '$prefix/bin/optbench' report --run res/latest"
grep -q "$prefix/bin/../share/optbench/plot/\|$prefix/share/optbench/plot/" "$log" ||
    fail "report did not use the installed plot scripts"
grep -q ' 0 failed' "$log" && [ -s "$out/res/latest/figures/convergence-mgh_rosenbrock.png" ] ||
    fail "report rendered no figures with the installed scripts"
echo "install test: report found $(sed -n 's/.*(\(.*\)\/[a-z_]*\.gp)$/\1/p' "$log" | head -n 1)"
mkdir -p "$tmp/copy" && cp "$prefix/bin/optbench" "$tmp/copy/optbench"
(cd "$out" && "$tmp/copy/optbench" report --run res/latest) >"$log" 2>&1
grep -q -- '--plot-dir' "$log" && grep -q 'OPTBENCH_PLOT_DIR' "$log" ||
    fail "a copied binary without plot scripts: the message does not name --plot-dir and OPTBENCH_PLOT_DIR"
echo "install test: a copy without plot scripts names --plot-dir: ok"
step "a copy with --plot-dir" sh -c "cd '$out' && '$tmp/copy/optbench' report --run res/latest \
    --plot-dir '$prefix/share/optbench/plot' --quiet"

# 4. uninstall.
step "make uninstall PREFIX=$prefix" $MAKE --no-print-directory uninstall PREFIX="$prefix"
left=$(find "$prefix" ! -type d)
[ -z "$left" ] || fail "make uninstall left: $left"
for d in include/optbench share/optbench; do
    [ -d "$prefix/$d" ] && fail "make uninstall left the empty folder $d"
done
echo "install test: make uninstall left no file in $prefix: ok"
echo "install test: passed"
