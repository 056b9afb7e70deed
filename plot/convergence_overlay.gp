# convergence_overlay.gp — one problem across several runs (`optbench
# report --run A --run B ...`): f − f* (or the loss) against the step, one
# line per optimizer and run, in the optimizer's colour (style.gp) with the
# run's dash pattern (the first run solid, then dashed, dotted, ...).  The
# key names each optimizer once and each run's pattern once.
#
# Parameters (besides out/formats/width/height, see style.gp):
#   files   one CSV per line (header "step,<ycol>"), space-separated
#   names   "<opt>@<label>" of each file, in the same order
#   runs    the runs' labels, in order (the k-th gets dash pattern k)
#   keyed   per file, 1 when its line names the optimizer in the key (its
#           first line), else 0
#   ycol    "gap": f − f*, on a log scale; "loss": the loss (f* unknown)
#   logy    1: log y axis
#   ymax    the top of the y axis at most (0: none)
#   title   the figure title
_d = ""; do for [_k=1:strlen(ARG0)] { if (ARG0[_k:_k] eq "/") { _d = ARG0[1:_k] } }
load _d."style.gp"
if (!exists("ycol")) ycol = "gap"
if (!exists("logy")) logy = (ycol eq "gap")
if (!exists("ymax")) ymax = 0
if (!exists("title")) title = "Convergence across runs"
if (!exists("runs")) runs = ""
if (!exists("keyed")) keyed = ""

yval(y) = (logy && !(y > 1e-300)) ? NaN : y
at(s) = strstrt(s, "@")
base(s) = at(s) > 0 ? s[1:at(s) - 1] : s
dtk(s) = at(s) > 0 && index_of(runs, s[at(s) + 1:]) > 0 ? index_of(runs, s[at(s) + 1:]) : 1

set title title font ",13" noenhanced
set xlabel "step t (iterations)"
set ylabel (ycol eq "gap" ? "f(x_t) − f* (objective units)" : "loss f(x_t) (objective units)")
if (logy) {
    set logscale y; set format y "10^{%L}"; set mytics 10; set yrange [1e-40 < * : *]
} else {
    unset logscale y; set format y "%g"; set yrange [*:*]
}
if (ymax > 0 || (!logy && ymax != 0)) { set yrange [:* < ymax] }
set xrange [0:*]
set offsets 0, 0, graph 0.02, graph 0.02
set key outside right top vertical Left reverse samplen 3 spacing 1.2 box lc rgb "#BBBBBB" noenhanced

n = words(files)
r = words(runs)
do for [fmt in formats] {
    eval term(fmt)
    set output out.".".fmt
    plot for [i=1:n] word(files, i) using "step":(yval(column(ycol))) with lines lw 2 \
            lc rgb ocol(base(word(names, i))) dt dtk(word(names, i)) \
            title (word(keyed, i) eq "1" ? base(word(names, i)) : ""), \
         for [k=1:r] NaN with lines lw 2 lc rgb "#555555" dt k title "run ".word(runs, k)
    unset output
}
