# convergence.gp — one problem: f − f* (or the loss) against the step,
# one line per optimizer for its fp32 kernel and, dashed in the same
# colour, the fp64 reference of the same optimizer.
#
# Parameters (besides out/formats, see style.gp):
#   files   case CSVs (cases/<problem>.<opt>.csv), space-separated
#   names   the optimizer of each file, in the same order
#   isa     the fp32 path drawn (columns <isa>_gap / <isa>_loss)
#   ycol    "gap": f − f*, on a log scale; "loss": the loss (f* unknown)
#   logy    1: log y axis (always for gap; for loss only if it stays > 0)
#   tol     the target f − f* <= tol (drawn when ycol is "gap"; 0: none)
#   ymax    the top of the y axis at most (0: none): a path that diverges
#           leaves the picture instead of squashing every other line
#   title   the figure title
_d = ""; do for [_k=1:strlen(ARG0)] { if (ARG0[_k:_k] eq "/") { _d = ARG0[1:_k] } }
load _d."style.gp"
if (!exists("ycol")) ycol = "gap"
if (!exists("logy")) logy = (ycol eq "gap")
if (!exists("tol")) tol = 0
if (!exists("ymax")) ymax = 0
if (!exists("title")) title = "Convergence"

# Values a log axis cannot show (f − f* <= 0 once fp64 reaches f* exactly,
# or so small that the axis arithmetic underflows) leave a gap in the line
# instead of an error.
yval(y) = (logy && !(y > 1e-300)) ? NaN : y

set title title font ",13" noenhanced
set xlabel "step t (iterations)"
set ylabel (ycol eq "gap" ? "f(x_t) − f* (objective units)" : "loss f(x_t) (objective units)")
# On a log axis the autoscaled range stops at 1e-40: a path that reaches
# f* exactly, or underflows towards it, would otherwise stretch the axis
# over hundreds of decades.
if (logy) {
    set logscale y; set format y "10^{%L}"; set mytics 10; set yrange [1e-40 < * : *]
} else {
    unset logscale y; set format y "%g"; set yrange [*:*]
}
if (ymax > 0 || (!logy && ymax != 0)) { set yrange [:* < ymax] }
set xrange [0:*]
set offsets 0, 0, graph 0.02, graph 0.02
set key outside right top vertical Left reverse samplen 2.5 spacing 1.2 box lc rgb "#BBBBBB"
if (ycol eq "gap" && tol > 0) {
    set arrow 1 from graph 0, first tol to graph 1, first tol nohead lc rgb "#888888" dt 3 lw 1 back
    set label 1 sprintf("target f − f* = %.3g", tol) at graph 0.99, first tol*2.2 right tc rgb "#666666" font ",9"
} else {
    unset arrow 1; unset label 1
}

n = words(files)
do for [fmt in formats] {
    eval term(fmt)
    set output out.".".fmt
    plot for [i=1:n] word(files, i) using "step":(yval(column(isa."_".ycol))) \
            with lines lw 2.2 lc rgb ocol(word(names, i)) title word(names, i), \
         for [i=1:n] word(files, i) using "step":(yval(column("ref_".ycol))) \
            with lines lw 1.1 dt (6,4) lc rgb ocol(word(names, i)) notitle, \
         NaN with lines lw 2.2 lc rgb "#555555" title "fp32 ".isa." (solid)", \
         NaN with lines lw 1.1 dt (6,4) lc rgb "#555555" title "fp64 reference (dashed)"
    unset output
}
