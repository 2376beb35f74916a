// ReLU and its gradient factor as tfjs's cpu backend computes them, shared by the elementwise
// kernels (pointwise.cc) and the fused batch norm (norm.cc). Selects, not branches, so loops
// over them vectorise.
#pragma once

namespace ctc {

// relu(v): -0 gives 0, NaN stays NaN.
inline float reluOf(float v) { return v > 0.0f ? v : (v == v ? 0.0f : v); }

// relu's gradient factor at v (its input, or its output: both are > 0 at the same places):
// 1 where v > 0, 0 where v <= 0, NaN where v is NaN (tfjs: dy * step(x)).
inline float stepOf(float v) { return v > 0.0f ? 1.0f : (v == v ? 0.0f : v); }

}  // namespace ctc
