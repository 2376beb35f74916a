// Training-mode batch normalisation over the last axis of NHWC activations: statistics and
// output in two passes, the gradient (through the batch statistics) in two more, on every core;
// optionally fused with what follows it in ResNet: a ReLU, or a residual add and a ReLU, so that
// neither the pre-activation nor the sum is ever written; and plain per-column sums (tfjs's Sum
// over leading axes).

#include <algorithm>
#include <cmath>
#include <vector>

#include "channel-sums.h"
#include "napi-util.h"
#include "relu.h"

namespace ctc {

// y = x * scale + shift (+ residual), then relu when asked: one pass, each variant its own loop.
template <bool Residual, bool Relu>
void normalise(int64_t rows, int64_t c, const float* x, const float* sc, const float* sh, const float* residual,
               float* y) {
#pragma omp parallel for schedule(static) if (rows * c >= kParallelMin)
  for (int64_t r = 0; r < rows; r++) {
    const float* __restrict in = x + r * c;
    const float* __restrict res = Residual ? residual + r * c : nullptr;
    float* __restrict out = y + r * c;
    for (int64_t k = 0; k < c; k++) {
      float v = in[k] * sc[k] + sh[k];
      if (Residual) v += res[k];
      out[k] = Relu ? reluOf(v) : v;
    }
  }
}

// batchNormForward(dims, x, gamma, beta, epsilon, y, mean, variance, residual | null, relu): batch
// statistics (the population variance, as tf.moments), y = (x - mean) / sqrt(variance + epsilon)
// * gamma + beta, plus residual, then relu(y) when relu is true: in that order and rounding, the
// same floats as the separate kernels give.
napi_value BatchNormForward(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    auto argv = arguments(env, info, 10);
    const RowsByChannels d = rowsByChannels(env, argv[0]);
    const size_t size = size_t(d.rows * d.c);
    const float* x = floats(env, argv[1], size, "x");
    const float* gamma = floats(env, argv[2], size_t(d.c), "gamma");
    const float* beta = floats(env, argv[3], size_t(d.c), "beta");
    const double epsilon = numberArg(env, argv[4], "epsilon");
    float* y = floats(env, argv[5], size, "y");
    float* mean = floats(env, argv[6], size_t(d.c), "mean");
    float* variance = floats(env, argv[7], size_t(d.c), "variance");
    const float* residual = optionalFloats(env, argv[8], size, "residual");
    const bool relu = boolArg(env, argv[9], "relu");
    const int64_t c = d.c;
    std::vector<double> sum, sumSq;
    channelSums(d.rows, c, [x, c](int64_t r, double* __restrict s, double* __restrict q) {
      const float* __restrict row = x + r * c;
      for (int64_t k = 0; k < c; k++) {
        const double v = row[k];
        s[k] += v;
        q[k] += v * v;
      }
    }, sum, sumSq);
    std::vector<float> scale(c), shift(c);
    for (int64_t k = 0; k < c; k++) {
      const double m = sum[k] / double(d.rows);
      const double var = std::max(0.0, sumSq[k] / double(d.rows) - m * m);
      mean[k] = float(m);
      variance[k] = float(var);
      const double s = double(gamma[k]) / std::sqrt(var + epsilon);
      scale[k] = float(s);
      shift[k] = float(double(beta[k]) - m * s);
    }
    const float* sc = scale.data();
    const float* sh = shift.data();
    if (residual != nullptr) {
      if (relu) normalise<true, true>(d.rows, c, x, sc, sh, residual, y);
      else normalise<true, false>(d.rows, c, x, sc, sh, residual, y);
    } else {
      if (relu) normalise<false, true>(d.rows, c, x, sc, sh, nullptr, y);
      else normalise<false, false>(d.rows, c, x, sc, sh, nullptr, y);
    }
    return nullptr;
  });
}

// The gradient's per-channel sums, sum dz and sum dz * (x - mean), with dz = dy, or dy * step(y)
// after a relu; with Store, dz is also written to dz (the residual's gradient).
template <bool Relu, bool Store>
void gradientSums(int64_t rows, int64_t c, const float* x, const float* dy, const float* y, const float* mean,
                  float* dz, std::vector<double>& sumDz, std::vector<double>& sumDzCentered) {
  channelSums(rows, c, [=](int64_t r, double* __restrict s, double* __restrict q) {
    const float* __restrict xr = x + r * c;
    const float* __restrict g = dy + r * c;
    const float* __restrict yr = Relu ? y + r * c : nullptr;
    float* __restrict out = Store ? dz + r * c : nullptr;
    for (int64_t k = 0; k < c; k++) {
      const float v = Relu ? g[k] * stepOf(yr[k]) : g[k];
      if (Store) out[k] = v;
      s[k] += v;
      q[k] += double(v) * double(xr[k] - mean[k]);
    }
  }, sumDz, sumDzCentered);
}

