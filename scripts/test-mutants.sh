#!/bin/sh
# The mutation check (README "Tests", `make test-mutants`): proves that the
# tests and `optbench ci` catch a wrong operation in every block of every
# kernel.
#
# For each ISA folder (scalar, avx2, avx512) and each optimizer kernel file
# kernels/<isa>/<key>.c (the files defining ob_<key>_step_<isa>), one
# mutant per block of its element loop and one per operation class, each
# built from that one file with a hook of kernels/ob_mutant.h (used by
# the loop macros of kernels/<isa>/<isa>_ops.h):
#   loop, 2-vector, single, tail   -DOB_MUTANT_BLOCK=1..4: the last lane of
#                                  one vector of that block is left out
#                                  (the 2-vector block: the four-vector
#                                  loop of SGD only)
#   fma                            -DOB_MUTANT_OP=1: every fused
#                                  multiply-add of the file becomes a
#                                  multiply and an add
# and for a scalar kernel (one block, its element loop):
#   element                        -DOB_MUTANT_BLOCK=4: the last element
#                                  is left out (OB_MUTANT_ELEMENTS)
#   fma                            -DOB_MUTANT_SCALAR_OP=1: every fmaf a
#                                  multiply and an add
# The mutant object replaces the real one in a copy of libob.a; build/
# optbench and build/tests/test_kernels are relinked against the copy in a
# scratch folder (build/ is not touched).  A mutant is caught by the tests
# when test_kernels' identity/<isa>_every_block fails (every optimizer on
# that ISA against scalar at the lengths that run every block; for a scalar
# mutant, that of any vector ISA), and by ci
# when `optbench ci --no-speed` exits 3.  A mutant whose object is the
# production object's (no such block or operation in that file) is
# "equivalent" and not counted.  First the production build is checked to
# be unaffected by the hooks: each file compiled here without a mutant
# flag disassembles exactly as its object in build/.
#
# MUTANTS=short: only Adam's and SGD's files (every block, every ISA), for
# .ci/run.  Prints a table of caught/total per optimizer and ISA; exits 1
# if any mutant survives either check (or a control differs), 2 on a
# setup error, 0 with SKIPPED where no vector ISA is built and runs.  The Makefile passes the compiler, flags and link lines;
# run it through `make test-mutants [MUTANTS=short]`.
set -u
cd "$(dirname "$0")/.." || exit 2
: "${CC:?run through make test-mutants}" "${CXX:?}" "${CFLAGS:?}" "${LDFLAGS:?}" "${LINK_LIBS:?}"
: "${TEST_LIBS:?}" "${AVX2_FLAGS:?}" "${AVX512_FLAGS:?}"
BUILD=${BUILD:-build}
MUTANTS=${MUTANTS:-all}
case $MUTANTS in all | short) ;; *) echo "test-mutants: MUTANTS is all or short, not '$MUTANTS'" >&2; exit 2 ;; esac
for f in "$BUILD/libob.a.objs" "$BUILD/harness/main.o" "$BUILD/tests/test_kernels.o" "$BUILD/harness/libcmd.a" \
    "$BUILD/libob_testkit.a" "$BUILD/libob_problems.a" "$BUILD/tests/common/libcommon.a"; do
    [ -f "$f" ] || { echo "test-mutants: $f missing (make build-all first)" >&2; exit 2; }
done
scratch=$(mktemp -d "${TMPDIR:-/tmp}/optbench-mutants.XXXXXX") || exit 2
trap 'rm -rf "$scratch"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
mkdir "$scratch/obj" || exit 2
start=$(date +%s)

# The ISAs built and this CPU runs: a mutant of any other runs nowhere.
cpu_flags=" $(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null | cut -d: -f2) "
isas=""
for isa in avx2 avx512; do
    case $isa in avx2) def=OB_BUILD_AVX2 need="avx2 fma" ;; *) def=OB_BUILD_AVX512 need=avx512f ;; esac
    case " $CFLAGS " in *" -D$def "*) ;; *) echo "test-mutants: $isa: SKIPPED (not built: the compiler lacks it)"; continue ;; esac
    missing=""
    for f in $need; do case $cpu_flags in *" $f "*) ;; *) missing="$missing $f" ;; esac; done
    if [ -n "$missing" ]; then echo "test-mutants: $isa: SKIPPED (the CPU lacks$missing)"; continue; fi
    isas="$isas $isa"
done
# Nothing to mutate is not a failure: the vector kernels cannot run here.
[ -n "$isas" ] || { echo "test-mutants: SKIPPED: no vector ISA built and supported here"; exit 0; }

disasm() { objdump -d --no-show-raw-insn "$1" | tail -n +3; }

# $1 isa, $2 source, $3 output object, $4... extra flags
compile() {
    i=$1 src=$2 out=$3
    shift 3
    case $i in avx2) mflags=$AVX2_FLAGS ;; avx512) mflags=$AVX512_FLAGS ;; *) mflags=$NOVEC ;; esac
    # shellcheck disable=SC2086  # the flag lists are word lists
    $CC $CFLAGS $mflags "$@" -c "$src" -o "$out"
}

