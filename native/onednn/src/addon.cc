// ctc-onednn: oneDNN convolutions (forward, backward-data, backward-weights) for ctc's tfjs
// kernels. Tensors arrive as float32 typed arrays in tfjs's layouts (activations NHWC, filters
// HWIO) and are reordered to and from the layouts oneDNN's primitives choose (blocked, for its
// JIT kernels). Primitives and their reorders are built once per shape and reused.

#include <node_api.h>
#include <oneapi/dnnl/dnnl.hpp>

#include <cstdint>
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <omp.h>

namespace {

using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;

// The convolution's geometry, in the order the JS side packs it into an Int32Array.
struct Geometry {
  int32_t n, h, w, c;          // input
  int32_t kh, kw, o;           // filter
  int32_t oh, ow;              // output
  int32_t sh, sw, dh, dw;      // strides, dilations (tfjs convention: 1 = none)
  int32_t pt, pl, pb, pr;      // padding top, left, bottom, right
};
constexpr size_t kGeometryInts = sizeof(Geometry) / sizeof(int32_t);

dnnl::engine& cpuEngine() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

dnnl::stream& cpuStream() {
  static dnnl::stream stream(cpuEngine());
  return stream;
}

memory::dims srcDims(const Geometry& g) { return {g.n, g.c, g.h, g.w}; }
memory::dims dstDims(const Geometry& g) { return {g.n, g.o, g.oh, g.ow}; }
memory::dims weightDims(const Geometry& g) { return {g.o, g.c, g.kh, g.kw}; }

memory::desc anyDesc(const memory::dims& dims) { return memory::desc(dims, dt::f32, tag::any); }

// One tensor argument: the caller's buffer in tfjs's layout, and, when the primitive wants
// another layout, a buffer of its own plus the reorder between the two.
struct Operand {
  memory user;
  memory inner;
  dnnl::reorder convert;
  bool reordered = false;

  Operand() = default;
  Operand(const memory::desc& userDesc, const memory::desc& innerDesc, bool isInput) {
    auto& engine = cpuEngine();
    user = memory(userDesc, engine, DNNL_MEMORY_NONE);
    if (innerDesc == userDesc) {
      inner = user;
      return;
    }
    reordered = true;
    inner = memory(innerDesc, engine);
    convert = isInput ? dnnl::reorder(user, inner) : dnnl::reorder(inner, user);
  }

  void bind(void* data) {
    user.set_data_handle(data);
    if (!reordered) inner.set_data_handle(data);
  }
  void readIn() {
    if (reordered) convert.execute(cpuStream(), user, inner);
  }
  void writeOut() {
    if (reordered) convert.execute(cpuStream(), inner, user);
  }
};

enum class Op { Forward, BackwardData, BackwardWeights };

struct Plan {
  dnnl::primitive primitive;
  // Forward: src, weights, dst. Backward data: diff_dst, weights, diff_src.
  // Backward weights: src, diff_dst, diff_weights. The third is the output.
  Operand a, b, out;
  bool hasBias = false;
  memory bias;
  int argA = 0, argB = 0, argOut = 0;
};

dnnl::convolution_forward::primitive_desc forwardPd(const Geometry& g, bool bias, bool relu) {
  memory::dims strides = {g.sh, g.sw};
  memory::dims dilates = {g.dh - 1, g.dw - 1};
  memory::dims padL = {g.pt, g.pl};
  memory::dims padR = {g.pb, g.pr};
  auto algo = dnnl::algorithm::convolution_direct;
  auto prop = dnnl::prop_kind::forward_training;
  dnnl::primitive_attr attr;
  if (relu) {
    dnnl::post_ops ops;
    ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, 0.0f, 0.0f);
    attr.set_post_ops(ops);
  }
  if (bias) {
    dnnl::convolution_forward::desc desc(prop, algo, anyDesc(srcDims(g)), anyDesc(weightDims(g)),
                                         memory::desc({g.o}, dt::f32, tag::a), anyDesc(dstDims(g)),
                                         strides, dilates, padL, padR);
    return {desc, attr, cpuEngine()};
  }
  dnnl::convolution_forward::desc desc(prop, algo, anyDesc(srcDims(g)), anyDesc(weightDims(g)),
                                       anyDesc(dstDims(g)), strides, dilates, padL, padR);
  return {desc, attr, cpuEngine()};
}

