# repro_style.gp — the frame of the `optbench repro` figures (plot/repro_*.gp).
#
# Every repro script loads this file from its own folder, then loops
# `do for [fmt in formats] { eval term(fmt); set output out.".".fmt; ... }`
# so one gnuplot process writes the PNG and the SVG of a figure.
# optbench runs gnuplot inside <run-dir>/repro/, so file names are bare.
#
# Parameters (gnuplot -e "out='name'; data='name.csv'; ..."):
#   out      output path without the extension (required)
#   formats  "png svg" (default) or "png"
#   data     the entry's CSV (each script says which columns it reads)
if (!exists("out")) { print "repro plot: no output given (gnuplot -e \"out='name'\")"; exit status 2 }
if (!exists("data")) { print "repro plot: no data file given (gnuplot -e \"data='name.csv'\")"; exit status 2 }
if (!exists("formats")) formats = "png svg"

font_spec = "DejaVu Sans,11"
term(f) = (f eq "svg") \
    ? sprintf("set terminal svg size 1000,600 dynamic enhanced font '%s' linewidth 1 background rgb 'white'", font_spec) \
    : sprintf("set terminal pngcairo size 1000,600 enhanced font '%s' linewidth 1 background rgb 'white'", font_spec)

set datafile separator ","
set datafile missing ""
set encoding utf8

# Colour-blind-safe colours (Okabe & Ito 2008), one per optimizer, the
# same as the rest of optbench's figures; black for SGD / GD.
opt_names  = "sgd adagrad rmsprop adam adamw amsgrad nesterov heavyball"
opt_colors = "#000000 #E69F00 #009E73 #D55E00 #0072B2 #CC79A7 #56B4E9 #999999"
index_of(list, n) = sum [k=1:words(list)] (word(list, k) eq n ? k : 0)
ocol(n) = index_of(opt_names, n) > 0 ? word(opt_colors, index_of(opt_names, n)) : "#7F7F7F"
# The same colour, 60% transparent (gnuplot's "#AARRGGBB"): the wide fp64
# line under the thin fp32 line of the same optimizer, so that both stay
# visible where they coincide.
ocol_wide(n) = "#99".ocol(n)[2:7]

set grid back lc rgb "#E3E3E3" lw 1 dt solid
set border 3 back lc rgb "#444444"
set tics nomirror out scale 0.6
set key noautotitle
