# sweep_sensitivity.gp — a hyperparameter sweep on one problem: how the
# result depends on the learning rate (or another swept key), one line per
# optimizer, as in DeepOBS's sensitivity plots (Schneider, Balles & Hennig,
# ICLR 2019, §3).  Each point is the median over the seeds with bars from
# the smallest to the largest seed; where other keys were swept as well, a
# point is the best of them at that x (the sweep's criterion).  An open
# circle marks each optimizer's best setting.  Settings whose median is not
# finite (diverged; target never reached) are crosses on the top edge.
#
# Written by `optbench sweep` (harness/sweep/sweep_report.c), one figure per
# problem.  Parameters (besides out/formats/width/height, see style.gp):
#   files    data CSVs (columns x,median,min,max,flag,best), space-separated
#   names    the optimizer of each file, in the same order
#   metric   "gap": final f − f*; "loss": final loss (f* unknown);
#            "steps": steps to reach f − f* <= tol
#   xkey     the swept key on the x axis ("lr")
#   logx, logy   1: logarithmic axis
#   ytop     the y of the first optimizer's crosses (top edge; 0: no crosses); each next
#            optimizer's sit a little higher (x 1.3 on a log axis, + ystep
#            on a linear one), so that crosses at the same x stay apart
#   ylo      the smallest value drawn (0: unknown)
#   floored  1: some values were <= 0 (f* reached to rounding) and are drawn at ylo
#   problem, config, path, steps, seeds, tol, others   for the title and labels
#   instances  problem instances per setting (sweep --instances; default 1)
#            (config: " (n=10, cond=100)" or ""; path: "scalar", ..., "reference")
_d = ""; do for [_k=1:strlen(ARG0)] { if (ARG0[_k:_k] eq "/") { _d = ARG0[1:_k] } }
load _d."style.gp"
if (!exists("metric")) metric = "loss"
if (!exists("xkey")) xkey = "lr"
if (!exists("logx")) logx = 1
if (!exists("logy")) logy = 1
if (!exists("ytop")) ytop = 0
if (!exists("ylo")) ylo = 0
if (!exists("ystep")) ystep = 0
if (!exists("floored")) floored = 0
if (!exists("problem")) problem = ""
if (!exists("path")) path = "scalar"
if (!exists("steps")) steps = 0
if (!exists("seeds")) seeds = 1
if (!exists("instances")) instances = 1
if (!exists("tol")) tol = 0
if (!exists("others")) others = 0
if (!exists("config")) config = ""

what = (metric eq "steps") ? sprintf("steps to reach f − f* ≤ %g", tol) \
     : (metric eq "gap") ? sprintf("final f − f* after %d steps", steps) \
     : sprintf("final loss after %d steps", steps)
xname = (xkey eq "lr") ? "learning rate" : xkey
spread = (instances > 1) ? sprintf("median over %d seed%s × %d problem instances, bars: min–max", seeds, \
                                   seeds > 1 ? "s" : "", instances) \
       : (seeds > 1) ? sprintf("median over %d seeds, bars: min–max", seeds) : "1 seed"
pathname = (path eq "reference") ? "the fp64 reference" : sprintf("the fp32 %s kernel", path)
set title sprintf("%s%s: %s against the %s\n%s; %s%s", problem, config, what, xname, spread, pathname, \
                  others ? "; best of the other swept hyperparameters at each point" : "") noenhanced
set xlabel (xkey eq "lr") ? "learning rate lr (dimensionless, log scale)" \
                          : sprintf("%s%s", xkey, logx ? " (log scale)" : "") noenhanced
set ylabel (metric eq "steps") ? "steps to target (iterations)" \
         : (metric eq "gap") ? "final f(x_T) − f* (objective units)" : "final loss f(x_T) (objective units)"
if (logx) { set logscale x; set format x "10^{%L}" } else { unset logscale x; set format x "%g" }
# Minor tics (2..9 times each major tic) clump into a smear when the
# major tics are many decades apart: none then.
if (logy) { set logscale y; set format y "10^{%L}"; if (ylo > 0 && ytop/ylo > 1e12) { unset mytics } else { set mytics default } } else { unset logscale y; set format y "%g" }
# The data's own x range plus a margin, not widened to the next decade.
set autoscale xfix
set offsets graph 0.04, graph 0.04, 0, 0
n = words(files)
# Optimizers style.gp has no colour for get their own here, in order of
# appearance, so that no two lines share the fallback grey.
extra_colors = "#56B4E9 #8C564B #9467BD #BCBD22 #17BECF #7F7F7F"
unknown_rank(i) = sum [k=1:i] (index_of(opt_names, word(names, k)) == 0 ? 1 : 0)
lcol(i) = index_of(opt_names, word(names, i)) > 0 ? ocol(word(names, i)) \
        : word(extra_colors, (unknown_rank(i) - 1) % words(extra_colors) + 1)
ymark(i) = logy ? ytop * 1.3**(i - 1) : ytop + (i - 1) * ystep
if (ytop != 0) { if (logy) { set yrange [*:ymark(n)*1.6] } else { set yrange [*:ymark(n) + ystep + 0.02*abs(ymark(n))] } }
set key outside right top vertical Left reverse samplen 2.5 spacing 1.25 box lc rgb "#BBBBBB"
set bars small
if (floored) { set label 1 "bottom edge: f − f* ≤ 0 (f* reached to rounding)" at graph 0.01, graph 0.02 left front tc rgb "#666666" font ",9" } else { unset label 1 }
nflabel = (metric eq "steps") ? "target not reached (median)" : "diverged (median)"

do for [fmt in formats] {
    eval term(fmt)
    set output out.".".fmt
    plot for [i=1:n] word(files, i) using "x":"median":"min":"max" with yerrorlines \
            lw 2 pt (i % 7) + 4 ps 1.1 lc rgb lcol(i) title word(names, i), \
         for [i=1:n] word(files, i) using "x":(column("best") > 0 && column("flag") == 0 ? column("median") : NaN) \
            with points pt 6 ps 3 lw 2 lc rgb lcol(i) notitle, \
         for [i=1:n] word(files, i) using "x":(column("flag") > 0 ? ymark(i) : NaN) \
            with points pt 2 ps 1.4 lw 2 lc rgb lcol(i) notitle, \
         NaN with points pt 6 ps 2 lw 2 lc rgb "#555555" title "best setting", \
         NaN with points pt 2 ps 1.4 lw 2 lc rgb "#555555" title (ytop != 0 ? nflabel : "")
    unset output
}