// dx = a * dz + b * (x - mean) + e per channel, dz = dy (or dy * step(y) after a relu).
template <bool Relu>
void inputGradient(int64_t rows, int64_t c, const float* x, const float* dy, const float* y, const float* mean,
                   const float* a, const float* b, const float* e, float* dx) {
#pragma omp parallel for schedule(static) if (rows * c >= kParallelMin)
  for (int64_t r = 0; r < rows; r++) {
    const float* __restrict xr = x + r * c;
    const float* __restrict g = dy + r * c;
    const float* __restrict yr = Relu ? y + r * c : nullptr;
    float* __restrict out = dx + r * c;
    for (int64_t k = 0; k < c; k++) {
      const float v = Relu ? g[k] * stepOf(yr[k]) : g[k];
      out[k] = a[k] * v + b[k] * (xr[k] - mean[k]) + e[k];
    }
  }
}

// batchNormBackward(dims, x, dy, gamma, mean, variance, epsilon, dx, dgamma, dbeta, y | null,
// dresidual | null): the gradient of batchNormForward through the batch statistics too (training
// mode): dbeta = sum dz, dgamma = sum dz * xhat, dx = gamma * invstd * (dz - (dbeta + xhat *
// dgamma) / rows). dz is dy, or, when the forward pass ended in a relu, dy * step(y) with the
// forward's output y (y > 0 exactly where the pre-activation was; NaN stays NaN): tfjs's relu
// gradient. With a residual its gradient dz goes to dresidual, written in the first pass.
napi_value BatchNormBackward(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    auto argv = arguments(env, info, 12);
    const RowsByChannels d = rowsByChannels(env, argv[0]);
    const size_t size = size_t(d.rows * d.c);
    const float* x = floats(env, argv[1], size, "x");
    const float* dy = floats(env, argv[2], size, "dy");
    const float* gamma = floats(env, argv[3], size_t(d.c), "gamma");
    const float* mean = floats(env, argv[4], size_t(d.c), "mean");
    const float* variance = floats(env, argv[5], size_t(d.c), "variance");
    const double epsilon = numberArg(env, argv[6], "epsilon");
    float* dx = floats(env, argv[7], size, "dx");
    float* dgamma = floats(env, argv[8], size_t(d.c), "dgamma");
    float* dbeta = floats(env, argv[9], size_t(d.c), "dbeta");
    const float* y = optionalFloats(env, argv[10], size, "y");
    float* dresidual = optionalFloats(env, argv[11], size, "dresidual");
    if (dresidual != nullptr && y == nullptr) throw JsError{"ctc-onednn: dresidual needs y (the residual is added before the relu)"};
    const int64_t c = d.c;
    std::vector<double> sumDy, sumDyCentered;
    if (y == nullptr) {
      gradientSums<false, false>(d.rows, c, x, dy, y, mean, nullptr, sumDy, sumDyCentered);
    } else if (dresidual == nullptr) {
      gradientSums<true, false>(d.rows, c, x, dy, y, mean, nullptr, sumDy, sumDyCentered);
    } else {
      gradientSums<true, true>(d.rows, c, x, dy, y, mean, dresidual, sumDy, sumDyCentered);
    }
    // dx = a * dz + b * (x - mean) + e, per channel.
    std::vector<float> av(c), bv(c), ev(c);
    const double n = double(d.rows);
    for (int64_t k = 0; k < c; k++) {
      const double invstd = 1.0 / std::sqrt(double(variance[k]) + epsilon);
      dbeta[k] = float(sumDy[k]);
      dgamma[k] = float(sumDyCentered[k] * invstd);
      const double g = double(gamma[k]) * invstd;
      av[k] = float(g);
      bv[k] = float(-g * invstd * invstd * sumDyCentered[k] / n);
      ev[k] = float(-g * sumDy[k] / n);
    }
    const float* __restrict a = av.data();
    const float* __restrict b = bv.data();
    const float* __restrict e = ev.data();
    if (dresidual != nullptr) {
      inputGradient<false>(d.rows, c, x, dresidual, nullptr, mean, a, b, e, dx);  // dz was written there
    } else if (y != nullptr) {
      inputGradient<true>(d.rows, c, x, dy, y, mean, a, b, e, dx);
    } else {
      inputGradient<false>(d.rows, c, x, dy, nullptr, mean, a, b, e, dx);
    }
    return nullptr;
  });
}

// columnSums(dims [rows, c], x, sums): per-column sums of x in double (Float64Array sums), for
// tfjs's Sum and Mean over the leading axes (bias gradients, batch statistics).
napi_value ColumnSums(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    auto argv = arguments(env, info, 3);
    const RowsByChannels d = rowsByChannels(env, argv[0]);
    const float* x = floats(env, argv[1], size_t(d.rows * d.c), "x");
    napi_typedarray_type type;
    size_t length = 0;
    void* data = nullptr;
    check(env, napi_get_typedarray_info(env, argv[2], &type, &length, &data, nullptr, nullptr), "sums must be a Float64Array");
    if (type != napi_float64_array || length != size_t(d.c)) throw JsError{"ctc-onednn: sums must be a Float64Array of one value per column"};
    double* out = static_cast<double*>(data);
    const int64_t c = d.c;
    std::vector<double> sums, unused;
    channelSums(d.rows, c, [x, c](int64_t r, double* __restrict s, double*) {
      const float* __restrict row = x + r * c;
      for (int64_t k = 0; k < c; k++) s[k] += double(row[k]);
    }, sums, unused);
    std::copy(sums.begin(), sums.end(), out);
    return nullptr;
  });
}

}  // namespace ctc