std::unique_ptr<Plan> makePlan(Op op, const Geometry& g, bool bias, bool relu) {
  memory::desc nhwcSrc(srcDims(g), dt::f32, tag::nhwc);
  memory::desc nhwcDst(dstDims(g), dt::f32, tag::nhwc);
  memory::desc hwioWeights(weightDims(g), dt::f32, tag::hwio);
  memory::dims strides = {g.sh, g.sw};
  memory::dims dilates = {g.dh - 1, g.dw - 1};
  memory::dims padL = {g.pt, g.pl};
  memory::dims padR = {g.pb, g.pr};
  auto algo = dnnl::algorithm::convolution_direct;
  auto plan = std::make_unique<Plan>();
  auto fwd = forwardPd(g, bias && op == Op::Forward, relu && op == Op::Forward);
  if (op == Op::Forward) {
    plan->primitive = dnnl::convolution_forward(fwd);
    plan->a = Operand(nhwcSrc, fwd.src_desc(), true);
    plan->b = Operand(hwioWeights, fwd.weights_desc(), true);
    plan->out = Operand(nhwcDst, fwd.dst_desc(), false);
    plan->argA = DNNL_ARG_SRC;
    plan->argB = DNNL_ARG_WEIGHTS;
    plan->argOut = DNNL_ARG_DST;
    if (bias) {
      plan->hasBias = true;
      plan->bias = memory(fwd.bias_desc(), cpuEngine(), DNNL_MEMORY_NONE);
    }
  } else if (op == Op::BackwardData) {
    dnnl::convolution_backward_data::desc desc(algo, anyDesc(srcDims(g)), anyDesc(weightDims(g)),
                                               anyDesc(dstDims(g)), strides, dilates, padL, padR);
    dnnl::convolution_backward_data::primitive_desc pd(desc, cpuEngine(), fwd);
    plan->primitive = dnnl::convolution_backward_data(pd);
    plan->a = Operand(nhwcDst, pd.diff_dst_desc(), true);
    plan->b = Operand(hwioWeights, pd.weights_desc(), true);
    plan->out = Operand(nhwcSrc, pd.diff_src_desc(), false);
    plan->argA = DNNL_ARG_DIFF_DST;
    plan->argB = DNNL_ARG_WEIGHTS;
    plan->argOut = DNNL_ARG_DIFF_SRC;
  } else {
    dnnl::convolution_backward_weights::desc desc(algo, anyDesc(srcDims(g)), anyDesc(weightDims(g)),
                                                  anyDesc(dstDims(g)), strides, dilates, padL, padR);
    dnnl::convolution_backward_weights::primitive_desc pd(desc, cpuEngine(), fwd);
    plan->primitive = dnnl::convolution_backward_weights(pd);
    plan->a = Operand(nhwcSrc, pd.src_desc(), true);
    plan->b = Operand(nhwcDst, pd.diff_dst_desc(), true);
    plan->out = Operand(hwioWeights, pd.diff_weights_desc(), false);
    plan->argA = DNNL_ARG_SRC;
    plan->argB = DNNL_ARG_DIFF_DST;
    plan->argOut = DNNL_ARG_DIFF_WEIGHTS;
  }
  return plan;
}

std::unordered_map<std::string, std::unique_ptr<Plan>>& plans() {
  static std::unordered_map<std::string, std::unique_ptr<Plan>> cache;
  return cache;
}

Plan& planFor(Op op, const Geometry& g, bool bias, bool relu) {
  std::string key(reinterpret_cast<const char*>(&g), sizeof(Geometry));
  key.push_back(static_cast<char>(op));
  key.push_back(bias ? 'b' : '-');
  key.push_back(relu ? 'r' : '-');
  auto& cache = plans();
  auto found = cache.find(key);
  if (found != cache.end()) return *found->second;
  auto plan = makePlan(op, g, bias, relu);
  Plan& ref = *plan;
  cache.emplace(std::move(key), std::move(plan));
  return ref;
}

