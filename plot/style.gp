# style.gp — the look every optbench figure shares: terminals, fonts,
# colours per optimizer and per instruction set, and small helpers.
#
# Each figure script loads this file first (from its own folder) and then
# loops `do for [fmt in formats]`, so one gnuplot process writes both the
# PNG and the SVG of a figure from one set of plot commands.
#
# Parameters every script accepts (gnuplot -e "out='...'; ..." script.gp):
#   out      output path without the extension (required)
#   formats  "png svg" (default), or just "png"
#   width, height   size in pixels (defaults 1000 x 600)

if (!exists("out")) { print "optbench plot: no output given (gnuplot -e \"out='figures/name'\")"; exit status 2 }
if (!exists("formats")) formats = "png svg"
if (!exists("width")) width = 1000
if (!exists("height")) height = 600

font_spec = "DejaVu Sans,11"
# `eval term(fmt)` selects the terminal; the SVG is the same picture at the
# same size, with text that stays text.
term_opts = " enhanced font '%s' linewidth 1 background rgb 'white'"
term(f) = (f eq "svg") \
    ? sprintf("set terminal svg size %d,%d dynamic".term_opts, width, height, font_spec) \
    : sprintf("set terminal pngcairo size %d,%d".term_opts, width, height, font_spec)

set datafile separator ","
set datafile missing ""
# Every CSV optbench writes starts with a header line naming the columns.
set datafile columnheaders
set encoding utf8

# ---- colours: one per optimizer and one per ISA, the same in every figure.
# opt_names is the optimizer table's order (optbench report passes it, so
# that an optimizer added to the table gets the next colour everywhere);
# the colours are colour-blind-safe (Okabe & Ito 2008) as far as they go,
# then distinct hues; black for the SGD baseline; they cycle after twelve.
if (!exists("opt_names")) opt_names = "sgd adagrad rmsprop adam adamw amsgrad"
opt_colors = "#000000 #E69F00 #009E73 #D55E00 #0072B2 #CC79A7 #56B4E9 #882255 #999933 #7B3FA0 #8C564B #17BECF"
isa_names  = "scalar avx2 avx512"
isa_colors = "#999999 #56B4E9 #D55E00"
peer_colors = "#009E73 #CC79A7 #E69F00 #0072B2 #000000"
# Index of a name in a list (0 if absent), and its colour.
index_of(list, n) = sum [k=1:words(list)] (word(list, k) eq n ? k : 0)
ocol(n) = index_of(opt_names, n) > 0 \
    ? word(opt_colors, (index_of(opt_names, n) - 1) % words(opt_colors) + 1) : "#7F7F7F"
icol(n) = index_of(isa_names, n) > 0 ? word(isa_colors, index_of(isa_names, n)) : word(peer_colors, 1)

# ---- common frame: light grid behind the data, ticks outward.
set grid back lc rgb "#E3E3E3" lw 1 dt solid
set border 3 back lc rgb "#444444"
set tics nomirror out scale 0.6
set key noautotitle
set style fill solid 0.9 border rgb "#333333"
set format y "%g"

# Series keys (throughput, speed-up, memory, agreement):
#   "isa:<name>"   the ISA's colour; "isa~:<name>" a lighter shade of it
#                  (an approximate variant beside the exact one)
#   "peer:<k>"     the k-th peer colour
#   "seq:<k>"      the k-th colour of a plain sequence
#   anything else  dark grey (the measured memory ceiling)
isa_light = "#CCCCCC #B3DEF6 #F0B48A"
seq_colors = "#0072B2 #56B4E9 #E69F00 #009E73 #CC79A7"
pcol(k) = word(peer_colors, (k - 1) % words(peer_colors) + 1)
icol_light(n) = index_of(isa_names, n) > 0 ? word(isa_light, index_of(isa_names, n)) : "#DDDDDD"
scol(key) = key[1:4] eq "isa:" ? icol(key[5:]) : \
            key[1:5] eq "isa~:" ? icol_light(key[6:]) : \
            key[1:5] eq "peer:" ? pcol(int(key[6:])) : \
            key[1:4] eq "seq:" ? word(seq_colors, int(key[5:])) : "#444444"
