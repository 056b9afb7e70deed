# repro_rates.gp — rate bounds on strongly convex quadratics: one panel per
# condition number kappa; per method the observed error (fp64 wide and
# light, one fp32 ISA thin) and its bound (dashed), both relative to the
# bound's initial quantity, against the step (log-log).
#   GD 2/(L+mu), heavy ball: ||x_k|| / ||x_0||
#   GD 1/L:   (f_k - f*) / (L ||x_0||^2 / 2)
#   Nesterov: (f_k - f*) / (f_0 - f* + mu ||x_0||^2 / 2)
#
# Parameters (besides out/formats/data, see repro_style.gp):
#   isa     the fp32 path drawn ("" for none)
# Columns: step, k<kappa>_<method>_<path>, k<kappa>_<method>_bound for
# kappa in 10 100 1000 and method in gd gd_1L heavy_ball nesterov.
_d = ""; do for [_k=1:strlen(ARG0)] { if (ARG0[_k:_k] eq "/") { _d = ARG0[1:_k] } }
load _d."repro_style.gp"
if (!exists("isa")) isa = ""
ks = "10 100 1000"
ms = "gd gd_1L heavy_ball nesterov"
mcolors = "#000000 #999999 #009E73 #0072B2"
mwide = "#99000000 #99999999 #99009E73 #990072B2"
mlabel(i) = word("GD_{2/(L+μ)} GD_{1/L} heavy-ball Nesterov", i)
pos(y) = (y > 0) ? y : NaN

do for [fmt in formats] {
    eval term(fmt)
    set output out.".".fmt
    set multiplot title "Rate bounds on strongly convex quadratics (n = 100, SGD kernel, torch semantics)" font ",13"
    set logscale xy
    set format x "10^{%L}"
    set format y "10^{%L}"
    set xlabel "step k (iterations)"
    set yrange [1e-13:10]
    set autoscale xfix
    unset key
    do for [j=1:3] {
        kap = word(ks, j)
        set lmargin at screen 0.07 + (j - 1) * 0.31
        set rmargin at screen 0.07 + (j - 1) * 0.31 + 0.27
        set tmargin at screen 0.86
        set bmargin at screen 0.24
        set title sprintf("κ = L/μ = %s", kap) font ",12"
        if (j == 1) { set ylabel "error relative to the bound's initial quantity" } else { unset ylabel }
        plot for [i=1:4] data using "step":(pos(column("k".kap."_".word(ms,i)."_reference"))) \
                with lines lw 5 lc rgb word(mwide, i), \
             for [i=1:4] data using "step":(isa eq "" ? NaN : pos(column("k".kap."_".word(ms,i)."_".isa))) \
                with lines lw 1 lc rgb word(mcolors, i), \
             for [i=1:4] data using "step":(pos(column("k".kap."_".word(ms,i)."_bound"))) \
                with lines lw 1.5 dt (6,4) lc rgb word(mcolors, i)
    }
    # The legend, in a strip of its own across the bottom.
    unset title
    unset xlabel
    unset ylabel
    unset logscale xy
    unset border
    unset tics
    unset grid
    set xrange [0:1]
    set yrange [0:1]
    set lmargin at screen 0.02
    set rmargin at screen 0.98
    set tmargin at screen 0.11
    set bmargin at screen 0.01
    set key at screen 0.5, 0.065 center center horizontal maxrows 2 samplen 2.5 width 1 spacing 1.2
    plot for [i=1:4] NaN with lines lw 5 lc rgb word(mcolors, i) title mlabel(i), \
         NaN with lines lw 5 lc rgb "#99777777" title "observed, fp64 (wide, light)", \
         NaN with lines lw 1 lc rgb "#777777" title (isa eq "" ? "" : "observed, fp32 ".isa." (thin)"), \
         NaN with lines lw 1.5 dt (6,4) lc rgb "#555555" title "bound (dashed)"
    unset multiplot
    unset output
    set border 3
    set tics
    set grid
    unset xrange
    unset yrange
}