void run(Plan& plan, void* a, void* b, void* out, void* bias) {
  plan.a.bind(a);
  plan.b.bind(b);
  plan.out.bind(out);
  plan.a.readIn();
  plan.b.readIn();
  std::unordered_map<int, memory> args = {
      {plan.argA, plan.a.inner}, {plan.argB, plan.b.inner}, {plan.argOut, plan.out.inner}};
  if (plan.hasBias) {
    plan.bias.set_data_handle(bias);
    args[DNNL_ARG_BIAS] = plan.bias;
  }
  plan.primitive.execute(cpuStream(), args);
  plan.out.writeOut();
  cpuStream().wait();
}

// ---- N-API glue -------------------------------------------------------------------------

struct JsError {
  std::string message;
};

void check(napi_env env, napi_status status, const char* what) {
  if (status != napi_ok) throw JsError{std::string("ctc-onednn: ") + what};
}

// A float32 typed array's data and element count.
float* floats(napi_env env, napi_value value, size_t expected, const char* name) {
  bool isTyped = false;
  check(env, napi_is_typedarray(env, value, &isTyped), "napi_is_typedarray");
  if (!isTyped) throw JsError{std::string("ctc-onednn: ") + name + " must be a Float32Array"};
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  check(env, napi_get_typedarray_info(env, value, &type, &length, &data, nullptr, nullptr), "napi_get_typedarray_info");
  if (type != napi_float32_array) throw JsError{std::string("ctc-onednn: ") + name + " must be a Float32Array"};
  if (length != expected) {
    throw JsError{std::string("ctc-onednn: ") + name + " has " + std::to_string(length) + " values, expected " + std::to_string(expected)};
  }
  return static_cast<float*>(data);
}

Geometry geometry(napi_env env, napi_value value) {
  bool isTyped = false;
  check(env, napi_is_typedarray(env, value, &isTyped), "napi_is_typedarray");
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  if (isTyped) check(env, napi_get_typedarray_info(env, value, &type, &length, &data, nullptr, nullptr), "napi_get_typedarray_info");
  if (!isTyped || type != napi_int32_array || length != kGeometryInts) {
    throw JsError{"ctc-onednn: geometry must be an Int32Array of " + std::to_string(kGeometryInts) + " values"};
  }
  Geometry g;
  std::memcpy(&g, data, sizeof(Geometry));
  const int32_t* v = reinterpret_cast<const int32_t*>(&g);
  for (size_t i = 0; i < kGeometryInts; i++) {
    if (v[i] < 0) throw JsError{"ctc-onednn: geometry has a negative entry"};
  }
  if (g.n == 0 || g.c == 0 || g.o == 0 || g.kh == 0 || g.kw == 0 || g.sh == 0 || g.sw == 0 || g.dh == 0 || g.dw == 0) {
    throw JsError{"ctc-onednn: geometry has a zero size, stride or dilation"};
  }
  return g;
}

size_t inputSize(const Geometry& g) { return size_t(g.n) * g.h * g.w * g.c; }
size_t outputSize(const Geometry& g) { return size_t(g.n) * g.oh * g.ow * g.o; }
size_t filterSize(const Geometry& g) { return size_t(g.kh) * g.kw * g.c * g.o; }

std::vector<napi_value> arguments(napi_env env, napi_callback_info info, size_t count) {
  std::vector<napi_value> argv(count);
  size_t argc = count;
  check(env, napi_get_cb_info(env, info, &argc, argv.data(), nullptr, nullptr), "napi_get_cb_info");
  if (argc < count) throw JsError{"ctc-onednn: expected " + std::to_string(count) + " arguments"};
  return argv;
}

bool isNullish(napi_env env, napi_value value) {
  napi_valuetype type;
  check(env, napi_typeof(env, value, &type), "napi_typeof");
  return type == napi_null || type == napi_undefined;
}

// Wraps a body so that C++ and oneDNN errors become JavaScript exceptions.
template <typename Body>
napi_value guarded(napi_env env, Body body) {
  try {
    return body();
  } catch (const JsError& e) {
    napi_throw_error(env, nullptr, e.message.c_str());
  } catch (const dnnl::error& e) {
    napi_throw_error(env, nullptr, (std::string("ctc-onednn: oneDNN: ") + e.what()).c_str());
  } catch (const std::exception& e) {
    napi_throw_error(env, nullptr, (std::string("ctc-onednn: ") + e.what()).c_str());
  }
  return nullptr;
}

