# identity.gp — bit-identity across instruction sets: one cell per
# optimizer and ISA, ✓ when that ISA's fp32 path matched the scalar path
# bit for bit (p and every state array) at every step of every case, ✗
# when it did not.
#
# Parameters (besides out/formats, see style.gp):
#   data   CSV: optimizer,<isa>,... with 2 = the scalar path itself (what
#          the others are compared with), 1 = identical, 0 = differs,
#          empty = not run
#   isas   the ISA columns, in order
#   title  the figure title
_d = ""; do for [_k=1:strlen(ARG0)] { if (ARG0[_k:_k] eq "/") { _d = ARG0[1:_k] } }
load _d."style.gp"
if (!exists("title")) title = "Bit-identity with the scalar kernel"
if (!exists("height")) height = 600

ni = words(isas)
stats data using 0 nooutput
nrows = STATS_records

cell_rgb(v) = v == 2 ? 0xE8E8E8 : (v == 1 ? 0xCDEBD3 : (v == 0 ? 0xF6C6C6 : 0xFFFFFF))
cell_mark(v) = v == 1 ? "✓" : (v == 0 ? "✗" : "")
cell_note(v) = v == 2 ? "baseline" : (v == 1 || v == 0 ? "" : "not run")
cell_tc(v) = v == 1 ? 0x1B7F3A : (v == 0 ? 0xB00000 : 0x555555)

set title title font ",13"
unset grid
unset border
unset key
set xrange [0.5:ni + 0.5]
set yrange [nrows - 0.5:-0.5]
set x2tics scale 0 font ",12"
set x2tics (word(isas, 1) 1)
do for [i=2:ni] { set x2tics add (word(isas, i) i) }
unset xtics
set ytics scale 0 font ",12"
set xlabel "each instruction set compared with scalar, bit for bit, at every step of every case" font ",10"
set lmargin 12

do for [fmt in formats] {
    eval term(fmt)
    set output out.".".fmt
    plot for [i=1:ni] data using (i):0:(0.48):(0.46):(cell_rgb(column(word(isas, i)))):ytic(1) \
            with boxxyerror fs solid 1.0 border rgb "#FFFFFF" lc rgb variable, \
         for [i=1:ni] data using (i):0:(cell_mark(column(word(isas, i)))):(cell_tc(column(word(isas, i)))) \
            with labels tc rgb variable font ",28", \
         for [i=1:ni] data using (i):0:(cell_note(column(word(isas, i)))) with labels tc rgb "#666666" font ",11"
    unset output
}
