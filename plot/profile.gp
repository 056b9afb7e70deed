# profile.gp — the curves of `optbench profile`: runtime ECDFs (with
# bootstrapped 95% bands), Dolan–Moré performance profiles and Moré–Wild
# data profiles, one line per optimizer, drawn as steps.
#
# Parameters (besides out/formats/width/height, see style.gp):
#   file    the CSV: x in column 1, then a column per name (and, with
#           bands, <name>_lo and <name>_hi)
#   names   the optimizers, space-separated (column headers of file)
#   bands   1: shade each optimizer's band
#   logx    1: log x axis
#   xlabel, ylabel, title
#   vline   an x to mark with a dotted line (0: none), e.g. r_max
#   vlabel  its label
#   formats may add "isvg": gnuplot's interactive SVG (<out>-interactive.svg:
#           hovering shows coordinates, clicking a key entry toggles its line)
#   runs    overlay: the runs' labels; a name "<opt>@<label>" is drawn in
#           the optimizer's colour with the label's dash pattern
_d = ""; do for [_k=1:strlen(ARG0)] { if (ARG0[_k:_k] eq "/") { _d = ARG0[1:_k] } }
load _d."style.gp"
if (!exists("bands")) bands = 0
if (!exists("logx")) logx = 1
if (!exists("vline")) vline = 0
if (!exists("vlabel")) vlabel = ""
if (!exists("title")) title = "Profile"
if (!exists("xlabel")) xlabel = "x"
if (!exists("ylabel")) ylabel = "share solved"

set title title font ",13" noenhanced
set xlabel xlabel noenhanced
set ylabel ylabel noenhanced
if (logx) { set logscale x; set format x "10^{%L}" } else { unset logscale x; set format x "%g" }
set yrange [0:1.02]
set ytics 0.1
set key outside right top vertical Left reverse samplen 2.5 spacing 1.2 box lc rgb "#BBBBBB" noenhanced
if (vline > 0) {
    set arrow 1 from first vline, graph 0 to first vline, graph 1 nohead lc rgb "#888888" dt 3 lw 1 back
    set label 1 vlabel at first vline, graph 0.04 left offset 0.5, 0 tc rgb "#666666" font ",9" noenhanced
}
if (!exists("runs")) runs = ""
n = words(names)
at(s) = strstrt(s, "@")
base(s) = at(s) > 0 ? s[1:at(s) - 1] : s
dtk(s) = at(s) > 0 && index_of(runs, s[at(s) + 1:]) > 0 ? index_of(runs, s[at(s) + 1:]) : 1
do for [fmt in formats] {
    if (fmt eq "isvg") {
        set terminal svg size width, height mouse standalone enhanced font font_spec linewidth 1 background rgb 'white'
        set output out."-interactive.svg"
    } else {
        eval term(fmt)
        set output out.".".fmt
    }
    if (bands) {
        plot for [k=1:n] file using 1:(column(word(names, k)."_lo")):(column(word(names, k)."_hi")) \
                 with filledcurves fs transparent solid 0.08 noborder lc rgb ocol(base(word(names, k))) notitle, \
             for [k=1:n] file using 1:(column(word(names, k))) with steps lw 2 \
                 lc rgb ocol(base(word(names, k))) dt dtk(word(names, k)) title word(names, k)
    } else {
        plot for [k=1:n] file using 1:(column(word(names, k))) with steps lw 2 \
                 lc rgb ocol(base(word(names, k))) dt dtk(word(names, k)) title word(names, k)
    }
    unset output
}
