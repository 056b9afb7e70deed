# repro_dettmers.gp — 8-bit block-wise Adam against 32-bit Adam (Dettmers
# et al. 2022, Table 1): the training loss against the step on each
# problem, fp32 Adam (wide, translucent) under 8-bit block-wise Adam
# (thin, dashed).  Where the claim holds the two lines lie on each other.
#
# Parameters (besides out/formats/data, see repro_style.gp):
#   problems  the problems, space-separated (one panel each)
#   rels      per problem, (loss_q8 - loss_fp32) / (loss_0 - loss_fp32) in %
#             (the check's figure), space-separated (optional)
# Columns: step, then per problem <problem>_fp32 and <problem>_q8.
_d = ""; do for [_k=1:strlen(ARG0)] { if (ARG0[_k:_k] eq "/") { _d = ARG0[1:_k] } }
load _d."repro_style.gp"
if (!exists("problems")) { print "repro_dettmers.gp: no problems given"; exit status 2 }

np = words(problems)
ncol = np > 1 ? 2 : 1
nrow = (np + ncol - 1) / ncol
do for [fmt in formats] {
    eval term(fmt)
    set output out.".".fmt
    set multiplot layout nrow, ncol title "8-bit block-wise Adam (q8-state, blocks of 2048) against fp32 Adam: training loss" font ",13"
    do for [p=1:np] {
        prob = word(problems, p)
        set title (exists("rels") ? sprintf("%s: q8 − fp32 = %s of fp32's decrease", prob, word(rels, p)) : prob) noenhanced
        set logscale xy
        set format x "10^{%L}"
        set format y "%g"
        set xlabel "step t"
        set ylabel "training loss"
        set autoscale xfix
        set key bottom left vertical samplen 2 spacing 1.0 font ",9" box lc rgb "#BBBBBB" opaque noenhanced
        plot data using "step":(column(prob."_fp32")) with lines lw 5 lc rgb ocol_wide("adam") title "fp32 Adam", \
             data using "step":(column(prob."_q8")) with lines lw 1.6 dt 2 lc rgb "#0072B2" title "8-bit Adam (q8-state)"
    }
    unset multiplot
    unset output
}