// forward(geometry, x, filter, bias | null, relu, y)
napi_value Forward(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    auto argv = arguments(env, info, 6);
    Geometry g = geometry(env, argv[0]);
    float* x = floats(env, argv[1], inputSize(g), "x");
    float* w = floats(env, argv[2], filterSize(g), "filter");
    bool hasBias = !isNullish(env, argv[3]);
    float* bias = hasBias ? floats(env, argv[3], size_t(g.o), "bias") : nullptr;
    bool relu = false;
    check(env, napi_get_value_bool(env, argv[4], &relu), "relu must be a boolean");
    float* y = floats(env, argv[5], outputSize(g), "y");
    run(planFor(Op::Forward, g, hasBias, relu), x, w, y, bias);
    return nullptr;
  });
}

// backwardData(geometry, dy, filter, dx)
napi_value BackwardData(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    auto argv = arguments(env, info, 4);
    Geometry g = geometry(env, argv[0]);
    float* dy = floats(env, argv[1], outputSize(g), "dy");
    float* w = floats(env, argv[2], filterSize(g), "filter");
    float* dx = floats(env, argv[3], inputSize(g), "dx");
    run(planFor(Op::BackwardData, g, false, false), dy, w, dx, nullptr);
    return nullptr;
  });
}

// backwardWeights(geometry, x, dy, dw)
napi_value BackwardWeights(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    auto argv = arguments(env, info, 4);
    Geometry g = geometry(env, argv[0]);
    float* x = floats(env, argv[1], inputSize(g), "x");
    float* dy = floats(env, argv[2], outputSize(g), "dy");
    float* dw = floats(env, argv[3], filterSize(g), "dw");
    run(planFor(Op::BackwardWeights, g, false, false), x, dy, dw, nullptr);
    return nullptr;
  });
}

// maxPoolGrad2x2(dims [n, h, w, oh, ow, c], x, dy, dx): the gradient of a 2x2, stride-2,
// unpadded max pool. Each window sends its dy to its first maximum in row-major order, with a
// strict > starting from -infinity (so NaN and -infinity never win): tfjs's cpu backend's rule,
// which ctc's wasm kernel follows too. Windows are disjoint, so the result is exact.
napi_value MaxPoolGrad2x2(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    auto argv = arguments(env, info, 4);
    bool isTyped = false;
    check(env, napi_is_typedarray(env, argv[0], &isTyped), "napi_is_typedarray");
    napi_typedarray_type type;
    size_t length = 0;
    void* data = nullptr;
    if (isTyped) check(env, napi_get_typedarray_info(env, argv[0], &type, &length, &data, nullptr, nullptr), "napi_get_typedarray_info");
    if (!isTyped || type != napi_int32_array || length != 6) throw JsError{"ctc-onednn: pool dims must be an Int32Array of 6 values"};
    const int32_t* d = static_cast<const int32_t*>(data);
    const int64_t n = d[0], h = d[1], w = d[2], oh = d[3], ow = d[4], c = d[5];
    if (n < 1 || c < 1 || oh < 0 || ow < 0 || h < 2 * oh || w < 2 * ow) throw JsError{"ctc-onednn: pool dims do not describe a 2x2 stride-2 pool"};
    const float* x = floats(env, argv[1], size_t(n * h * w * c), "x");
    const float* dy = floats(env, argv[2], size_t(n * oh * ow * c), "dy");
    float* dx = floats(env, argv[3], size_t(n * h * w * c), "dx");
    const float lowest = -std::numeric_limits<float>::infinity();
#pragma omp parallel for schedule(static)
    for (int64_t b = 0; b < n; b++) {
      std::memset(dx + b * h * w * c, 0, sizeof(float) * size_t(h * w * c));
      for (int64_t r = 0; r < oh; r++) {
        for (int64_t col = 0; col < ow; col++) {
          const int64_t i0 = ((b * h + 2 * r) * w + 2 * col) * c;
          const int64_t i1 = i0 + c, i2 = i0 + w * c, i3 = i2 + c;
          const float* g = dy + ((b * oh + r) * ow + col) * c;
          for (int64_t k = 0; k < c; k++) {
            float best = lowest;
            int64_t at = -1;
            if (x[i0 + k] > best) { best = x[i0 + k]; at = i0; }
            if (x[i1 + k] > best) { best = x[i1 + k]; at = i1; }
            if (x[i2 + k] > best) { best = x[i2 + k]; at = i2; }
            if (x[i3 + k] > best) { at = i3; }
            if (at >= 0) dx[at + k] = g[k];
          }
        }
      }
    }
    return nullptr;
  });
}

