# repro_schmidt.gp — Schmidt, Schneider & Hennig 2021: the Dolan–Moré
# performance profiles of the tuned comparison (`repro schmidt`): per
# optimizer, the share of problem instances it solves within a factor tau
# of the fastest, drawn as steps; the score integrates each curve from 1
# to r_max (dotted line).
#
# Parameters (besides out/formats/data, see repro_style.gp):
#   rmax   the score's r_max (default 4)
# Columns: tau, sgd_momentum, adam, rmsprop, adagrad.
_d = ""; do for [_k=1:strlen(ARG0)] { if (ARG0[_k:_k] eq "/") { _d = ARG0[1:_k] } }
load _d."repro_style.gp"
if (!exists("rmax")) rmax = 4
names = "sgd_momentum adam rmsprop adagrad"
labels = "SGD-momentum Adam RMSProp AdaGrad"
colname(i) = word(names, i)
col(i) = (i == 1) ? ocol("sgd") : ocol(word(names, i))

do for [fmt in formats] {
    eval term(fmt)
    set output out.".".fmt
    set title "Schmidt, Schneider and Hennig 2021, scaled: performance profiles of a tuned comparison" font ",13"
    set logscale x 2
    set xlabel "τ (runtime within τ × the fastest, gradient evaluations to the target)"
    set ylabel "share of problem instances"
    set yrange [0:1.05]
    set arrow 1 from rmax, graph 0 to rmax, graph 1 nohead dt (2,3) lc rgb "#555555" back
    set label 1 "r_{max}" at rmax, graph 1.02 center
    set key inside right bottom vertical box lc rgb "#BBBBBB" opaque
    plot for [i=1:4] data using "tau":(column(colname(i))) with steps lw 3 lc rgb col(i) title word(labels, i)
    unset output
}
