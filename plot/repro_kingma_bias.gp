# repro_kingma_bias.gp — Kingma & Ba 2015 §3 / Figure 4, scaled down: Adam
# with (solid) and without (dashed) bias correction, beta2 = 0.99, 0.999,
# 0.9999, over the lr grid.  Left: the largest step of a weight in units
# of lr over the first steps, with Adam's step bound of §2.1,
# max(1, (1 - beta1)/sqrt(1 - beta2)): 1 (grey), 3.16 and 10 (dotted, in the
# colour of beta2 = 0.999 and 0.9999).  Right: the largest loss sampled over those steps.  fp64 lines,
# one fp32 ISA as points on top.
#
# Parameters (besides out/formats/data, see repro_style.gp):
#   isa    the fp32 path drawn ("" for none; its columns end in _fp32)
#   steps  the number of steps (for the title)
# Columns: lr, then step_<b2>_<arm>, loss_<b2>_<arm> and their _fp32, b2 in
# 099 0999 09999, arm in corr unc.
_d = ""; do for [_k=1:strlen(ARG0)] { if (ARG0[_k:_k] eq "/") { _d = ARG0[1:_k] } }
load _d."repro_style.gp"
if (!exists("isa")) isa = ""
if (!exists("steps")) steps = 0
b2s = "099 0999 09999"
b2l = "0.99 0.999 0.9999"
bcol(i) = word("#009E73 #0072B2 #D55E00", i)
arms = "corr unc"
alab(a) = a == 1 ? "corrected" : "uncorrected"
adt(a) = a == 1 ? 1 : 2

do for [fmt in formats] {
    eval term(fmt)
    set output out.".".fmt
    set multiplot title sprintf("Adam with and without bias correction (Kingma and Ba 2015, §3, Fig. 4), scaled:\nfmnist\\_logreg, batch 128, the first %d steps, β1 = 0.9", steps) font ",13"
    set logscale x
    set format x "10^{%L}"
    set xlabel "learning rate α (log scale)"
    set lmargin at screen 0.08
    set rmargin at screen 0.48
    set tmargin at screen 0.86
    set bmargin at screen 0.12
    set logscale y
    set ylabel "largest |Δx_i| / α over the steps"
    set yrange [0.7:500]
    set key inside left top vertical maxrows 3 samplen 2 width 0 spacing 1 font ",9"
    plot for [b=1:3] for [a=1:2] data using "lr":(column("step_".word(b2s,b)."_".word(arms,a))) with linespoints \
            lw 2 dt adt(a) pt 7 ps 0.6 lc rgb bcol(b) title sprintf("β2 %s, %s", word(b2l,b), alab(a)), \
         for [b=1:3] for [a=1:2] data using "lr":(isa eq "" ? NaN : column("step_".word(b2s,b)."_".word(arms,a)."_fp32")) \
            with points pt 6 ps 1.2 lc rgb bcol(b) notitle, \
         1 with lines lw 1 lc rgb "#999999" notitle, \
         sqrt(1000.0) * 0.1 with lines lw 1 dt 3 lc rgb bcol(2) notitle, \
         10 with lines lw 1 dt 3 lc rgb bcol(3) notitle
    set lmargin at screen 0.58
    set rmargin at screen 0.98
    set ylabel "largest loss over the steps (cross-entropy, nats)"
    set autoscale y
    unset key
    plot for [b=1:3] for [a=1:2] data using "lr":(column("loss_".word(b2s,b)."_".word(arms,a))) with linespoints \
            lw 2 dt adt(a) pt 7 ps 0.6 lc rgb bcol(b), \
         for [b=1:3] for [a=1:2] data using "lr":(isa eq "" ? NaN : column("loss_".word(b2s,b)."_".word(arms,a)."_fp32")) \
            with points pt 6 ps 1.2 lc rgb bcol(b)
    unset multiplot
    unset output
}
