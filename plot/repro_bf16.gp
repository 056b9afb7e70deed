# repro_bf16.gp — what each storage format costs (Gupta et al. 2015;
# Zamirai et al. 2020): f − f* against the step for Adam on each problem,
# one line per format, the fp64 reference dashed.  Nearest-rounded bf16
# parameters flatten out where the updates fall below half a bf16 ULP;
# stochastic rounding keeps going.
#
# Parameters (besides out/formats/data, see repro_style.gp):
#   problems  the problems, space-separated (one panel each)
#   fmts      the storage formats, space-separated
# Columns: step, then per problem <problem>_fp64 and <problem>_<format>.
_d = ""; do for [_k=1:strlen(ARG0)] { if (ARG0[_k:_k] eq "/") { _d = ARG0[1:_k] } }
load _d."repro_style.gp"
if (!exists("problems")) { print "repro_bf16.gp: no problems given"; exit status 2 }
if (!exists("fmts")) { print "repro_bf16.gp: no formats given"; exit status 2 }

# One colour and dash per format: the fp32-parameter formats solid, the
# bf16-parameter ones (nearest rounding dashed, stochastic solid) in warm colours.
fmt_colors = "#000000 #0072B2 #56B4E9 #D55E00 #E69F00 #CC79A7 #009E73"
fmt_dash(n) = (n eq "bf16-params" || n eq "bf16") ? 2 : 1
fcol(k) = word(fmt_colors, (k - 1) % words(fmt_colors) + 1)
# f − f* can reach 0 exactly on a log axis: draw it at the floor.
floor = 1e-16
clip(v) = (v != v) ? NaN : (v < floor ? floor : v)

np = words(problems)
do for [fmt in formats] {
    eval term(fmt)
    set output out.".".fmt
    set multiplot layout 1, np title "bf16 and fp16 storage: Adam, lr 1e-3 (f − f* against the step; dashed black: fp64 reference)" font ",13"
    do for [p=1:np] {
        prob = word(problems, p)
        set title prob noenhanced
        set logscale xy
        set format x "10^{%L}"
        set format y "10^{%L}"
        set xlabel "step t"
        set ylabel "f(x_t) − f*"
        set autoscale xfix
        set key bottom left vertical samplen 2 spacing 1.0 font ",9" box lc rgb "#BBBBBB" opaque noenhanced
        plot data using "step":(clip(column(prob."_fp64"))) with lines lw 2 dt 2 lc rgb "#000000" title "fp64 reference", \
             for [k=1:words(fmts)] data using "step":(clip(column(prob."_".word(fmts, k)))) with lines lw 1.6 \
                dt fmt_dash(word(fmts, k)) lc rgb fcol(k) title word(fmts, k)
    }
    unset multiplot
    unset output
}
