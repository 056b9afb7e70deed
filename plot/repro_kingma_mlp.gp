# repro_kingma_mlp.gp — Kingma & Ba 2015 §6.2 / Figure 2, scaled: four
# methods on a multilayer network at tuned learning rates.  Left: the
# training loss at every sample step at each method's best learning rate
# (fp64 wide and light, one fp32 ISA thin on top), from the first sample
# (step 0 is the same start for all).  Right: the tuning, the final loss of every
# learning rate tried (fp64), the chosen one circled.
#
# Parameters (besides out/formats/data, see repro_style.gp):
#   tuning   the tuning CSV: one block per method (gnuplot `index`), "lr,loss"
#   methods  the method names, space-separated, in the order of the blocks
#   label1..label4 their labels;  isa  the fp32 path drawn ("" for none)
#   title, xunit  the figure title and the x label of the left panel
# Columns of data: step, <method>_<path>.
_d = ""; do for [_k=1:strlen(ARG0)] { if (ARG0[_k:_k] eq "/") { _d = ARG0[1:_k] } }
load _d."repro_style.gp"
if (!exists("tuning")) { print "repro_tuned.gp: no tuning file given"; exit status 2 }
if (!exists("isa")) isa = ""
if (!exists("title")) title = "Methods at their tuned learning rates"
if (!exists("xunit")) xunit = "step"
nm = words(methods)
lab(i) = (i == 1 && exists("label1")) ? label1 : (i == 2 && exists("label2")) ? label2 : \
         (i == 3 && exists("label3")) ? label3 : (i == 4 && exists("label4")) ? label4 : word(methods, i)
# The lowest final loss of block i (for the circle).
do for [i=1:nm] {
    stats tuning index (i-1) using 2 nooutput
    eval sprintf("best%d = STATS_min", i)
}
bestof(i) = value(sprintf("best%d", i))
mark(i, y) = (y == bestof(i)) ? y : NaN

do for [fmt in formats] {
    eval term(fmt)
    set output out.".".fmt
    set multiplot title title font ",13"
    set lmargin at screen 0.08
    set rmargin at screen 0.53
    set tmargin at screen 0.88
    set bmargin at screen 0.22
    set xlabel xunit
    set ylabel "training loss (mean cross-entropy, nats)"
    set format y "%g"
    set offsets 0, 0, graph 0.05, graph 0.05
    set key at screen 0.5, 0.06 center center vertical maxrows 2 samplen 2.5 width 1 spacing 1.1
    from1(y) = column("step") >= 1 ? y : NaN
    plot for [i=1:nm] data using "step":(from1(column(word(methods,i)."_reference"))) with linespoints lw 5 pt 7 \
            ps 0.8 lc rgb ocol_wide(word(methods,i)) title lab(i), \
         for [i=1:nm] data using "step":(isa eq "" ? NaN : from1(column(word(methods,i)."_".isa))) with lines \
            lw 1.2 lc rgb ocol(word(methods,i)) notitle, \
         NaN with lines lw 5 lc rgb "#99777777" title "fp64 reference (wide)", \
         NaN with lines lw 1.2 lc rgb "#777777" title (isa eq "" ? "" : "fp32 ".isa." (thin)")
    set offsets 0, 0, graph 0.05, graph 0.05
    set lmargin at screen 0.62
    set rmargin at screen 0.98
    set logscale x
    set format x "10^{%L}"
    set xlabel "learning rate α (log scale)"
    set ylabel "score: mean of the last 3 samples (fp64)"
    unset key
    plot for [i=1:nm] tuning index (i-1) using 1:2 with linespoints lw 2 pt 7 ps 0.7 lc rgb ocol(word(methods,i)), \
         for [i=1:nm] tuning index (i-1) using 1:(mark(i, $2)) with points pt 6 ps 2.4 lw 2 lc rgb ocol(word(methods,i))
    unset logscale x
    unset multiplot
    unset output
}
