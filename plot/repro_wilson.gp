# repro_wilson.gp — Wilson et al. 2017 §3.3: the training loss (left) and
# the weights w1 (solid) and w2 = w3 (dashed) of the shared features
# (right) against the step, for GD, AdaGrad, RMSProp and Adam.  fp64
# reference wide and light, one fp32 ISA thin on top.
#
# Parameters (besides out/formats/data, see repro_style.gp):
#   isa     the fp32 path drawn ("" for none)
#   terr    test errors of sgd adagrad rmsprop adam (fp64), space-separated
# Columns: step (iterations done), <m>_<path>_loss, _w1, _w2 for m in sgd
# adagrad rmsprop adam.
_d = ""; do for [_k=1:strlen(ARG0)] { if (ARG0[_k:_k] eq "/") { _d = ARG0[1:_k] } }
load _d."repro_style.gp"
if (!exists("isa")) isa = ""
if (!exists("terr")) terr = ""
ms = "sgd adagrad rmsprop adam"
label(m) = (m eq "sgd") ? "GD" : (m eq "adagrad") ? "AdaGrad" : (m eq "rmsprop") ? "RMSProp" : "Adam"
errtxt(i) = words(terr) >= i ? sprintf(" (test error %s)", word(terr, i)) : ""
pos(y) = (y > 0) ? y : NaN
xs(t) = t + 1

do for [fmt in formats] {
    eval term(fmt)
    set output out.".".fmt
    set multiplot layout 1,2 title "Wilson et al. 2017, §3.3: separable least squares, 50 examples" font ",13" \
        margins 0.08, 0.98, 0.22, 0.88 spacing 0.09, 0
    set logscale x
    set format x "10^{%L}"
    set xlabel "step t + 1 (iterations done + 1)"
    set autoscale xfix
    set logscale y
    set format y "10^{%L}"
    set ylabel "training loss ||Xw - y||^2 / 2n"
    set key at screen 0.5, 0.065 center center vertical maxrows 2 samplen 2.5 width 2 spacing 1.1
    plot for [i=1:4] data using (xs(column("step"))):(pos(column(word(ms,i)."_reference_loss"))) \
            with lines lw 6 lc rgb ocol_wide(word(ms,i)) title label(word(ms,i)).errtxt(i), \
         for [i=1:4] data using (xs(column("step"))):(isa eq "" ? NaN : pos(column(word(ms,i)."_".isa."_loss"))) \
            with lines lw 1.2 lc rgb ocol(word(ms,i)) notitle, \
         NaN with lines lw 6 lc rgb "#99777777" title "fp64 reference (wide)", \
         NaN with lines lw 1.2 lc rgb "#777777" title (isa eq "" ? "" : "fp32 ".isa." (thin)")
    unset logscale y
    set format y "%g"
    set ylabel "weight of a shared feature"
    set yrange [-0.05:1.05]
    set key inside right center vertical samplen 2.5 spacing 1.1 box opaque
    plot for [i=1:4] data using (xs(column("step"))):(column(word(ms,i)."_reference_w1")) \
            with lines lw 5 lc rgb ocol_wide(word(ms,i)) notitle, \
         for [i=1:4] data using (xs(column("step"))):(column(word(ms,i)."_reference_w2")) \
            with lines lw 5 dt (4,3) lc rgb ocol_wide(word(ms,i)) notitle, \
         for [i=1:4] data using (xs(column("step"))):(isa eq "" ? NaN : column(word(ms,i)."_".isa."_w1")) \
            with lines lw 1.2 lc rgb ocol(word(ms,i)) notitle, \
         NaN with lines lw 2 lc rgb "#555555" title "w_1 (y)", \
         NaN with lines lw 2 dt (4,3) lc rgb "#555555" title "w_2 = w_3 (bias)"
    unset multiplot
    unset output
    unset yrange
}
