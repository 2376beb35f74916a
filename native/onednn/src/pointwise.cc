// Elementwise, pooling and copying kernels compiled and threaded: relu, its gradient, max-pool
// gradients (2x2 and any window), each with tfjs's cpu backend's exact semantics (NaN, -0, ties),
// and ResNet's option A shortcut both ways.

#include <algorithm>
#include <cstring>
#include <limits>
#include <vector>

#include "napi-util.h"
#include "relu.h"

namespace ctc {

// relu(x, y): y = max(0, x) as tfjs's cpu backend computes it: -0 gives 0, NaN stays NaN.
napi_value Relu(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    auto argv = arguments(env, info, 2);
    const size_t n = typedLength(env, argv[0], "x");
    const float* __restrict x = floats(env, argv[0], n, "x");
    float* __restrict y = floats(env, argv[1], n, "y");
#pragma omp parallel for schedule(static) if (int64_t(n) >= kParallelMin)
    for (int64_t i = 0; i < int64_t(n); i++) {
      y[i] = reluOf(x[i]);
    }
    return nullptr;
  });
}

// reluGrad(x, dy, dx): dx = x > 0 ? dy : 0 (tfjs: dy * step(x), step(NaN) = NaN).
napi_value ReluGrad(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    auto argv = arguments(env, info, 3);
    const size_t n = typedLength(env, argv[0], "x");
    const float* __restrict x = floats(env, argv[0], n, "x");
    const float* __restrict dy = floats(env, argv[1], n, "dy");
    float* __restrict dx = floats(env, argv[2], n, "dx");
    // Branch-free (selects, then one multiply), so it vectorises: the signs of x are random,
    // and a branch per element mispredicts half the time (5x slower, measured).
#pragma omp parallel for schedule(static) if (int64_t(n) >= kParallelMin)
    for (int64_t i = 0; i < int64_t(n); i++) {
      dx[i] = dy[i] * stepOf(x[i]);
    }
    return nullptr;
  });
}

// One 2x2 window's gradient over c channels: dy goes to the first maximum of the four, with
// masks, not branches, so the loop vectorises (the maxima fall at random: branches mispredict). NaN and -infinity
// become -infinity and never win; the first of equal maxima wins.
static inline void poolWindow2x2(const float* __restrict x0, const float* __restrict x1, const float* __restrict x2,
                                 const float* __restrict x3, const float* __restrict g, float* __restrict d0,
                                 float* __restrict d1, float* __restrict d2, float* __restrict d3, int64_t c) {
  const float lowest = -std::numeric_limits<float>::infinity();
  for (int64_t k = 0; k < c; k++) {
    const float n0 = std::max(lowest, x0[k]);  // (lowest < x) ? x : lowest: NaN becomes -infinity
    const float n1 = std::max(lowest, x1[k]);
    const float n2 = std::max(lowest, x2[k]);
    const float n3 = std::max(lowest, x3[k]);
    const float m = std::max(std::max(n0, n1), std::max(n2, n3));
    // Integer masks: with bools GCC 12 sees control flow and leaves the loop scalar.
    const int32_t any = m > lowest;
    const int32_t e0 = n0 == m, e1 = n1 == m, e2 = n2 == m;
    const int32_t w0 = any & e0;
    const int32_t w1 = any & e1 & (e0 ^ 1);
    const int32_t w2 = any & e2 & ((e0 | e1) ^ 1);
    const int32_t w3 = any & ((e0 | e1 | e2) ^ 1);
    const float gk = g[k];
    d0[k] = w0 ? gk : 0.0f;
    d1[k] = w1 ? gk : 0.0f;
    d2[k] = w2 ? gk : 0.0f;
    d3[k] = w3 ? gk : 0.0f;
  }
}

