# bars.gp — grouped bars: one group per row of a CSV, one bar per series,
# each bar labelled with its value; optionally a marker per group (the
# documented bound of the agreement figure), a reference line (speed-up 1)
# and two panels side by side (two CSV blocks, e.g. a small and a large
# size).  Used for agreement, speed-up and memory.
#
# Parameters (besides out/formats, see style.gp):
#   data     CSV: first column the group's name, then one column per series
#            (empty = no bar); with panels=2, two blocks separated by two
#            blank lines, each with its header
#   cols     the series' column names, in order
#   titles   their names in the key (default: cols); "_" stands for a space
#   keys     their colour keys (style.gp scol: "isa:avx2", "seq:1", ...)
#   mark     a column drawn as a short red line over each group ("" none)
#   marktitle  its key entry
#   ref      a dashed horizontal line at this value (0: none), reftitle
#   labelfmt sprintf format of the value labels ("" none)
#   labelcols  columns holding the label text of each series instead (for
#            values a bar cannot show, e.g. "∞" drawn as a capped bar)
#   panels   1 or 2; ptitle1, ptitle2 the panels' titles
#   xlabel, ylabel, title
_d = ""; do for [_k=1:strlen(ARG0)] { if (ARG0[_k:_k] eq "/") { _d = ARG0[1:_k] } }
load _d."style.gp"
if (!exists("title")) title = ""
if (!exists("titles")) titles = cols
if (!exists("mark")) mark = ""
if (!exists("marktitle")) marktitle = mark
if (!exists("ref")) ref = 0
if (!exists("reftitle")) reftitle = ""
if (!exists("labelfmt")) labelfmt = "%.2f"
if (!exists("labelcols")) labelcols = ""
if (!exists("panels")) panels = 1
if (!exists("xlabel")) xlabel = ""
if (!exists("ylabel")) ylabel = ""

ns = words(cols)
stats data index 0 using 0 nooutput
ngroups = STATS_records
bw = 0.8 / ns                       # the bars of a group fill 0.8 of its slot
xoff(i) = (i - 1 - (ns - 1) / 2.0) * bw
spaced(s) = (s eq "") ? s : (strstrt(s, "_") ? spaced(s[1:strstrt(s, "_")-1]." ".s[strstrt(s, "_")+1:]) : s)
lab(i, v) = labelcols ne "" ? strcol(word(labelcols, i)) : (labelfmt eq "" ? "" : sprintf(labelfmt, v))

set xlabel xlabel
set ylabel ylabel
set yrange [0:*]
set offsets 0.6, 0.6, graph 0.14, 0
set xtics scale 0 noenhanced
set boxwidth bw
set grid noxtics ytics
set key noenhanced

# The key's entries and rows (four a row) in the two-panel layout.
keyentries = ns + (reftitle ne "" ? 1 : 0) + (mark ne "" ? 1 : 0)
keyrows = int((keyentries + 3) / 4)
keyrows = keyrows < 1 ? 1 : keyrows

do for [fmt in formats] {
    eval term(fmt)
    set output out.".".fmt
    if (panels > 1) {
        # One key for both panels, between the title and the panels: two
        # rows, as many columns as it takes, the panels lowered by a row
        # for each row past the first (plugin kernels add entries).
        set multiplot title title font ",13" noenhanced
        set key at screen 0.5, 0.905 center top vertical maxrows keyrows Left reverse samplen 1.5 width 2 \
            box lc rgb "#BBBBBB"
        set xtics rotate by 30 right
    } else {
        set title title font ",13" noenhanced
        set key outside right top vertical Left reverse samplen 1.5 spacing 1.2 box lc rgb "#BBBBBB"
        # Names of many groups would run into each other.
        if (ngroups > 7) { set xtics rotate by 30 right }
    }
    do for [k=1:panels] {
        if (panels > 1) {
            set lmargin at screen 0.07 + (k - 1) * 0.48
            set rmargin at screen 0.07 + (k - 1) * 0.48 + 0.41
            set tmargin at screen 0.78 - 0.045 * (keyrows - 1)
            set bmargin at screen 0.16
            set title value("ptitle".k) font ",11" noenhanced
            if (k > 1) { unset key }
        }
        # Without a mark its two clauses are left out rather than fed NaN:
        # gnuplot 5.4 is killed by SIGSEGV drawing a "with labels" clause
        # whose every point is NaN when the data have a single group (a
        # bench of one optimizer).
        if (mark eq "") {
            plot for [i=1:ns] data index (k - 1) using ($0 + xoff(i)):(column(word(cols, i))) \
                    with boxes lc rgb scol(word(keys, i)) title spaced(word(titles, i)), \
                 for [i=1:ns] data index (k - 1) \
                    using ($0 + xoff(i)):(column(word(cols, i))):(lab(i, column(word(cols, i)))) \
                    with labels rotate by 90 left offset 0, 0.4 font ",8" tc rgb "#333333" notitle, \
                 data index (k - 1) using ($0):(NaN):xtic(1) notitle, \
                 (ref != 0 ? ref : NaN) with lines dt 2 lw 1.5 lc rgb "#444444" title reftitle
        } else {
            plot for [i=1:ns] data index (k - 1) using ($0 + xoff(i)):(column(word(cols, i))) \
                    with boxes lc rgb scol(word(keys, i)) title spaced(word(titles, i)), \
                 for [i=1:ns] data index (k - 1) \
                    using ($0 + xoff(i)):(column(word(cols, i))):(lab(i, column(word(cols, i)))) \
                    with labels rotate by 90 left offset 0, 0.4 font ",8" tc rgb "#333333" notitle, \
                 data index (k - 1) using ($0 - 0.45):(column(mark)):(0.9):(0) \
                    with vectors nohead lw 2.5 lc rgb "#C00000" title marktitle, \
                 data index (k - 1) using ($0):(column(mark)):(sprintf("%g", column(mark))) \
                    with labels offset 0, 0.8 font ",9" tc rgb "#C00000" notitle, \
                 data index (k - 1) using ($0):(NaN):xtic(1) notitle, \
                 (ref != 0 ? ref : NaN) with lines dt 2 lw 1.5 lc rgb "#444444" title reftitle
        }
    }
    if (panels > 1) { unset multiplot }
    unset output
}