# $1 mutant object, $2 the object it replaces: libob.a again from the
# object list make archived (several members share a name, adam.o, so
# `ar r` on a copy could replace the wrong one), then both binaries.
relink() {
    objs=$(tr ' ' '\n' <"$BUILD/libob.a.objs" | sed "s|^$2\$|$1|")
    rm -f "$scratch/libob.a"
    # shellcheck disable=SC2086
    ar rcs "$scratch/libob.a" $objs || return 1
    archives="$BUILD/harness/libcmd.a $BUILD/libob_testkit.a $BUILD/libob_problems.a $scratch/libob.a"
    # shellcheck disable=SC2086
    $CXX $LDFLAGS "$BUILD/harness/main.o" $archives -o "$scratch/optbench" $LINK_LIBS &&
        $CXX $LDFLAGS "$BUILD/tests/test_kernels.o" "$BUILD/tests/common/libcommon.a" $archives \
            -o "$scratch/test_kernels" $TEST_LIBS $LINK_LIBS
}

results="$scratch/results"
: >"$results"
rc=0
# scalar is checked against the vector ISAs (its mutants make them differ
# from it) and against the baseline (ci's scalar-vs-baseline hashes).
vector_isas=$isas
isas="scalar $isas"
for isa in $isas; do
    for src in kernels/"$isa"/*.c; do
        key=$(basename "$src" .c)
        grep -q "^void ob_${key}_step_${isa}(" "$src" || continue
        [ "$MUTANTS" = short ] && [ "$key" != adam ] && [ "$key" != sgd ] && continue
        member=$(basename "$src" .c).o
        # The control: no mutant flag, the production object's code.
        compile "$isa" "$src" "$scratch/control.o" || exit 2
        if [ "$(disasm "$scratch/control.o")" != "$(disasm "$BUILD/kernels/$isa/$member")" ]; then
            echo "test-mutants: $src compiled here differs from $BUILD/kernels/$isa/$member (stale build, or a hook that is not inert)"
            rc=1
            continue
        fi
        if [ "$isa" = scalar ]; then blocks=4; elif grep -q "FOR_EACH4" "$src"; then blocks="1 2 3 4"; else blocks="1 3 4"; fi
        for m in $blocks fma; do
            case $isa$m in
            scalar4) name=element flag=-DOB_MUTANT_BLOCK=4 ;;
            scalarfma) name=fma flag=-DOB_MUTANT_SCALAR_OP=1 ;;
            esac
            [ "$isa" = scalar ] || case $m in
            1) name=loop flag=-DOB_MUTANT_BLOCK=1 ;;
            2) name=2-vector flag=-DOB_MUTANT_BLOCK=2 ;;
            3) name=single flag=-DOB_MUTANT_BLOCK=3 ;;
            4) name=tail flag=-DOB_MUTANT_BLOCK=4 ;;
            fma) name=fma flag=-DOB_MUTANT_OP=1 ;;
            esac
            compile "$isa" "$src" "$scratch/obj/$member" "$flag" || exit 2
            if [ "$(disasm "$scratch/obj/$member")" = "$(disasm "$scratch/control.o")" ]; then
                echo "$isa $key $name equivalent equivalent" >>"$results"
                continue
            fi
            relink "$scratch/obj/$member" "$BUILD/kernels/$isa/$member" || exit 2
            t=SURVIVED
            if [ "$isa" = scalar ]; then
                for v in $vector_isas; do
                    "$scratch/test_kernels" --filter "identity/${v}_every_block" >"$scratch/test.log" 2>&1 || t=caught
                done
            elif ! "$scratch/test_kernels" --filter "identity/${isa}_every_block" >"$scratch/test.log" 2>&1; then
                t=caught
            fi
            "$scratch/optbench" ci --no-speed --repro-dir "$scratch/repro" >"$scratch/ci.log" 2>&1
            if [ $? -eq 3 ]; then c=caught; else c=SURVIVED; fi
            gates=$(awk '$3 == "FAIL" { print $1 }' "$scratch/ci.log" | sort -u | paste -sd, -)
            echo "$isa $key $name $t $c" >>"$results"
            printf 'test-mutants: %-7s %-8s %-9s test %-8s ci %-8s %s\n' "$isa" "$key" "$name" "$t" "$c" \
                "${gates:+(failed: $gates)}"
            if [ "$t" != caught ] || [ "$c" != caught ]; then
                rc=1
                [ "$c" = caught ] || sed 's/^/    ci: /' "$scratch/ci.log" | tail -n 3
            fi
        done
    done
done

echo
printf '%-8s %-8s %-30s %-9s %s\n' isa kernel "mutants (blocks, op)" "tests" "optbench ci"
awk '{ k = $1 " " $2; if (!(k in seen)) { seen[k] = 1; order[++n] = k }
       if ($4 == "equivalent") { eq[k]++; next }
       tot[k]++; names[k] = names[k] (names[k] ? "," : "") $3
       if ($4 == "caught") t[k]++; if ($5 == "caught") c[k]++ }
     END { for (i = 1; i <= n; i++) { k = order[i]; split(k, a, " ")
             printf "%-8s %-8s %-30s %d/%-7d %d/%d%s\n", a[1], a[2], names[k], t[k], tot[k], c[k], tot[k],
                    eq[k] ? "  (" eq[k] " equivalent)" : ""
             T += tot[k]; TT += t[k]; CC += c[k] }
           printf "%-8s %-8s %-30s %d/%-7d %d/%d\n", "all", "", "", TT, T, CC, T }' "$results"
echo "test-mutants: $MUTANTS, $(($(date +%s) - start)) s; $([ $rc -eq 0 ] && echo "every mutant caught by both" || echo "FAILED: a mutant survived or a control differs")"
exit $rc