// maxPoolGrad2x2(dims [n, h, w, oh, ow, c], x, dy, dx): the gradient of a 2x2, stride-2,
// unpadded max pool. Each window sends its dy to its first maximum in row-major order, with a
// strict > starting from -infinity (so NaN and -infinity never win): tfjs's cpu backend's rule,
// which ctc's wasm kernel follows too. Windows are disjoint, so the result is exact.
napi_value MaxPoolGrad2x2(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    auto argv = arguments(env, info, 4);
    const int32_t* d = int32s(env, argv[0], 6, "pool dims");
    const int64_t n = d[0], h = d[1], w = d[2], oh = d[3], ow = d[4], c = d[5];
    if (n < 1 || c < 1 || oh < 0 || ow < 0 || h < 2 * oh || w < 2 * ow) throw JsError{"ctc-onednn: pool dims do not describe a 2x2 stride-2 pool"};
    const float* __restrict x = floats(env, argv[1], size_t(n * h * w * c), "x");
    const float* __restrict dy = floats(env, argv[2], size_t(n * oh * ow * c), "dy");
    float* __restrict dx = floats(env, argv[3], size_t(n * h * w * c), "dx");
    // Every element of dx is written once: each window's four, then the rows and columns no
    // window covers (an odd height or width) as zeros.
#pragma omp parallel for schedule(static) if (n * h * w * c >= kParallelMin)
    for (int64_t b = 0; b < n; b++) {
      float* image = dx + b * h * w * c;
      for (int64_t r = 0; r < oh; r++) {
        for (int64_t col = 0; col < ow; col++) {
          const int64_t i0 = ((b * h + 2 * r) * w + 2 * col) * c;
          const int64_t i1 = i0 + c, i2 = i0 + w * c, i3 = i2 + c;
          const float* __restrict g = dy + ((b * oh + r) * ow + col) * c;
          poolWindow2x2(x + i0, x + i1, x + i2, x + i3, g, dx + i0, dx + i1, dx + i2, dx + i3, c);
        }
        if (w > 2 * ow) {
          for (int64_t rr = 2 * r; rr < 2 * r + 2; rr++) {
            std::memset(image + (rr * w + 2 * ow) * c, 0, sizeof(float) * size_t((w - 2 * ow) * c));
          }
        }
      }
      if (h > 2 * oh) std::memset(image + 2 * oh * w * c, 0, sizeof(float) * size_t((h - 2 * oh) * w * c));
    }
    return nullptr;
  });
}

// maxPoolGrad(dims [n, h, w, c, oh, ow, fh, fw, sh, sw, padTop, padLeft], x, dy, dx): the gradient
// of any max pool. Windows are visited in row-major output order; each sends its dy to its first
// maximum (strict > from -infinity, as above), summed in double per image and rounded once: for
// overlapping windows the cpu backend's sum in its order, so the result is bit-identical.
napi_value MaxPoolGrad(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    auto argv = arguments(env, info, 4);
    const int32_t* d = int32s(env, argv[0], 12, "pool dims");
    const int64_t n = d[0], h = d[1], w = d[2], c = d[3], oh = d[4], ow = d[5];
    const int64_t fh = d[6], fw = d[7], sh = d[8], sw = d[9], pt = d[10], pl = d[11];
    if (n < 1 || h < 1 || w < 1 || c < 1 || oh < 0 || ow < 0 || fh < 1 || fw < 1 || sh < 1 || sw < 1) {
      throw JsError{"ctc-onednn: pool dims must be positive"};
    }
    const float* x = floats(env, argv[1], size_t(n * h * w * c), "x");
    const float* dy = floats(env, argv[2], size_t(n * oh * ow * c), "dy");
    float* dx = floats(env, argv[3], size_t(n * h * w * c), "dx");
    const int64_t image = h * w * c;
#pragma omp parallel if (n * image >= kParallelMin)
    {
      std::vector<double> acc(static_cast<size_t>(image));
      std::vector<float> best(static_cast<size_t>(c));
      std::vector<int64_t> at(static_cast<size_t>(c));
#pragma omp for schedule(static)
      for (int64_t b = 0; b < n; b++) {
        std::fill(acc.begin(), acc.end(), 0.0);
        const float* xb = x + b * image;
        for (int64_t r = 0; r < oh; r++) {
          const int64_t r0 = r * sh - pt, rEnd = std::min(h, r0 + fh);
          for (int64_t col = 0; col < ow; col++) {
            const int64_t c0 = col * sw - pl, cEnd = std::min(w, c0 + fw);
            std::fill(best.begin(), best.end(), -std::numeric_limits<float>::infinity());
            std::fill(at.begin(), at.end(), int64_t(-1));
            for (int64_t xr = std::max<int64_t>(0, r0); xr < rEnd; xr++) {
              for (int64_t xc = std::max<int64_t>(0, c0); xc < cEnd; xc++) {
                const int64_t base = (xr * w + xc) * c;
                for (int64_t k = 0; k < c; k++) {
                  if (xb[base + k] > best[k]) {
                    best[k] = xb[base + k];
                    at[k] = base + k;
                  }
                }
              }
            }
            const float* g = dy + ((b * oh + r) * ow + col) * c;
            for (int64_t k = 0; k < c; k++) {
              if (at[k] >= 0) acc[size_t(at[k])] += g[k];
            }
          }
        }
        float* out = dx + b * image;
        for (int64_t i = 0; i < image; i++) out[i] = float(acc[size_t(i)]);
      }
    }
    return nullptr;
  });
}