// ---- batch normalisation over the last axis, training mode ----------------------------
// x is [rows, c] (NHWC activations flattened). Per-channel sums run in double, each thread over
// a fixed block of rows, and the threads' partial sums are added in thread order: the result
// depends only on the thread count, not on scheduling.

struct Partials {
  std::vector<double> a, b;  // per thread: [threads * c]
  int threads = 1;
};

// Sums over rows of f(row, channel) -> (first, second), per channel.
template <typename Pair>
void channelSums(int64_t rows, int64_t c, Pair pair, std::vector<double>& first, std::vector<double>& second) {
  static Partials parts;
  const int threads = omp_get_max_threads();
  parts.threads = threads;
  parts.a.assign(size_t(threads) * c, 0.0);
  parts.b.assign(size_t(threads) * c, 0.0);
#pragma omp parallel num_threads(threads)
  {
    const int t = omp_get_thread_num();
    const int64_t begin = rows * t / threads, end = rows * (t + 1) / threads;
    double* sa = parts.a.data() + size_t(t) * c;
    double* sb = parts.b.data() + size_t(t) * c;
    for (int64_t r = begin; r < end; r++) pair(r, sa, sb);
  }
  first.assign(c, 0.0);
  second.assign(c, 0.0);
  for (int t = 0; t < threads; t++) {
    for (int64_t k = 0; k < c; k++) {
      first[k] += parts.a[size_t(t) * c + k];
      second[k] += parts.b[size_t(t) * c + k];
    }
  }
}

struct NormDims {
  int64_t rows, c;
};

NormDims normDims(napi_env env, napi_value value) {
  bool isTyped = false;
  check(env, napi_is_typedarray(env, value, &isTyped), "napi_is_typedarray");
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  if (isTyped) check(env, napi_get_typedarray_info(env, value, &type, &length, &data, nullptr, nullptr), "napi_get_typedarray_info");
  if (!isTyped || type != napi_int32_array || length != 2) throw JsError{"ctc-onednn: norm dims must be an Int32Array [rows, channels]"};
  const int32_t* d = static_cast<const int32_t*>(data);
  if (d[0] < 1 || d[1] < 1) throw JsError{"ctc-onednn: norm dims must be positive"};
  return {d[0], d[1]};
}

double numberArg(napi_env env, napi_value value, const char* name) {
  double v = 0;
  if (napi_get_value_double(env, value, &v) != napi_ok) throw JsError{std::string("ctc-onednn: ") + name + " must be a number"};
  return v;
}

// batchNormForward(dims, x, gamma, beta, epsilon, y, mean, variance): batch statistics (the
// population variance, as tf.moments), y = (x - mean) / sqrt(variance + epsilon) * gamma + beta.
napi_value BatchNormForward(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    auto argv = arguments(env, info, 8);
    const NormDims d = normDims(env, argv[0]);
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
#pragma omp parallel for schedule(static)
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
    const NormDims d = normDims(env, argv[0]);
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
#pragma omp parallel for schedule(static)
    for (int64_t r = 0; r < d.rows; r++) {
      const float* __restrict xr = x + r * c;
      const float* __restrict g = dy + r * c;
      float* __restrict out = dx + r * c;
      for (int64_t k = 0; k < c; k++) out[k] = a[k] * g[k] + b[k] * (xr[k] - mu[k]) + e[k];
    }
    return nullptr;
  });
}

