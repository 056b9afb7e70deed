# profile_score.gp — the AlgoPerf-style score of each optimizer (the area
# under its performance profile up to r_max, normalised to [0, 1]) with
# its bootstrapped 95% interval (drawn over a white halo, so that it shows
# on the black SGD bar too), best first.
#
# Parameters (besides out/formats/width/height, see style.gp):
#   file    the CSV: rank,solver,score,lo,hi,solved (sorted by rank)
#   names   the solvers in the file's order (for their colours;
#           "<opt>@<run>" in an overlay: the optimizer's colour)
#   formats may add "isvg" (<out>-interactive.svg, as in profile.gp)
#   title
_d = ""; do for [_k=1:strlen(ARG0)] { if (ARG0[_k:_k] eq "/") { _d = ARG0[1:_k] } }
load _d."style.gp"
if (!exists("title")) title = "Score"
at(s) = strstrt(s, "@")
base(s) = at(s) > 0 ? s[1:at(s) - 1] : s
set title title font ",13" noenhanced
set ylabel "score (area under the performance profile, 1 = always fastest)"
set yrange [0:1.05]
set ytics 0.1
set xrange [0.4:*]
set boxwidth 0.7
set xtics rotate by -35 noenhanced
set style fill solid 0.85 border rgb "#333333"
do for [fmt in formats] {
    if (fmt eq "isvg") {
        set terminal svg size width, height mouse standalone enhanced font font_spec linewidth 1 background rgb 'white'
        set output out."-interactive.svg"
    } else {
        eval term(fmt)
        set output out.".".fmt
    }
    plot for [k=1:words(names)] file every ::k-1::k-1 using 1:3:xtic(2) with boxes \
             lc rgb ocol(base(word(names, k))) notitle, \
         file using 1:3:4:5 with yerrorbars lc rgb "#FFFFFF" pt 0 lw 4 notitle, \
         file using 1:3:4:5 with yerrorbars lc rgb "#222222" pt 0 lw 1.5 notitle
    unset output
}
