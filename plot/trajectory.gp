# trajectory.gp — a 2-D problem: contour lines of f with the path of each
# optimizer's fp32 kernel drawn over them, x0 and x* marked.
#
# Parameters (besides out/formats, see style.gp):
#   grid    f on a regular grid (x,y,f,z rows; a blank line after each x),
#           written by `optbench report`; z = log10(1 + f − min f) is what
#           the contours and the shading follow, so that narrow valleys
#           and wide plateaus both get lines
#   files   case CSVs with <isa>_x1,<isa>_x2 columns, space-separated
#   names   the optimizer of each file
#   isa     the fp32 path drawn
#   x0, xstar    "x,y" of the start and of the known minimiser ("" if none)
#   xmin, xmax, ymin, ymax   the window (the grid covers exactly this)
#   title   the figure title
_d = ""; do for [_k=1:strlen(ARG0)] { if (ARG0[_k:_k] eq "/") { _d = ARG0[1:_k] } }
load _d."style.gp"
if (!exists("title")) title = "Trajectories"
if (!exists("xstar")) xstar = ""

# Contour lines, computed once into a table and drawn as a 2-D plot so that
# the paths and the key sit on top of them.
set table $contour_table
set contour base
set cntrparam levels 16
unset surface
set view map
splot grid using 1:2:4 with lines
unset table
unset contour
set surface
# `set table` writes with spaces whatever the separator; the paths' CSVs
# need commas in the same plot, so the table is rewritten with commas.
set print $contours
do for [_i=1:|$contour_table|] {
    _l = $contour_table[_i]
    if (words(_l) < 2 || _l[1:1] eq "#") { print "" } else { print word(_l, 1).",".word(_l, 2) }
}
unset print

coord(s, k) = real(word(s[1:strstrt(s, ",")-1]." ".s[strstrt(s, ",")+1:], k))

set title title font ",13" noenhanced
set xlabel "x_1"
set ylabel "x_2"
set xrange [xmin:xmax] noextend
set yrange [ymin:ymax] noextend
set size ratio -1
set palette defined (0 "#FFFFFF", 1 "#E8EEF6", 2 "#C9D7EA", 3 "#A3BCDB", 4 "#7C9FC9")
set cbrange [0:*]
set cblabel "log_{10}(1 + f − f_{min})" offset 1,0
set colorbox user origin graph 1.03, graph 0 size character 1.5, graph 1
set cbtics out nomirror scale 0.6
set grid front lc rgb "#FFFFFF" lw 0.5 dt 3
set key at screen 0.80, graph 1 left top vertical Left reverse samplen 2.5 spacing 1.2 box lc rgb "#BBBBBB" width 1
set lmargin at screen 0.08
set rmargin at screen 0.66

n = words(files)
do for [fmt in formats] {
    eval term(fmt)
    set output out.".".fmt
    # The markers go under the paths (a path that barely moves stays
    # visible), and into the key after them.
    plot grid using 1:2:4 with image notitle, \
         $contours using 1:2 with lines lw 0.7 lc rgb "#6F84A3" notitle, \
         "+" using (coord(x0, 1)):(coord(x0, 2)) every ::0::0 with points pt 7 ps 1.3 lc rgb "#000000" notitle, \
         "+" using (xstar eq "" ? NaN : coord(xstar, 1)):(xstar eq "" ? NaN : coord(xstar, 2)) every ::0::0 \
            with points pt 3 ps 2.2 lw 2.5 lc rgb "#C00000" notitle, \
         for [i=1:n] word(files, i) using (column(isa."_x1")):(column(isa."_x2")) \
            with lines lw 2 lc rgb ocol(word(names, i)) title word(names, i), \
         keyentry with points pt 7 ps 1.3 lc rgb "#000000" title "x_0 (start)", \
         keyentry with points pt 3 ps 2.2 lw 2.5 lc rgb "#C00000" title (xstar eq "" ? "" : "x* (minimum)")
    unset output
}