// relu(x, y): y = max(0, x) as tfjs's cpu backend computes it: -0 gives 0, NaN stays NaN.
napi_value Relu(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    auto argv = arguments(env, info, 2);
    size_t n = 0;
    check(env, napi_get_typedarray_info(env, argv[0], nullptr, &n, nullptr, nullptr, nullptr), "x must be a Float32Array");
    const float* __restrict x = floats(env, argv[0], n, "x");
    float* __restrict y = floats(env, argv[1], n, "y");
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < int64_t(n); i++) {
      const float v = x[i];
      y[i] = v > 0.0f ? v : (v == v ? 0.0f : v);
    }
    return nullptr;
  });
}

// reluGrad(x, dy, dx): dx = x > 0 ? dy : 0 (tfjs: dy * step(x), step(NaN) = NaN).
napi_value ReluGrad(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    auto argv = arguments(env, info, 3);
    size_t n = 0;
    check(env, napi_get_typedarray_info(env, argv[0], nullptr, &n, nullptr, nullptr, nullptr), "x must be a Float32Array");
    const float* __restrict x = floats(env, argv[0], n, "x");
    const float* __restrict dy = floats(env, argv[1], n, "dy");
    float* __restrict dx = floats(env, argv[2], n, "dx");
#pragma omp parallel for schedule(static)
    // Branch-free (selects, then one multiply), so it vectorises: the signs of x are random,
    // and a branch per element mispredicts half the time (5x slower, measured).
    for (int64_t i = 0; i < int64_t(n); i++) {
      const float v = x[i];
      const float step = v > 0.0f ? 1.0f : (v == v ? 0.0f : v);
      dx[i] = dy[i] * step;
    }
    return nullptr;
  });
}

// setThreads(n): the OpenMP threads oneDNN's primitives use from now on.
napi_value SetThreads(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    auto argv = arguments(env, info, 1);
    int32_t n = 0;
    check(env, napi_get_value_int32(env, argv[0], &n), "threads must be a number");
    if (n < 1) throw JsError{"ctc-onednn: threads must be at least 1"};
    omp_set_num_threads(n);
    return nullptr;
  });
}

napi_value number(napi_env env, double v) {
  napi_value out;
  check(env, napi_create_double(env, v, &out), "napi_create_double");
  return out;
}

napi_value text(napi_env env, const std::string& s) {
  napi_value out;
  check(env, napi_create_string_utf8(env, s.c_str(), s.size(), &out), "napi_create_string_utf8");
  return out;
}

const char* isaName(dnnl::cpu_isa isa) {
  switch (isa) {
    case dnnl::cpu_isa::sse41: return "sse41";
    case dnnl::cpu_isa::avx: return "avx";
    case dnnl::cpu_isa::avx2: return "avx2";
    case dnnl::cpu_isa::avx512_core: return "avx512_core";
    case dnnl::cpu_isa::avx512_core_vnni: return "avx512_core_vnni";
    case dnnl::cpu_isa::avx512_core_bf16: return "avx512_core_bf16";
    case dnnl::cpu_isa::avx512_core_amx: return "avx512_core_amx";
    default: return "other";
  }
}

// info(): { version, isa, threads, cachedPlans }
napi_value Info(napi_env env, napi_callback_info) {
  return guarded(env, [&]() -> napi_value {
    napi_value out;
    check(env, napi_create_object(env, &out), "napi_create_object");
    const dnnl_version_t* v = dnnl::version();
    std::string version = std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch);
    check(env, napi_set_named_property(env, out, "version", text(env, version)), "set version");
    check(env, napi_set_named_property(env, out, "isa", text(env, isaName(dnnl::get_effective_cpu_isa()))), "set isa");
    check(env, napi_set_named_property(env, out, "threads", number(env, omp_get_max_threads())), "set threads");
    check(env, napi_set_named_property(env, out, "cachedPlans", number(env, double(plans().size()))), "set cachedPlans");
    return out;
  });
}

napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"forward", nullptr, Forward, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"backwardData", nullptr, BackwardData, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"backwardWeights", nullptr, BackwardWeights, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"maxPoolGrad2x2", nullptr, MaxPoolGrad2x2, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"batchNormForward", nullptr, BatchNormForward, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"batchNormBackward", nullptr, BatchNormBackward, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"relu", nullptr, Relu, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"reluGrad", nullptr, ReluGrad, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"setThreads", nullptr, SetThreads, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"info", nullptr, Info, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
