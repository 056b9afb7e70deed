# monitor.gp — one case: the diagnostics of its fp64 reference path
# (README "Monitoring") against the step, in panels stacked on one shared
# step axis:
#   1. the loss (left axis) and ‖g‖₂ (right axis, log)
#   2. the update-to-weight ratio ‖Δp‖₂/‖p‖₂ (log)
#   3. the learning rate in force (left) and the cycled β1 / momentum (right)
#   4. the effective per-coordinate learning rate: the min–max band and the
#      median (log); only with has_eff (SGD and Lion have none)
#   5. the bias corrections 1 − β1ᵗ, 1 − β2ᵗ and the clipped fraction, all
#      in [0, 1]; only with has_bc1, has_bc2 or has_clip
#   6. the held-out loss beside the training loss (left) and the held-out
#      accuracy (right, in [0, 1]); only with has_heldout (data-driven
#      problems; the held-out columns are empty between the steps where
#      they are evaluated, so those curves are drawn with points)
#   7. a storage format's loss scale (log2, left) and the cumulative
#      skipped steps (right); only with has_scale (run --format)
# A column that is NaN at every step would stop gnuplot ("all points
# undefined"), so optbench report reads the CSV first and passes a flag per
# column; a panel with none of its columns says so instead of plotting.
#
# Parameters (besides out/formats/width/height, see style.gp):
#   file     the case CSV (cases/<case>.csv)
#   opt      its optimizer (the colour)
#   title    the figure title
#   xmax     the last step (the shared x range)
#   logloss  1: the loss is > 0 at every step, drawn on a log axis
#   lrmax    the largest lr in force (the top of its axis; 0: autoscale)
#   skipmax  the last cumulative count of skipped steps (the top of its axis)
#   has_loss, has_gnorm, has_ratio, has_lr, has_cycled,
#   has_eff, has_bc1, has_bc2, has_clip, has_heldout, has_scale
#            1: the column (or the pair) has a finite value
#   kloss    (a storage-format case only) the first kernel path's loss
#            column, drawn beside the reference's loss: the diagnostics come
#            from the fp64 reference, which the format does not touch
#   kfmt     the format's name, for that line's key
_d = ""; do for [_k=1:strlen(ARG0)] { if (ARG0[_k:_k] eq "/") { _d = ARG0[1:_k] } }
load _d."style.gp"
if (!exists("opt")) opt = ""
if (!exists("title")) title = "Monitoring"
if (!exists("xmax")) xmax = 0
if (!exists("logloss")) logloss = 0
if (!exists("lrmax")) lrmax = 0
if (!exists("skipmax")) skipmax = 0
if (!exists("kloss")) kloss = ""
if (!exists("kfmt")) kfmt = ""
do for [_v in "has_loss has_gnorm has_ratio has_lr has_cycled has_eff has_bc1 has_bc2 has_clip has_heldout has_scale"] {
    eval sprintf("if (!exists('%s')) { %s = 0 }", _v, _v)
}

# Values a log axis cannot show leave a gap instead of an error.
pos(y) = (y > 1e-300) ? y : NaN
c_main = ocol(opt)
more = has_heldout || has_scale  # panels 6 and 7 follow: the step axis goes below the last
npanels = 3 + (has_eff ? 1 : 0) + ((has_bc1 || has_bc2 || has_clip) ? 1 : 0) + has_heldout + has_scale

# An empty panel: a frame with a note, from a function drawn below the
# y range (a plot with no defined point at all is an error in gnuplot).
empty_panel(msg) = sprintf("set label 9 '%s' at graph 0.5, graph 0.5 center tc rgb '#777777' font ',10'; " \
    . "unset logscale y; set yrange [0:1]; set ytics ('' 0); plot -1 notitle; unset label 9; set ytics auto", msg)

