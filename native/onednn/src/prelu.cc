// PReLU with one slope per channel (the last axis of NHWC activations, or of features), forward
// and gradient, each one pass on every core, with tfjs's cpu semantics: y = x < 0 ? alpha x : x;
// dx = x > 0 ? dy : alpha dy; dalpha = sum over rows of (x > 0 ? 0 : dy x). NaN in x goes the
// non-positive way in both, as there.

#include <vector>

#include "channel-sums.h"
#include "napi-util.h"

namespace ctc {

// preluForward(dims [rows, c], x, alpha, y)
napi_value PreluForward(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    auto argv = arguments(env, info, 4);
    const RowsByChannels d = rowsByChannels(env, argv[0]);
    const size_t size = size_t(d.rows * d.c);
    const float* x = floats(env, argv[1], size, "x");
    const float* alpha = floats(env, argv[2], size_t(d.c), "alpha");
    float* y = floats(env, argv[3], size, "y");
    const int64_t c = d.c;
#pragma omp parallel for schedule(static) if (d.rows * c >= kParallelMin)
    for (int64_t r = 0; r < d.rows; r++) {
      const float* __restrict in = x + r * c;
      const float* __restrict a = alpha;
      float* __restrict out = y + r * c;
      // Every value loaded, then selected: GCC keeps a load under a condition as a branch, which
      // does not vectorise (15x slower, measured).
      for (int64_t k = 0; k < c; k++) {
        const float v = in[k], slope = a[k];
        out[k] = v < 0.0f ? slope * v : v;
      }
    }
    return nullptr;
  });
}

// preluBackward(dims [rows, c], x, alpha, dy, dx, dalpha): dx and dalpha in one pass.
napi_value PreluBackward(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    auto argv = arguments(env, info, 6);
    const RowsByChannels d = rowsByChannels(env, argv[0]);
    const size_t size = size_t(d.rows * d.c);
    const float* x = floats(env, argv[1], size, "x");
    const float* alpha = floats(env, argv[2], size_t(d.c), "alpha");
    const float* dy = floats(env, argv[3], size, "dy");
    float* dx = floats(env, argv[4], size, "dx");
    float* dalpha = floats(env, argv[5], size_t(d.c), "dalpha");
    const int64_t c = d.c;
    std::vector<double> sums, unused;
    channelSums(d.rows, c, [x, alpha, dy, dx, c](int64_t r, double* __restrict s, double*) {
      const float* __restrict in = x + r * c;
      const float* __restrict g = dy + r * c;
      const float* __restrict a = alpha;
      float* __restrict out = dx + r * c;
      // Two loops over the row (it stays in cache): GCC vectorises each, not the two in one.
      for (int64_t k = 0; k < c; k++) {
        const float grad = g[k], slope = a[k];
        out[k] = in[k] > 0.0f ? grad : grad * slope;
      }
      for (int64_t k = 0; k < c; k++) {
        const float v = in[k], grad = g[k];
        const float term = v > 0.0f ? 0.0f : grad * v;
        s[k] += double(term);
      }
    }, sums, unused);
    for (int64_t k = 0; k < c; k++) dalpha[k] = float(sums[k]);
    return nullptr;
  });
}

}  // namespace ctc
