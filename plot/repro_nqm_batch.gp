# repro_nqm_batch.gp — Zhang et al. 2019 §4, Figures 1 and 3: on the noisy
# quadratic model, the fewest steps to the target against the batch size
# (each batch size with its own tuned lr, from the moment recurrences) for
# SGD, heavy-ball momentum and preconditioned SGD; the dotted lines are
# perfect scaling (steps at B = 1 divided by B), the circles the critical
# batch sizes.  Right: the tuned lr.
#
# Parameters (besides out/formats/data, see repro_style.gp): none.
# Columns: batch, then per config (sgd, momentum, precond) _steps, _rel, _lr, _crit.
_d = ""; do for [_k=1:strlen(ARG0)] { if (ARG0[_k:_k] eq "/") { _d = ARG0[1:_k] } }
load _d."repro_style.gp"
cfgs = "sgd momentum precond"
clabels = "'SGD' 'heavy-ball momentum 0.9' 'preconditioned H^{-0.5}'"
ccol(i) = word("#000000 #56B4E9 #D55E00", i)
do for [i=1:3] {
    stats data using (column("batch") == 1 ? column(word(cfgs,i)."_steps") : NaN) nooutput
    eval sprintf("s1_%d = STATS_max", i)
}
s1(i) = value(sprintf("s1_%d", i))

do for [fmt in formats] {
    eval term(fmt)
    set output out.".".fmt
    set multiplot title "Noisy quadratic model (Zhang et al. 2019, §4): steps to E[l] = 0.1 against batch size, lr tuned per batch size" font ",13"
    set logscale xy 2
    set format x "2^{%L}"
    set format y "10^{%T}"
    set logscale y 10
    set xlabel "batch size B"
    set lmargin at screen 0.08
    set rmargin at screen 0.6
    set tmargin at screen 0.9
    set bmargin at screen 0.12
    set ylabel "fewest steps to the target (closed form)"
    set yrange [1:*]
    set key inside right top vertical samplen 2.5 spacing 1.1 box lc rgb "#BBBBBB" opaque
    plot for [i=1:3] data using "batch":(column(word(cfgs,i)."_steps")) with linespoints lw 2 pt 7 ps 0.7 lc rgb ccol(i) \
            title word(clabels, i), \
         for [i=1:3] data using "batch":(s1(i)/column("batch")) with lines lw 1 dt 3 lc rgb ccol(i) notitle, \
         for [i=1:3] data using "batch":(column(word(cfgs,i)."_crit") == 1 ? column(word(cfgs,i)."_steps") : NaN) \
            with points pt 6 ps 2.5 lw 2 lc rgb ccol(i) notitle, \
         NaN with lines lw 1 dt 3 lc rgb "#777777" title "perfect scaling (steps at B = 1) / B", \
         NaN with points pt 6 ps 2 lw 2 lc rgb "#777777" title "critical batch size (B x steps ≤ 1.5x)"
    set lmargin at screen 0.7
    set rmargin at screen 0.98
    set ylabel "tuned lr"
    set autoscale y
    set format y "10^{%T}"
    unset key
    plot for [i=1:3] data using "batch":(column(word(cfgs,i)."_lr")) with linespoints lw 2 pt 7 ps 0.6 lc rgb ccol(i)
    unset multiplot
    unset output
}
