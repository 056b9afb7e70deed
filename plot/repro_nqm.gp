# repro_nqm.gp — Zhang et al. 2019 §3.1: SGD's expected loss on the noisy
# quadratic model in closed form (line) and the mean loss over the seeds
# with its confidence interval (points with bars), fp64 reference and one
# fp32 ISA (offset slightly to the right so both stay visible).
#
# Parameters (besides out/formats/data, see repro_style.gp):
#   isa     the fp32 path drawn ("" for none)
#   seeds   the number of runs (for the title)
# Columns: step, expected, <path>_mean, <path>_lo, <path>_hi.
_d = ""; do for [_k=1:strlen(ARG0)] { if (ARG0[_k:_k] eq "/") { _d = ARG0[1:_k] } }
load _d."repro_style.gp"
if (!exists("isa")) isa = ""
if (!exists("seeds")) seeds = 0

do for [fmt in formats] {
    eval term(fmt)
    set output out.".".fmt
    set title sprintf("Noisy quadratic model (Zhang et al. 2019): SGD, lr 0.5, batch 16, n = 100; mean of %d runs", seeds) font ",13"
    set logscale xy
    set format x "10^{%L}"
    set format y "10^{%L}"
    set xlabel "step t (iterations)"
    set ylabel "loss l(x_t) = ½ Σ h_i x_i^2 (objective units)"
    set autoscale xfix
    set offsets 0, 0, graph 0.05, graph 0.05
    set key inside right top vertical samplen 2.5 spacing 1.2 box lc rgb "#BBBBBB" opaque
    plot data using "step":"expected" with lines lw 2 lc rgb "#000000" title "closed form E[l(x_t)] (§3.1)", \
         data using "step":"reference_mean":"reference_lo":"reference_hi" with yerrorbars pt 7 ps 0.8 \
            lc rgb ocol("sgd") title "mean over seeds, fp64 reference (Bonferroni 99% interval)", \
         data using (column("step")*1.08):(isa eq "" ? NaN : column(isa."_mean")):(isa eq "" ? NaN : column(isa."_lo")):(isa eq "" ? NaN : column(isa."_hi")) \
            with yerrorbars pt 6 ps 0.9 lc rgb "#0072B2" title (isa eq "" ? "" : "mean over seeds, fp32 ".isa)
    unset output
}
