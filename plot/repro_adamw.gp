# repro_adamw.gp — Loshchilov & Hutter 2019: L2 inside Adam vs decoupled
# weight decay (AdamW).  Left: the mean retained fraction x/c of the two
# groups of weights against the step (A: large gradient history, solid;
# B: small, dashed), with the predicted stationary values dotted.  Right:
# the measured effective decay per step relative to lr*wd (log scale).
#
# Parameters (besides out/formats/data, see repro_style.gp):
#   isa     the fp32 path drawn ("" for none)
#   dl2a, dl2b, dwa, dwb   effective decays (fp64) of A and B under L2 and AdamW
# Columns: step, <m>_<path>_A, <m>_<path>_B for m in adam (L2), adamw.
_d = ""; do for [_k=1:strlen(ARG0)] { if (ARG0[_k:_k] eq "/") { _d = ARG0[1:_k] } }
load _d."repro_style.gp"
if (!exists("isa")) isa = ""
if (!exists("dl2a")) { dl2a = NaN; dl2b = NaN; dwa = NaN; dwb = NaN }
ms = "adam adamw"
label(m) = (m eq "adam") ? "Adam + L2" : "AdamW"

do for [fmt in formats] {
    eval term(fmt)
    set output out.".".fmt
    set multiplot title "Loshchilov and Hutter 2019: L2 inside Adam vs decoupled weight decay (wd = 0.1)" font ",13"
    # ---- left: retained fractions over time
    set size 0.6, 1
    set origin 0, 0
    set lmargin at screen 0.08
    set rmargin at screen 0.56
    set tmargin at screen 0.88
    set bmargin at screen 0.12
    set xlabel "step t (iterations)"
    set ylabel "retained fraction x / c (group mean)"
    set yrange [0:1.05]
    set xrange [0:*]
    set autoscale xfix
    set format x "%.0s%c"
    set arrow 1 from graph 0, first 1/1.1 to graph 1, first 1/1.1 nohead dt (2,3) lc rgb "#555555" back
    set arrow 2 from graph 0, first 0.5 to graph 1, first 0.5 nohead dt (2,3) lc rgb "#555555" back
    set key inside right bottom vertical samplen 2.5 spacing 1.1 box lc rgb "#BBBBBB" opaque
    plot for [m in ms] data using "step":(column(m."_reference_A")) with lines lw 5 lc rgb ocol_wide(m) \
            title label(m).", A (sigma 10)", \
         for [m in ms] data using "step":(column(m."_reference_B")) with lines lw 5 dt (5,3) lc rgb ocol_wide(m) \
            title label(m).", B (sigma 0.1)", \
         for [m in ms] data using "step":(isa eq "" ? NaN : column(m."_".isa."_A")) with lines lw 1 lc rgb ocol(m) notitle, \
         for [m in ms] data using "step":(isa eq "" ? NaN : column(m."_".isa."_B")) with lines lw 1 lc rgb ocol(m) notitle, \
         NaN with lines lw 1 dt (2,3) lc rgb "#555555" title "predicted stationary values"
    unset arrow 1
    unset arrow 2
    # ---- right: effective decay per group (bars, log scale)
    set origin 0.6, 0
    set size 0.4, 1
    set lmargin at screen 0.66
    set rmargin at screen 0.98
    set xlabel "group of weights"
    set ylabel "effective decay per step / (lr·wd)"
    set logscale y
    set format y "10^{%L}"
    set yrange [0.01:100]
    set xrange [-0.6:1.6]
    set format x "%g"
    set xtics ("A (sigma 10)" 0, "B (sigma 0.1)" 1)
    set boxwidth 0.35
    set style fill solid 0.85 border rgb "#333333"
    set key inside left top vertical samplen 2 spacing 1.1 nobox
    set label 1 sprintf("%.3g", dl2a) at -0.175, dl2a*1.35 center font ",10"
    set label 2 sprintf("%.3g", dl2b) at 0.825, dl2b*1.35 center font ",10"
    set label 3 sprintf("%.3g", dwa) at 0.175, dwa*1.35 center font ",10"
    set label 4 sprintf("%.3g", dwb) at 1.175, dwb*1.35 center font ",10"
    plot '+' using (-0.175):(dl2a):(0.35) every ::0::0 with boxes lc rgb ocol("adam") title "Adam + L2", \
         '+' using (0.825):(dl2b):(0.35) every ::0::0 with boxes lc rgb ocol("adam") notitle, \
         '+' using (0.175):(dwa):(0.35) every ::0::0 with boxes lc rgb ocol("adamw") title "AdamW", \
         '+' using (1.175):(dwb):(0.35) every ::0::0 with boxes lc rgb ocol("adamw") notitle
    unset label 1
    unset label 2
    unset label 3
    unset label 4
    unset logscale y
    unset multiplot
    unset output
    unset xtics
    set xtics autofreq
    unset yrange
    unset xrange
}
