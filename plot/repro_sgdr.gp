# repro_sgdr.gp — Loshchilov & Hutter 2017 (SGDR), scaled down: top, f - f*
# after every epoch for warm restarts, a constant and a step schedule, each
# at its tuned lr (fp64 wide and light, one fp32 ISA thin on top), with the
# target (the baselines' best final f - f*) as a dashed line; bottom, the
# lr each schedule uses at the end of every epoch.
#
# Parameters (besides out/formats/data, see repro_style.gp):
#   isa     the fp32 path drawn ("" for none)
#   epochs  the budget (for the title)
# Columns: epoch, <schedule>_<path> (sgdr, constant, step), <schedule>_lr, target.
_d = ""; do for [_k=1:strlen(ARG0)] { if (ARG0[_k:_k] eq "/") { _d = ARG0[1:_k] } }
load _d."repro_style.gp"
if (!exists("isa")) isa = ""
if (!exists("epochs")) epochs = 0
scheds = "sgdr constant step"
slabels = "'SGDR (cosine, warm restarts)' 'constant' 'step (×0.2 every 30%)'"
scol(i) = word("#D55E00 #000000 #0072B2", i)
scol_wide(i) = "#99".scol(i)[2:7]
from1(y) = column("epoch") >= 1 ? y : NaN

do for [fmt in formats] {
    eval term(fmt)
    set output out.".".fmt
    set multiplot title sprintf("SGDR (Loshchilov and Hutter 2017), scaled:\nquadratic\\_deep, SGD Nesterov 0.9, %d epochs, lr tuned per schedule", epochs) font ",13"
    set lmargin at screen 0.1
    set rmargin at screen 0.97
    set tmargin at screen 0.87
    set bmargin at screen 0.42
    set logscale y
    set format y "10^{%L}"
    set format x ""
    set xrange [0:epochs]
    set ylabel "f - f* (objective units)"
    set key inside right top vertical samplen 2.5 spacing 1.1 box lc rgb "#BBBBBB" opaque
    plot for [i=1:3] data using "epoch":(from1(column(word(scheds,i)."_reference"))) with lines lw 5 \
            lc rgb scol_wide(i) title word(slabels, i), \
         for [i=1:3] data using "epoch":(isa eq "" ? NaN : from1(column(word(scheds,i)."_".isa))) with lines \
            lw 1.2 lc rgb scol(i) notitle, \
         data using "epoch":"target" with lines lw 1.5 dt 2 lc rgb "#555555" title "target: the baselines' best final f - f*", \
         NaN with lines lw 1.2 lc rgb "#777777" title (isa eq "" ? "" : "fp32 ".isa." (thin), fp64 (wide)")
    unset logscale y
    set tmargin at screen 0.38
    set bmargin at screen 0.1
    set format x "%g"
    set format y "%.2g"
    set xlabel "epoch (passes over the 1000 data points)"
    set ylabel "lr at the epoch's end"
    unset key
    plot for [i=1:3] data using "epoch":(column(word(scheds,i)."_lr")) with steps lw 1.5 lc rgb scol(i)
    unset multiplot
    unset output
}
