// bench_shim.cc — the pure-C API of ob_bench.h's shim section over Google Benchmark.
//
// The only C++ file in the project (ARCHITECTURE.md).  It keeps no C++
// types in its interface: C registers a function pointer and a context;
// each benchmark becomes a RegisterBenchmark lambda that hands the whole
// batch (KeepRunningBatch(state.max_iterations)) to the C function, which
// loops over it itself (Google Benchmark 1.7.1: RegisterBenchmark takes a
// lambda, KeepRunningBatch a batch size).
#include "ob_bench.h"

#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <new>
#include <ostream>
#include <streambuf>
#include <string>
#include <vector>

struct ob_gb_counter_def {
    std::string name;
    double value;
    unsigned flags;
};

struct ob_gb_bench {
    std::string name;
    ob_gb_fn fn = nullptr;
    ob_gb_setup_fn setup = nullptr;
    void *ctx = nullptr;
    double bytes_per_iter = 0, items_per_iter = 0;
    std::vector<ob_gb_counter_def> counters;
    benchmark::internal::Benchmark *gb = nullptr;
};

namespace
{

// Everything registered since the last ob_gb_clear (the lambdas point here).
std::vector<std::unique_ptr<ob_gb_bench>> &registry()
{
    static std::vector<std::unique_ptr<ob_gb_bench>> r;
    return r;
}

benchmark::Counter::Flags gb_flags(unsigned f)
{
    int g = benchmark::Counter::kDefaults;
    if (f & OB_GB_RATE) g |= benchmark::Counter::kIsRate;
    if (f & OB_GB_PER_ITERATION) g |= benchmark::Counter::kIsIterationInvariant;
    if (f & OB_GB_AVG_ITERATIONS) g |= benchmark::Counter::kAvgIterations;
    if (f & OB_GB_INVERT) g |= benchmark::Counter::kInvert;
    return static_cast<benchmark::Counter::Flags>(g);
}

void run_one(benchmark::State &st, ob_gb_bench *b)
{
    // Untimed: the timer starts at the first KeepRunningBatch.
    if (b->setup && b->setup(b->ctx) != 0) {
        st.SkipWithError("setup failed");
        return;
    }
    const benchmark::IterationCount n = st.max_iterations;
    while (st.KeepRunningBatch(n)) {
        if (b->fn(b->ctx, static_cast<uint64_t>(n)) != 0) {
            st.SkipWithError("benchmark function failed");
            break;
        }
    }
    const double iters = static_cast<double>(st.iterations());
    if (b->bytes_per_iter > 0) st.SetBytesProcessed(static_cast<int64_t>(b->bytes_per_iter * iters));
    if (b->items_per_iter > 0) st.SetItemsProcessed(static_cast<int64_t>(b->items_per_iter * iters));
    for (const ob_gb_counter_def &c : b->counters)
        st.counters[c.name] = benchmark::Counter(c.value, gb_flags(c.flags));
}

// A std::streambuf that writes to a C FILE*, so that the console reporter
// can print to whatever FILE* the C caller gave (a memstream in the tests).
class file_buf : public std::streambuf
{
  public:
    explicit file_buf(FILE *f) : f_(f) {}

  protected:
    int_type overflow(int_type c) override
    {
        if (traits_type::eq_int_type(c, traits_type::eof())) return traits_type::not_eof(c);
        return std::fputc(c, f_) == EOF ? traits_type::eof() : c;
    }
    std::streamsize xsputn(const char *s, std::streamsize n) override
    {
        return static_cast<std::streamsize>(std::fwrite(s, 1, static_cast<size_t>(n), f_));
    }
    int sync() override { return std::fflush(f_) == 0 ? 0 : -1; }

  private:
    FILE *f_;
};

// A display reporter that prints nothing (for display == NULL).
class null_reporter : public benchmark::BenchmarkReporter
{
  public:
    bool ReportContext(const Context &) override { return true; }
    void ReportRuns(const std::vector<Run> &) override {}
};

}  // namespace

extern "C" {

ob_gb_bench *ob_gb_register(const char *name, ob_gb_fn fn, void *ctx, double bytes_per_iter,
                            double items_per_iter)
{
    if (!name || !fn) return nullptr;
    try {
        auto b = std::make_unique<ob_gb_bench>();
        b->name = name;
        b->fn = fn;
        b->ctx = ctx;
        b->bytes_per_iter = bytes_per_iter;
        b->items_per_iter = items_per_iter;
        ob_gb_bench *raw = b.get();
        registry().push_back(std::move(b));
        raw->gb = benchmark::RegisterBenchmark(raw->name.c_str(),
                                               [raw](benchmark::State &st) { run_one(st, raw); });
        raw->gb->UseRealTime();
        return raw;
    } catch (...) {
        return nullptr;
    }
}

void ob_gb_set_setup(ob_gb_bench *b, ob_gb_setup_fn setup)
{
    if (b) b->setup = setup;
}

int ob_gb_add_counter(ob_gb_bench *b, const char *name, double value, unsigned flags)
{
    if (!b || !name) return -1;
    try {
        b->counters.push_back({name, value, flags});
        return 0;
    } catch (...) {
        return -1;
    }
}

void ob_gb_set_repetitions(ob_gb_bench *b, int repetitions)
{
    if (b && repetitions > 0) b->gb->Repetitions(repetitions);
}

void ob_gb_set_min_time(ob_gb_bench *b, double seconds)
{
    if (b && seconds > 0) b->gb->MinTime(seconds);
}

long ob_gb_run(int argc, char **argv, FILE *display, FILE *errors, char *msg, size_t msglen)
{
    if (msg && msglen) msg[0] = '\0';
    try {
        // Initialize removes the flags it knows from the array; work on a
        // copy so the caller's argv stays intact.
        std::vector<char *> args(argv, argv + argc);
        static char prog[] = "optbench";
        if (args.empty()) args.push_back(prog);
        args.push_back(nullptr);
        int n = static_cast<int>(args.size()) - 1;
        benchmark::Initialize(&n, args.data());
        if (n > 1) {
            if (msg) std::snprintf(msg, msglen, "unrecognized Google Benchmark argument '%s'", args[1]);
            return -1;
        }
        file_buf out_buf(display ? display : stdout), err_buf(errors ? errors : stderr);
        std::ostream out_stream(&out_buf), err_stream(&err_buf);
        std::unique_ptr<benchmark::BenchmarkReporter> rep;
        if (display) rep.reset(new benchmark::ConsoleReporter(benchmark::ConsoleReporter::OO_Tabular));
        else rep.reset(new null_reporter());
        rep->SetOutputStream(&out_stream);
        rep->SetErrorStream(&err_stream);
        size_t ran = benchmark::RunSpecifiedBenchmarks(rep.get());
        out_stream.flush();
        err_stream.flush();
        return static_cast<long>(ran);
    } catch (const std::exception &e) {
        if (msg) std::snprintf(msg, msglen, "Google Benchmark failed: %s", e.what());
        return -1;
    }
}

void ob_gb_clear(void)
{
    benchmark::ClearRegisteredBenchmarks();
    registry().clear();
}

}  // extern "C"