// ResNet's option A shortcut: subsamplePad(dims [n, h, w, c, before, after], x, y) keeps pixels
// (2i, 2j) of x and puts `before` zero channels in front of each pixel's c and `after` behind;
// subsamplePadGrad(dims, dy, dx) sends those channels of dy back to the kept pixels, zero elsewhere.
namespace {

struct ShortcutDims {
  int64_t n, h, w, c, before, after, oh, ow, outC;
};

ShortcutDims shortcutDims(napi_env env, napi_value value) {
  const int32_t* d = int32s(env, value, 6, "shortcut dims");
  ShortcutDims s{d[0], d[1], d[2], d[3], d[4], d[5], (d[1] + 1) / 2, (d[2] + 1) / 2, d[3] + d[4] + d[5]};
  if (s.n < 1 || s.h < 1 || s.w < 1 || s.c < 1 || s.before < 0 || s.after < 0) throw JsError{"ctc-onednn: shortcut dims must be positive"};
  return s;
}

}  // namespace

napi_value SubsamplePad(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    auto argv = arguments(env, info, 3);
    const ShortcutDims s = shortcutDims(env, argv[0]);
    const float* x = floats(env, argv[1], size_t(s.n * s.h * s.w * s.c), "x");
    float* y = floats(env, argv[2], size_t(s.n * s.oh * s.ow * s.outC), "y");
#pragma omp parallel for schedule(static) if (s.n * s.oh * s.ow * s.outC >= kParallelMin)
    for (int64_t p = 0; p < s.n * s.oh; p++) {
      const int64_t b = p / s.oh, i = p % s.oh;
      for (int64_t j = 0; j < s.ow; j++) {
        float* out = y + (p * s.ow + j) * s.outC;
        std::memset(out, 0, sizeof(float) * size_t(s.before));
        std::memcpy(out + s.before, x + ((b * s.h + 2 * i) * s.w + 2 * j) * s.c, sizeof(float) * size_t(s.c));
        std::memset(out + s.before + s.c, 0, sizeof(float) * size_t(s.after));
      }
    }
    return nullptr;
  });
}

napi_value SubsamplePadGrad(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    auto argv = arguments(env, info, 3);
    const ShortcutDims s = shortcutDims(env, argv[0]);
    const float* dy = floats(env, argv[1], size_t(s.n * s.oh * s.ow * s.outC), "dy");
    float* dx = floats(env, argv[2], size_t(s.n * s.h * s.w * s.c), "dx");
#pragma omp parallel for schedule(static) if (s.n * s.h * s.w * s.c >= kParallelMin)
    for (int64_t p = 0; p < s.n * s.h; p++) {
      const int64_t b = p / s.h, r = p % s.h;
      float* row = dx + p * s.w * s.c;
      if (r % 2 == 1) {
        std::memset(row, 0, sizeof(float) * size_t(s.w * s.c));
        continue;
      }
      for (int64_t col = 0; col < s.w; col++) {
        float* out = row + col * s.c;
        if (col % 2 == 1) {
          std::memset(out, 0, sizeof(float) * size_t(s.c));
        } else {
          std::memcpy(out, dy + (((b * s.oh + r / 2) * s.ow + col / 2) * s.outC + s.before), sizeof(float) * size_t(s.c));
        }
      }
    }
    return nullptr;
  });
}

}  // namespace ctc

