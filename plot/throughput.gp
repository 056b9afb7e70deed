# throughput.gp — one optimizer: GB/s against the array size, one line per
# instruction set (and variant), peers as their own lines, and the memory
# bandwidth measured in the same run drawn as the roofline.
#
# Parameters (besides out/formats, see style.gp):
#   data    CSV blocks (two blank lines between them), each with a header
#           "size,gb_per_s" and one row per size, in the order of `titles`
#   titles  one word per block: "avx512", "avx512/approx", "peer:name",
#           "memory_ceiling"
#   keys    one colour key per block (style.gp scol): "isa:avx512", "peer:1",
#           "ceiling"
#   styles  one word per block: "exact", "approx", "peer" or "ceiling"
#   title   the figure title
_d = ""; do for [_k=1:strlen(ARG0)] { if (ARG0[_k:_k] eq "/") { _d = ARG0[1:_k] } }
load _d."style.gp"
if (!exists("title")) title = "Throughput"

nb = words(titles)
st(i) = word(styles, i)
lw_of(i) = st(i) eq "ceiling" ? 5 : (st(i) eq "peer" ? 2 : 2.2)
dt_of(i) = st(i) eq "approx" ? 2 : (st(i) eq "peer" ? 3 : 1)
pt_of(i) = st(i) eq "ceiling" ? -1 : (st(i) eq "peer" ? 6 : (st(i) eq "approx" ? 4 : 7))
col_of(i) = st(i) eq "ceiling" ? "#B8B8B8" : scol(word(keys, i))
name_of(i) = st(i) eq "ceiling" ? "memory ceiling (measured)" : \
             (word(titles, i)[1:5] eq "peer:" ? word(titles, i)[6:]." (peer)" : word(titles, i))

set title title font ",13" noenhanced
set xlabel "array size n (fp32 parameters)"
set ylabel "throughput (GB/s of memory traffic)"
set logscale x 2
set format x "2^{%L}"
set yrange [0:*]
set offsets 0, 0, graph 0.05, 0
set key outside right top vertical Left reverse samplen 3 spacing 1.3 box lc rgb "#BBBBBB" noenhanced

do for [fmt in formats] {
    eval term(fmt)
    set output out.".".fmt
    plot for [i=1:nb] data index (i - 1) using "size":"gb_per_s" \
        with linespoints lw lw_of(i) dt dt_of(i) pt pt_of(i) ps 1.0 lc rgb col_of(i) title name_of(i)
    unset output
}