do for [fmt in formats] {
    eval term(fmt)
    set output out.".".fmt
    set multiplot layout npanels, 1 title title font ",13" noenhanced
    if (xmax > 0) { set xrange [0:xmax] } else { set xrange [0:*] }
    set lmargin 12; set rmargin 12
    set key inside top right Left reverse samplen 2 spacing 1.0 box lc rgb "#BBBBBB" opaque font ",9"
    set format x ""; unset xlabel

    # 1. loss and ‖g‖₂
    unset y2tics; unset logscale y2; set y2range [*:*]
    if (logloss) { set logscale y; set format y "10^{%L}" } else { unset logscale y; set format y "%g" }
    set yrange [*:*]
    set ylabel "loss f(x_t)" font ",10"
    if (has_gnorm) {
        set y2tics nomirror out scale 0.6; set logscale y2; set format y2 "10^{%L}"
        set y2label "‖g‖₂" font ",10"
    } else { unset y2label }
    if (has_loss && has_gnorm && kloss ne "") {
        plot file using "step":(logloss ? pos(column("ref_loss")) : column("ref_loss")) \
                with lines lw 2 lc rgb c_main title "loss (fp64 reference)", \
             file using "step":(logloss ? pos(column(kloss)) : column(kloss)) \
                with lines lw 1.2 lc rgb "#000000" title sprintf("loss (%s kernels, %s)", kloss[1:strlen(kloss)-5], kfmt), \
             file using "step":(pos(column("ref_gnorm"))) axes x1y2 \
                with lines lw 1.3 dt (6,3) lc rgb "#555555" title "‖g‖₂ (right)"
    } else { if (has_loss && has_gnorm) {
        plot file using "step":(logloss ? pos(column("ref_loss")) : column("ref_loss")) \
                with lines lw 2 lc rgb c_main title "loss", \
             file using "step":(pos(column("ref_gnorm"))) axes x1y2 \
                with lines lw 1.3 dt (6,3) lc rgb "#555555" title "‖g‖₂ (right)"
    } else { if (has_loss) {
        plot file using "step":(logloss ? pos(column("ref_loss")) : column("ref_loss")) \
                with lines lw 2 lc rgb c_main title "loss"
    } else { eval empty_panel("no loss recorded") } } }
    unset y2tics; unset y2label; unset logscale y2

    # 2. update-to-weight ratio
    set logscale y; set format y "10^{%L}"; set yrange [*:*]
    set ylabel "‖Δp‖₂ / ‖p‖₂" font ",10"
    if (has_ratio) {
        plot file using "step":(pos(column("upd_ratio"))) with lines lw 1.6 lc rgb c_main title "update / weight"
    } else { eval empty_panel("no update-to-weight ratio (‖p‖ = 0 or no update)") }

    # 3. learning rate in force, cycled β1 / momentum
    # From 0, so that a constant lr (no schedule) is a line, not an empty
    # range; β1 and the momentum lie in [0, 1).
    unset logscale y; set format y "%g"
    if (lrmax > 0) { set yrange [0:lrmax * 1.6] } else { set yrange [0:*] }
    set ylabel "lr in force" font ",10"
    if (has_cycled) {
        set y2tics nomirror out scale 0.6; set format y2 "%g"; set y2range [0:1.05]
        set y2label "β1 / momentum" font ",10"
    }
    if (!has_eff && !(has_bc1 || has_bc2 || has_clip) && !more) { set format x "%g"; set xlabel "step t (iterations)" }
    if (has_lr && has_cycled) {
        plot file using "step":"lr" with lines lw 1.8 lc rgb c_main title "lr", \
             file using "step":"cycled" axes x1y2 with lines lw 1.3 dt (6,3) lc rgb "#555555" \
                title "β1 / momentum (right)"
    } else { if (has_lr) {
        plot file using "step":"lr" with lines lw 1.8 lc rgb c_main title "lr"
    } else { eval empty_panel("no learning rate recorded") } }
    unset y2tics; unset y2label

    # 4. effective per-coordinate learning rate
    if (has_eff) {
        set logscale y; set format y "10^{%L}"; set yrange [*:*]
        set ylabel "effective lr" font ",10"
        if (!(has_bc1 || has_bc2 || has_clip) && !more) { set format x "%g"; set xlabel "step t (iterations)" }
        plot file using "step":(pos(column("eff_lr_min"))):(pos(column("eff_lr_max"))) \
                with filledcurves fs transparent solid 0.25 noborder lc rgb c_main title "min–max over coordinates", \
             file using "step":(pos(column("eff_lr_med"))) with lines lw 1.8 lc rgb c_main title "median"
    }

    # 5. bias corrections and the clipped fraction
    if (has_bc1 || has_bc2 || has_clip) {
        unset logscale y; set format y "%g"; set yrange [0:1.05]
        set ylabel "factor / fraction" font ",10"
        if (!more) { set format x "%g"; set xlabel "step t (iterations)" }
        # Only the columns present go into the plot command (a file with
        # no defined point stops gnuplot).
        _p = ""
        if (has_bc1) { _p = _p . ", file using 'step':'bc1' with lines lw 1.6 lc rgb '#0072B2' title 'bc1 = 1 − β1^t'" }
        if (has_bc2) { _p = _p . ", file using 'step':'bc2' with lines lw 1.6 lc rgb '#009E73' title 'bc2 = 1 − β2^t'" }
        if (has_clip) { _p = _p . ", file using 'step':'clipped' with lines lw 1.6 lc rgb '#CC79A7' title 'clipped fraction'" }
        eval "plot " . _p[3:]
    }

    # 6. held-out loss and accuracy beside the training loss
    if (has_heldout) {
        unset logscale y; set format y "%g"; set yrange [*:*]
        set ylabel "loss" font ",10"
        # Headroom above the curves for the key, in one row at the top.
        set offsets 0, 0, graph 0.3, 0
        set key horizontal maxrows 1 inside top center
        set y2tics 0, 0.2, 1 nomirror out scale 0.6; set format y2 "%g"; set y2range [0:1.45]
        set y2label "held-out accuracy" font ",10"
        if (!has_scale) { set format x "%g"; set xlabel "step t (iterations)" }
        plot file using "step":"ref_loss" with lines lw 2 lc rgb c_main title "training loss", \
             file using "step":"heldout_loss" with linespoints lw 1.4 pt 7 ps 0.45 lc rgb "#222222" \
                title "held-out loss", \
             file using "step":"heldout_acc" axes x1y2 with linespoints lw 1.3 dt (6,3) pt 6 ps 0.45 \
                lc rgb "#555555" title "held-out accuracy (right)"
        unset y2tics; unset y2label; set offsets 0, 0, 0, 0
        set key vertical maxrows auto inside top right
    }

    # 7. loss scale and skipped steps (a storage format with fp16 gradients)
    if (has_scale) {
        # Offsets keep the lowest and highest scale off the frame.
        set logscale y 2; set format y "2^{%L}"; set yrange [*:*]; set offsets 0, 0, graph 0.08, graph 0.08
        set ylabel "loss scale" font ",10"
        set y2tics nomirror out scale 0.6; set format y2 "%g"
        if (skipmax > 0) { set y2range [0:skipmax * 1.15] } else { set y2range [0:1] }
        set y2label "skipped steps (cumulative)" font ",10"
        set format x "%g"; set xlabel "step t (iterations)"
        plot file using "step":"loss_scale" with steps lw 2 lc rgb c_main title "loss scale in force", \
             file using "step":"skipped" axes x1y2 with steps lw 1.3 dt (6,3) lc rgb "#555555" \
                title "skipped steps (right)"
        unset y2tics; unset y2label; unset logscale y; set offsets 0, 0, 0, 0
    }
    unset multiplot
    unset output
}
