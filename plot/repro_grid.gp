# repro_grid.gp — learning rate x weight decay heatmaps, one panel per
# method (Loshchilov & Hutter 2019, Fig. 2: `repro lh_heatmap`; Chen et
# al. 2023: `repro lion_lr_wd`).  Colour: the test loss of each cell (fp64
# reference), clipped at `clip` times the panel's best so that the good
# region stands out; cells that diverged stay white.  White circles: the
# best weight decay of each learning rate in the fit (interpolated),
# joined; the cross: the panel's best cell.
#
# Parameters (besides out/formats/data, see repro_style.gp):
#   title             the figure title
#   label1, label2    the panels' titles
#   wdname1, wdname2  the y labels (the weight decay's meaning per method)
#   clip              colour range top, relative to the best (default 1.3)
# data: index 0 and 1 the grids ("lr,wd,loss", one block per lr), index 2
# and 3 the fits ("lr,best_wd", the rows used), index 4 and 5 the best cells.
_d = ""; do for [_k=1:strlen(ARG0)] { if (ARG0[_k:_k] eq "/") { _d = ARG0[1:_k] } }
load _d."repro_style.gp"
if (!exists("title")) title = "lr x weight decay"
if (!exists("label1")) label1 = "method 1"
if (!exists("label2")) label2 = "method 2"
if (!exists("wdname1")) wdname1 = "weight decay"
if (!exists("wdname2")) wdname2 = "weight decay"
if (!exists("clip")) clip = 1.3
do for [i=1:2] {
    stats data index (i-1) using 3 nooutput
    eval sprintf("best%d = STATS_min", i)
}
set palette defined (0 "#0D0887", 0.25 "#7E03A8", 0.5 "#CC4778", 0.75 "#F89540", 1 "#F0F921")
set pm3d map corners2color c1
set view map

do for [fmt in formats] {
    eval term(fmt)
    set output out.".".fmt
    set multiplot layout 1,2 title title font ",13"
    do for [i=1:2] {
        b = value(sprintf("best%d", i))
        set title (i == 1 ? label1 : label2) font ",12"
        set xlabel "log_{10} learning rate"
        set ylabel (i == 1 ? wdname1 : wdname2)
        set cbrange [b:b*clip]
        set cblabel "test loss (cross-entropy)"
        set format cb "%.3f"
        set key below horizontal samplen 1.5
        plot data index (i-1) using (log10($1)):(log10($2)):($3 > b*clip ? b*clip : $3) with image notitle, \
             data index (i+1) using (log10($1)):(log10($2)) with linespoints lw 2 pt 7 ps 1.2 lc rgb "#FFFFFF" \
                notitle, \
             data index (i+1) using (log10($1)):(log10($2)) with points pt 6 ps 1.2 lw 1 lc rgb "#000000" \
                title "best wd per lr (interpolated)", \
             data index (i+3) using (log10($1)):(log10($2)) with points pt 2 ps 2.5 lw 3 lc rgb "#00C000" \
                title "best cell"
    }
    unset multiplot
    unset output
}
