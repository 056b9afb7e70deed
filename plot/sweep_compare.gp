# sweep_compare.gp — search strategies against the full grid
# (`optbench sweep --compare-search`, harness/sweep/sweep_compare.c):
# after k settings tried, how many (problem, optimizer, search seed) cases
# have a best setting within 10% of the full grid's best (top), and the
# median over the cases of best-so-far / grid best in the criterion's
# units, f − f* where f* is known (bottom).  A dashed line marks a quarter
# of the grid's settings, where the goal is measured.
#
# Parameters (besides out/formats/width/height, see style.gp):
#   files    data CSVs (columns settings,share,ratio), space-separated
#   names    the search of each file, in the same order
#   grid     the grid's settings per (problem, optimizer)
#   quarter  where the goal is measured: floor(grid / 4)
#   seeds    search seeds of the non-grid searches
#   pairs    (problem, optimizer) pairs
_d = ""; do for [_k=1:strlen(ARG0)] { if (ARG0[_k:_k] eq "/") { _d = ARG0[1:_k] } }
if (!exists("height")) height = 800
load _d."style.gp"
if (!exists("grid")) grid = 32
if (!exists("seeds")) seeds = 1
if (!exists("pairs")) pairs = 1
if (!exists("quarter")) quarter = floor(grid / 4)
n = words(files)
search_colors = "#999999 #E69F00 #0072B2 #D55E00"
scolor(i) = word(search_colors, (i - 1) % words(search_colors) + 1)
set xrange [0.5:grid + 0.5]
set arrow 1 from quarter, graph 0 to quarter, graph 1 nohead dt 2 lw 1.5 lc rgb "#555555" back
set key inside right bottom vertical Left reverse samplen 2.5 spacing 1.2 box lc rgb "#BBBBBB" opaque

do for [fmt in formats] {
    eval term(fmt)
    set output out.".".fmt
    set multiplot layout 2,1 title sprintf("Search strategies against the full grid (%d settings): %d (problem, optimizer) pairs, %d search seeds", grid, pairs, seeds) noenhanced
    set title "Cases whose best so far is within 10% of the full grid's best" noenhanced
    set xlabel "settings tried (= runs on deterministic problems)"
    set ylabel "share of (pair, seed) cases"
    unset logscale y
    set yrange [0:105]
    set format y "%g%%"
    set label 1 sprintf("a quarter of the grid (%d)", quarter) at quarter, graph 0.96 left offset 0.5, 0 tc rgb "#555555" font ",9"
    plot for [i=1:n] word(files, i) using "settings":(column("share") * 100) with linespoints \
         lw 2 pt (i % 7) + 4 ps 0.8 lc rgb scolor(i) title word(names, i)
    unset label 1
    set title "Median over cases of best so far / full grid's best (f − f*; 1: as good as the grid)" noenhanced
    set ylabel "best so far / grid best (log scale)"
    set logscale y
    set yrange [0.5:*]
    set format y "10^{%L}"
    set key inside right top
    plot for [i=1:n] word(files, i) using "settings":"ratio" with linespoints \
         lw 2 pt (i % 7) + 4 ps 0.8 lc rgb scolor(i) title word(names, i), \
         1 with lines dt 3 lw 1 lc rgb "#333333" notitle
    unset multiplot
    unset output
}
