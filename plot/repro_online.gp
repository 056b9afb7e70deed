# repro_online.gp — Reddi, Kale & Kumar 2018 (Figure 1): average regret
# R_t/t (left) and the iterate x_t (right) against the step, Adam and
# AMSGrad: the fp64 reference as a wide light line, one fp32 ISA as a thin
# line of the same colour on top of it.
#
# Parameters (besides out/formats/data, see repro_style.gp):
#   isa     the fp32 path drawn ("" for none): columns <opt>_<isa>_regret, _x
#   title   the figure title
#   rlabel  the y label of the regret panel
# Columns: step, <opt>_<path>_regret, <opt>_<path>_x for opt in adam,
# amsgrad and path in reference and the ISAs.
_d = ""; do for [_k=1:strlen(ARG0)] { if (ARG0[_k:_k] eq "/") { _d = ARG0[1:_k] } }
load _d."repro_style.gp"
if (!exists("isa")) isa = ""
if (!exists("title")) title = "Adam and AMSGrad on an online problem"
if (!exists("rlabel")) rlabel = "average regret R_t / t (loss units)"
opts = "adam amsgrad"
label(o) = (o eq "adam") ? "Adam" : "AMSGrad"
pos(y) = (y > 0) ? y : NaN

do for [fmt in formats] {
    eval term(fmt)
    set output out.".".fmt
    set multiplot layout 1,2 title title font ",13" margins 0.08, 0.98, 0.2, 0.88 spacing 0.09, 0
    set logscale x
    set format x "10^{%L}"
    set xlabel "step t (iterations)"
    set logscale y
    set format y "10^{%L}"
    set ylabel rlabel
    set autoscale xfix
    set key at screen 0.5, 0.06 center center vertical maxrows 2 samplen 2.5 width 3 spacing 1.1
    plot for [o in opts] data using "step":(pos(column(o."_reference_regret"))) \
            with lines lw 6 lc rgb ocol_wide(o) title label(o)." fp64 reference (wide)", \
         for [o in opts] data using "step":(isa eq "" ? NaN : pos(column(o."_".isa."_regret"))) \
            with lines lw 1.2 lc rgb ocol(o) title (isa eq "" ? "" : label(o)." fp32 ".isa." (thin)")
    unset logscale y
    set format y "%g"
    set ylabel "iterate x_t (feasible set [-1, 1])"
    set yrange [-1.1:1.1]
    set ytics 0.5
    unset key
    plot for [o in opts] data using "step":(column(o."_reference_x")) with lines lw 6 lc rgb ocol_wide(o), \
         for [o in opts] data using "step":(isa eq "" ? NaN : column(o."_".isa."_x")) \
            with lines lw 1.2 lc rgb ocol(o)
    unset multiplot
    unset output
    unset yrange
    set ytics autofreq
}
