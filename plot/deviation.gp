# deviation.gp — how far each fp32 trajectory drifts from the fp64
# reference trajectory over the steps, ‖x_fp32 − x_fp64‖ / ‖x_fp64‖, for a
# few problems (one panel each), with the 1e-3 threshold the run reports.
#
# Parameters (besides out/formats, see style.gp):
#   npanels          1 to 4
#   files<k>, names<k>, ptitle<k>   panel k: case CSVs, their optimizers,
#                    the panel's title
#   allnames         every optimizer drawn (for the shared key)
#   isa              the fp32 path drawn (column <isa>_dev)
#   threshold        the deviation the run flags (default 1e-3)
#   title            the figure title
_d = ""; do for [_k=1:strlen(ARG0)] { if (ARG0[_k:_k] eq "/") { _d = ARG0[1:_k] } }
load _d."style.gp"
if (!exists("title")) title = "fp32 trajectory deviation from the fp64 reference"
if (!exists("threshold")) threshold = 1e-3

# Panel positions: a grid of up to 2 x 2 on the left, the key on the right.
ncols = npanels > 1 ? 2 : 1
nrows = npanels > 2 ? 2 : 1
pl = 0.08; pr = 0.80; pb = 0.09; pt = 0.88; gx = 0.08; gy = 0.15
pw = (pr - pl - (ncols - 1) * gx) / ncols
ph = (pt - pb - (nrows - 1) * gy) / nrows
# Deviations of exactly 0 (identical so far) cannot sit on a log axis;
# below 1e-10 (a hundredth of an fp32 rounding) a deviation is noise, so
# the axis stops there.
yval(y) = y > 0 ? y : NaN
ylow = 1e-10

do for [fmt in formats] {
    eval term(fmt)
    set output out.".".fmt
    set multiplot title title font ",13"
    set logscale y
    set format y "10^{%L}"
    set xrange [0:*]
    set key off
    set xlabel "step t" offset 0, 0.5
    set ylabel "relative deviation" offset 1, 0
    set yrange [ylow:*]
    do for [k=1:npanels] {
        c = (k - 1) % ncols; r = (k - 1) / ncols
        set lmargin at screen pl + c * (pw + gx)
        set rmargin at screen pl + c * (pw + gx) + pw
        set tmargin at screen pt - r * (ph + gy)
        set bmargin at screen pt - r * (ph + gy) - ph
        set title value("ptitle".k) font ",11" offset 0, -0.6 noenhanced
        f = value("files".k); nm = value("names".k)
        plot for [i=1:words(f)] word(f, i) using "step":(yval(column(isa."_dev"))) \
            with lines lw 1.8 lc rgb ocol(word(nm, i)), \
            threshold with lines lw 1.2 dt 3 lc rgb "#C00000"
    }
    # The shared key, drawn by an empty plot at the right.
    unset title
    set lmargin at screen pr + 0.02
    set rmargin at screen 0.99
    set tmargin at screen pt
    set bmargin at screen pb
    unset border; unset tics; unset xlabel; unset ylabel; unset grid
    set xrange [0:1]; set yrange [0:1]; unset logscale y
    set key inside left top vertical Left reverse samplen 2 spacing 1.3 box lc rgb "#BBBBBB"
    plot for [i=1:words(allnames)] NaN with lines lw 1.8 lc rgb ocol(word(allnames, i)) title word(allnames, i), \
         NaN with lines lw 1.2 dt 3 lc rgb "#C00000" title sprintf("threshold %g", threshold)
    unset multiplot
    unset output
    set border 3; set tics; set grid
}
