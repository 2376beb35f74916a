// Per-channel sums over the rows of [rows, c] data (NHWC activations flattened), on every core,
// shared by batch norm and column sums (norm.cc) and PReLU (prelu.cc).
#pragma once

#include <omp.h>

#include <cstdint>
#include <vector>

#include "napi-util.h"

namespace ctc {

// [rows, c]: the shape kernels over NHWC activations see, from an Int32Array of two values.
struct RowsByChannels {
  int64_t rows, c;
};

inline RowsByChannels rowsByChannels(napi_env env, napi_value value) {
  const int32_t* d = int32s(env, value, 2, "dims [rows, channels]");
  if (d[0] < 1 || d[1] < 1) throw JsError{"ctc-onednn: dims [rows, channels] must be positive"};
  return {d[0], d[1]};
}

// Sums run in double, each thread over a fixed block of rows into accumulators of its own (on
// its own cache lines: shared lines between the threads' accumulators made batch norm on 16
// channels 1.6x slower on two threads than on one), and the threads' partial sums are added in
// thread order: the result depends only on the thread count, not on scheduling.
//
// Calls pair(row, first, second) for every row, each thread with its own first[c] and second[c]
// accumulators (the row's callback may also write outputs for that row), then adds them up.
template <typename Pair>
void channelSums(int64_t rows, int64_t c, Pair pair, std::vector<double>& first, std::vector<double>& second) {
  const int threads = rows * c >= kParallelMin ? omp_get_max_threads() : 1;
  // Each thread's block starts on a 64-byte line and is padded to whole lines.
  const int64_t stride = (c + 7) / 8 * 8 + 8;
  std::vector<double> parts(size_t(threads) * 2 * stride + 8, 0.0);
  double* base = parts.data() + (8 - (reinterpret_cast<uintptr_t>(parts.data()) / sizeof(double)) % 8) % 8;
#pragma omp parallel num_threads(threads)
  {
    const int t = omp_get_thread_num();
    const int64_t begin = rows * t / threads, end = rows * (t + 1) / threads;
    double* sa = base + size_t(t) * 2 * stride;
    double* sb = sa + stride;
    for (int64_t r = begin; r < end; r++) pair(r, sa, sb);
  }
  first.assign(c, 0.0);
  second.assign(c, 0.0);
  for (int t = 0; t < threads; t++) {
    const double* sa = base + size_t(t) * 2 * stride;
    const double* sb = sa + stride;
    for (int64_t k = 0; k < c; k++) {
      first[k] += sa[k];
      second[k] += sb[k];
    }
  }
}

}  // namespace ctc
