/*
 * torch/extension.h — a stand-in for PyTorch's header, so that DeepSpeed's
 * CPU Adam (csrc/adam/cpu_adam_impl.cpp, csrc/includes/cpu_adam.h,
 * csrc/includes/simd.h) compiles without PyTorch for
 * examples/plugins/deepspeed_adam.cc.  It is optbench's own code, not
 * DeepSpeed's or PyTorch's, and declares only what those three files use:
 *  - c10::Half, c10::BFloat16: 16-bit types with float conversions (the
 *    step templates are instantiated for them by cpu_adam_impl.cpp's
 *    invoker table; the adapter runs only the fp32 one, <float, float>);
 *  - c10::ScalarType, c10::CppTypeToScalarType<T>, c10::toString,
 *    at::typeMetaToScalarType: the dtype keys of that table;
 *  - torch::Tensor: a pointer, an element count and a dtype, with the
 *    members ds_adam_step calls (contiguous, data_ptr, numel, options).
 * C++17 (DeepSpeed's build uses -std=c++17).
 */
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <type_traits>

#if defined(__F16C__)
#include <immintrin.h>
#endif

namespace c10 {

/* IEEE binary16, converted with F16C (DeepSpeed's AVX paths load and store
 * it with the same instructions). */
struct Half {
    uint16_t x = 0;
    Half() = default;
#if defined(__F16C__)
    Half(float f) : x((uint16_t)_cvtss_sh(f, _MM_FROUND_TO_NEAREST_INT)) {}
    operator float() const { return _cvtsh_ss(x); }
#else
    Half(float) { throw std::runtime_error("c10::Half stand-in needs F16C"); }
    operator float() const { throw std::runtime_error("c10::Half stand-in needs F16C"); }
#endif
};

/* bfloat16: the upper half of a float, rounded to nearest even (NaN kept
 * quiet), as DeepSpeed's store_16_f32_as_bf16_nearest does. */
struct BFloat16 {
    uint16_t x = 0;
    BFloat16() = default;
    BFloat16(float f)
    {
        uint32_t u;
        std::memcpy(&u, &f, sizeof u);
        if ((u & 0x7fffffffu) > 0x7f800000u)
            x = 0x7fc0;
        else
            x = (uint16_t)((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
    }
    operator float() const
    {
        uint32_t u = (uint32_t)x << 16;
        float f;
        std::memcpy(&f, &u, sizeof f);
        return f;
    }
};

enum class ScalarType : int8_t { Half, Float, BFloat16 };

template <typename T>
struct CppTypeToScalarType;
template <>
struct CppTypeToScalarType<Half> : std::integral_constant<ScalarType, ScalarType::Half> {};
template <>
struct CppTypeToScalarType<float> : std::integral_constant<ScalarType, ScalarType::Float> {};
template <>
struct CppTypeToScalarType<BFloat16> : std::integral_constant<ScalarType, ScalarType::BFloat16> {};

inline const char *toString(ScalarType t)
{
    return t == ScalarType::Half ? "Half" : t == ScalarType::Float ? "Float" : "BFloat16";
}

} // namespace c10

namespace at {
/* The stand-in's dtype is the ScalarType itself. */
inline c10::ScalarType typeMetaToScalarType(c10::ScalarType t) { return t; }
} // namespace at

namespace torch {

struct TensorOptions {
    c10::ScalarType type;
    c10::ScalarType dtype() const { return type; }
};

/* A contiguous array that the caller owns. */
class Tensor {
public:
    Tensor(void *data, int64_t numel, c10::ScalarType type) : data_(data), numel_(numel), type_(type) {}
    Tensor contiguous() const { return *this; }
    void *data_ptr() const { return data_; }
    int64_t numel() const { return numel_; }
    TensorOptions options() const { return TensorOptions{type_}; }

private:
    void *data_;
    int64_t numel_;
    c10::ScalarType type_;
};

} // namespace torch