namespace ctc {

// maxPool2x2(dims [n, h, w, oh, ow, c], x, y): 2x2 windows, stride 2, no padding, NHWC, as tfjs's
// cpu backend computes them: each window's maximum by strict > from -infinity in row-major order,
// so NaN never wins (a window of NaN gives -infinity) and of 0 and -0 the first stays.
napi_value MaxPool2x2(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    auto argv = arguments(env, info, 3);
    const int32_t* d = int32s(env, argv[0], 6, "pool dims");
    const int64_t n = d[0], h = d[1], w = d[2], oh = d[3], ow = d[4], c = d[5];
    if (n < 1 || c < 1 || oh < 0 || ow < 0 || h < 2 * oh || w < 2 * ow) throw JsError{"ctc-onednn: pool dims do not describe a 2x2 stride-2 pool"};
    const float* __restrict x = floats(env, argv[1], size_t(n * h * w * c), "x");
    float* __restrict y = floats(env, argv[2], size_t(n * oh * ow * c), "y");
    const float lowest = -std::numeric_limits<float>::infinity();
#pragma omp parallel for schedule(static) if (n * h * w * c >= kParallelMin)
    for (int64_t b = 0; b < n; b++) {
      for (int64_t r = 0; r < oh; r++) {
        for (int64_t col = 0; col < ow; col++) {
          const float* __restrict x0 = x + ((b * h + 2 * r) * w + 2 * col) * c;
          const float* __restrict x1 = x0 + c;
          const float* __restrict x2 = x0 + w * c;
          const float* __restrict x3 = x2 + c;
          float* __restrict out = y + ((b * oh + r) * ow + col) * c;
          for (int64_t k = 0; k < c; k++) {
            // std::max(a, b) is a < b ? b : a: the running maximum changes only on a strictly larger value.
            out[k] = std::max(std::max(std::max(std::max(lowest, x0[k]), x1[k]), x2[k]), x3[k]);
          }
        }
      }
    }
    return nullptr;
  });
}

// sgdMomentum(w, v, g, w2, v2, lr, momentum, weightDecay): d = g + weightDecay * w (when
// weightDecay > 0), v2 = momentum * v + d (d when momentum is 0), w2 = w - lr * v2, every
// intermediate rounded to float32 as tfjs's op chain rounds it (src/backend/wasm/sgd.ts; built
// with -ffp-contract=off, so no fused multiply-add changes a rounding).
napi_value SgdMomentum(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    auto argv = arguments(env, info, 8);
    const size_t n = typedLength(env, argv[0], "w");
    const float* __restrict w = floats(env, argv[0], n, "w");
    const float* __restrict v = floats(env, argv[1], n, "v");
    const float* __restrict g = floats(env, argv[2], n, "g");
    float* __restrict w2 = floats(env, argv[3], n, "w2");
    float* __restrict v2 = floats(env, argv[4], n, "v2");
    double lr = 0, momentum = 0, decay = 0;
    check(env, napi_get_value_double(env, argv[5], &lr), "lr must be a number");
    check(env, napi_get_value_double(env, argv[6], &momentum), "momentum must be a number");
    check(env, napi_get_value_double(env, argv[7], &decay), "weightDecay must be a number");
    const float lr32 = float(lr), m32 = float(momentum), wd32 = float(decay);
    const bool withDecay = decay > 0, withMomentum = momentum > 0;
#pragma omp parallel for schedule(static) if (int64_t(n) >= kParallelMin)
    for (int64_t i = 0; i < int64_t(n); i++) {
      const float d = withDecay ? g[i] + w[i] * wd32 : g[i];
      const float next = withMomentum ? v[i] * m32 + d : d;
      v2[i] = next;
      w2[i] = w[i] - next * lr32;
    }
    return nullptr;
  });
}

}  // namespace ctc
