// Training-mode batch normalisation over the last axis of NHWC activations: statistics and
// output in two passes, the gradient (through the batch statistics) in two more, on every core;
// and plain per-column sums (tfjs's Sum over leading axes).

#include <algorithm>
#include <cmath>
#include <vector>

#include "channel-sums.h"
#include "napi-util.h"

namespace ctc {

// batchNormForward(dims, x, gamma, beta, epsilon, y, mean, variance): batch statistics (the
// population variance, as tf.moments), y = (x - mean) / sqrt(variance + epsilon) * gamma + beta.
napi_value BatchNormForward(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    auto argv = arguments(env, info, 8);
    const RowsByChannels d = rowsByChannels(env, argv[0]);
    const size_t size = size_t(d.rows * d.c);
    const float* x = floats(env, argv[1], size, "x");
    const float* gamma = floats(env, argv[2], size_t(d.c), "gamma");
    const float* beta = floats(env, argv[3], size_t(d.c), "beta");
    const double epsilon = numberArg(env, argv[4], "epsilon");
    float* y = floats(env, argv[5], size, "y");
    float* mean = floats(env, argv[6], size_t(d.c), "mean");
    float* variance = floats(env, argv[7], size_t(d.c), "variance");
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
    const float* __restrict sc = scale.data();
    const float* __restrict sh = shift.data();
#pragma omp parallel for schedule(static) if (d.rows * c >= kParallelMin)
    for (int64_t r = 0; r < d.rows; r++) {
      const float* __restrict in = x + r * c;
      float* __restrict out = y + r * c;
      for (int64_t k = 0; k < c; k++) out[k] = in[k] * sc[k] + sh[k];
    }
    return nullptr;
  });
}

// batchNormBackward(dims, x, dy, gamma, mean, variance, epsilon, dx, dgamma, dbeta): the
// gradient of batchNormForward through the batch statistics too (training mode):
// dbeta = sum dy, dgamma = sum dy * xhat, dx = gamma * invstd * (dy - (dbeta + xhat * dgamma) / rows).
napi_value BatchNormBackward(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    auto argv = arguments(env, info, 10);
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
    const int64_t c = d.c;
    std::vector<double> sumDy, sumDyCentered;
    channelSums(d.rows, c, [x, dy, mean, c](int64_t r, double* __restrict s, double* __restrict q) {
      const float* __restrict xr = x + r * c;
      const float* __restrict g = dy + r * c;
      const float* __restrict mu = mean;
      for (int64_t k = 0; k < c; k++) {
        s[k] += g[k];
        q[k] += double(g[k]) * double(xr[k] - mu[k]);
      }
    }, sumDy, sumDyCentered);
    // dx = a * dy + b * (x - mean) + e, per channel.
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
    const float* __restrict mu = mean;
#pragma omp parallel for schedule(static) if (d.rows * c >= kParallelMin)
    for (int64_t r = 0; r < d.rows; r++) {
      const float* __restrict xr = x + r * c;
      const float* __restrict g = dy + r * c;
      float* __restrict out = dx + r * c;
      for (int64_t k = 0; k < c; k++) out[k] = a[k] * g[k] + b[k] * (xr[k] - mu[k]) + e[k];
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
