// oneDNN convolutions (forward, backward-data, backward-weights) for ctc's tfjs kernels. Tensors
// arrive as float32 typed arrays in tfjs's layouts (activations NHWC, filters HWIO). Activations
// are handed to the primitives as NHWC, as PyTorch does with channels_last tensors: oneDNN then
// picks its brgemm forward and NHWC JIT backward kernels, and no activation is copied. Letting it
// choose the blocked layout (nChw16c) instead made its kernels a little faster but the reorders
// to and from it cost more: a ResNet-20 step took 305 ms that way and 267 ms this way, LeNets++
// 382 and 347 (batch 128); one exception below (activationDesc). Filters are reordered to the
// layout the primitive chooses (they are small). Primitives and reorders are built once per shape.

#include <cstring>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "napi-util.h"

namespace ctc {
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


memory::dims srcDims(const Geometry& g) { return {g.n, g.c, g.h, g.w}; }
memory::dims dstDims(const Geometry& g) { return {g.n, g.o, g.oh, g.ow}; }
memory::dims weightDims(const Geometry& g) { return {g.o, g.c, g.kh, g.kw}; }

memory::desc anyDesc(const memory::dims& dims) { return memory::desc(dims, dt::f32, tag::any); }
memory::desc nhwcDesc(const memory::dims& dims) { return memory::desc(dims, dt::f32, tag::nhwc); }

// The activation layout the primitives are given. NHWC, except for 1x1 filters with a stride:
// oneDNN 2.6.3's 1x1 kernels copy strided NHWC input through a scratch buffer and its backward-
// weights kernel corrupted the heap there (a 28x28 input, stride 2; ctc's tests caught it), so
// those let oneDNN choose its blocked layout, with reorders.
memory::desc activationDesc(const Geometry& g, const memory::dims& dims) {
  const bool stridedPointwise = g.kh == 1 && g.kw == 1 && (g.sh > 1 || g.sw > 1);
  return stridedPointwise ? anyDesc(dims) : nhwcDesc(dims);
}

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

// Where Winograd's F(4x4, 3x3) beats the direct kernels on this machine's oneDNN 2.6.3: 3x3
// stride-1 'same' convolutions of 64 channels or more. Batch 128, both threads, each kernel alone
// in a hot loop, NHWC direct against Winograd on the blocked layout: forward and backward-data
// 0.93 against 1.50 ms on 64 channels at 8x8, backward-weights 1.35 against 1.89; on 32 channels
// at 16x16 forward 1.35 against 1.71, backward-weights slower, and on 16 at 32x32 all slower.
// Winograd works on oneDNN's blocked layout, so the activations are reordered to it and back
// (Operand): inside a ResNet-20 step that took 0.18 ms a reorder on 32 channels, 0.11 on 64, and
// the 32-channel forward ran no faster than the direct kernel once reorders were counted. It
// rounds differently from the direct kernels (within float tolerance: test/backend/onednn).
bool winogradFits(const Geometry& g) {
  return g.kh == 3 && g.kw == 3 && g.sh == 1 && g.sw == 1 && g.dh == 1 && g.dw == 1 && g.oh == g.h && g.ow == g.w &&
         g.c % 16 == 0 && g.o % 16 == 0 && g.c >= 64 && g.o >= 64;
}

// The activation layout for an algorithm: activationDesc's for the direct kernels; Winograd's
// kernels choose their blocked one.
memory::desc algorithmLayout(const Geometry& g, const memory::dims& dims, dnnl::algorithm algo) {
  return algo == dnnl::algorithm::convolution_winograd ? anyDesc(dims) : activationDesc(g, dims);
}

dnnl::convolution_forward::primitive_desc forwardPd(const Geometry& g, bool bias, bool relu, dnnl::algorithm algo) {
  memory::dims strides = {g.sh, g.sw};
  memory::dims dilates = {g.dh - 1, g.dw - 1};
  memory::dims padL = {g.pt, g.pl};
  memory::dims padR = {g.pb, g.pr};
  auto layout = [&](const memory::dims& dims) { return algorithmLayout(g, dims, algo); };
  auto prop = dnnl::prop_kind::forward_training;
  dnnl::primitive_attr attr;
  if (relu) {
    dnnl::post_ops ops;
    ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, 0.0f, 0.0f);
    attr.set_post_ops(ops);
  }
  if (bias) {
    dnnl::convolution_forward::desc desc(prop, algo, layout(srcDims(g)), anyDesc(weightDims(g)),
                                         memory::desc({g.o}, dt::f32, tag::a), layout(dstDims(g)),
                                         strides, dilates, padL, padR);
    return {desc, attr, cpuEngine()};
  }
  dnnl::convolution_forward::desc desc(prop, algo, layout(srcDims(g)), anyDesc(weightDims(g)), layout(dstDims(g)),
                                       strides, dilates, padL, padR);
  return {desc, attr, cpuEngine()};
}

std::unique_ptr<Plan> makePlan(Op op, const Geometry& g, bool bias, bool relu, dnnl::algorithm algo) {
  memory::desc nhwcSrc = nhwcDesc(srcDims(g));
  memory::desc nhwcDst = nhwcDesc(dstDims(g));
  memory::desc hwioWeights(weightDims(g), dt::f32, tag::hwio);
  memory::dims strides = {g.sh, g.sw};
  memory::dims dilates = {g.dh - 1, g.dw - 1};
  memory::dims padL = {g.pt, g.pl};
  memory::dims padR = {g.pb, g.pr};
  auto layout = [&](const memory::dims& dims) { return algorithmLayout(g, dims, algo); };
  auto plan = std::make_unique<Plan>();
  auto fwd = forwardPd(g, bias && op == Op::Forward, relu && op == Op::Forward, algo);
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
    dnnl::convolution_backward_data::desc desc(algo, layout(srcDims(g)), anyDesc(weightDims(g)), layout(dstDims(g)),
                                               strides, dilates, padL, padR);
    dnnl::convolution_backward_data::primitive_desc pd(desc, cpuEngine(), fwd);
    plan->primitive = dnnl::convolution_backward_data(pd);
    plan->a = Operand(nhwcDst, pd.diff_dst_desc(), true);
    plan->b = Operand(hwioWeights, pd.weights_desc(), true);
    plan->out = Operand(nhwcSrc, pd.diff_src_desc(), false);
    plan->argA = DNNL_ARG_DIFF_DST;
    plan->argB = DNNL_ARG_WEIGHTS;
    plan->argOut = DNNL_ARG_DIFF_SRC;
  } else {
    dnnl::convolution_backward_weights::desc desc(algo, layout(srcDims(g)), anyDesc(weightDims(g)),
                                                  layout(dstDims(g)), strides, dilates, padL, padR);
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

size_t winogradPlans = 0;

std::unordered_map<std::string, std::unique_ptr<Plan>>& plans() {
  static std::unordered_map<std::string, std::unique_ptr<Plan>> cache;
  return cache;
}

// The plan for one call, built on first use. winograd asks for Winograd where it fits
// (winogradFits); where oneDNN has no Winograd kernel for it (another ISA) the direct one is used.
Plan& planFor(Op op, const Geometry& g, bool bias, bool relu, bool winogradAsked) {
  const bool winograd = winogradAsked && winogradFits(g);  // one plan for a shape it does not fit, asked or not
  std::string key(reinterpret_cast<const char*>(&g), sizeof(Geometry));
  key.push_back(static_cast<char>(op));
  key.push_back(bias ? 'b' : '-');
  key.push_back(relu ? 'r' : '-');
  key.push_back(winograd ? 'w' : '-');
  auto& cache = plans();
  auto found = cache.find(key);
  if (found != cache.end()) return *found->second;
  std::unique_ptr<Plan> plan;
  if (winograd) {
    try {
      plan = makePlan(op, g, bias, relu, dnnl::algorithm::convolution_winograd);
      winogradPlans++;
    } catch (const dnnl::error&) {
      plan = nullptr;
    }
  }
  if (!plan) plan = makePlan(op, g, bias, relu, dnnl::algorithm::convolution_direct);
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

Geometry geometry(napi_env env, napi_value value) {
  const int32_t* data = int32s(env, value, kGeometryInts, "geometry");
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

}  // namespace

dnnl::engine& cpuEngine() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

dnnl::stream& cpuStream() {
  static dnnl::stream stream(cpuEngine());
  return stream;
}

size_t cachedPlans() { return plans().size(); }
size_t cachedWinogradPlans() { return winogradPlans; }

static size_t viaForwardCount = 0;
size_t backwardDataViaForward() { return viaForwardCount; }

// forward(geometry, x, filter, bias | null, relu, y, winograd)
napi_value Forward(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    auto argv = arguments(env, info, 7);
    Geometry g = geometry(env, argv[0]);
    float* x = floats(env, argv[1], inputSize(g), "x");
    float* w = floats(env, argv[2], filterSize(g), "filter");
    float* bias = optionalFloats(env, argv[3], size_t(g.o), "bias");
    const bool hasBias = bias != nullptr;
    const bool relu = boolArg(env, argv[4], "relu");
    float* y = floats(env, argv[5], outputSize(g), "y");
    const bool winograd = boolArg(env, argv[6], "winograd");
    run(planFor(Op::Forward, g, hasBias, relu, winograd), x, w, y, bias);
    return nullptr;
  });
}

namespace {

// The input gradient of a stride-1, undilated convolution is itself a forward convolution: of dy
// with the filter turned by 180 degrees and its channels swapped, padded by (k - 1 - pad) on each
// side. oneDNN 2.6.3 runs forward convolutions with its brgemm kernels but the backward-data
// ones with older JIT kernels, 1.2-1.5x slower on LeNets++'s 5x5 layers (ONEDNN_VERBOSE), so
// this takes the forward route where it applies (null otherwise): 'same' convolutions, whose
// turned form is 'same' too. A 'valid' one turns into a convolution padded by k - 1 on every
// side, and that was slower than the backward kernel (LeNets' second layer: 3.6 against 2.7 ms).
// Below 32 channels the backward kernel is the faster one (ResNet-20's 16-channel 3x3 layers:
// 1.86 against 2.27 ms in a hot loop). Writes the turned geometry to t and says whether the route
// applies.
bool asForward(const Geometry& g, Geometry& t) {
  const bool unit = g.sh == 1 && g.sw == 1 && g.dh == 1 && g.dw == 1;
  const bool same = g.oh == g.h && g.ow == g.w;
  const bool wide = g.c >= 32 && g.o >= 32;
  if (!unit || !same || !wide || g.pt >= g.kh || g.pb >= g.kh || g.pl >= g.kw || g.pr >= g.kw) return false;
  t = Geometry{g.n, g.oh, g.ow, g.o, g.kh, g.kw, g.c, g.h, g.w, 1, 1, 1, 1,
               g.kh - 1 - g.pt, g.kw - 1 - g.pl, g.kh - 1 - g.pb, g.kw - 1 - g.pr};
  return t.h + t.pt + t.pb - t.kh + 1 == t.oh && t.w + t.pl + t.pr - t.kw + 1 == t.ow;
}

// HWIO [kh][kw][c][o] -> the turned, swapped filter [kh][kw][o][c] of asForward.
void turnFilter(const Geometry& g, const float* w, std::vector<float>& turned) {
  turned.resize(filterSize(g));
  const int64_t c = g.c, o = g.o;
  for (int64_t y = 0; y < g.kh; y++) {
    for (int64_t x = 0; x < g.kw; x++) {
      const float* src = w + ((g.kh - 1 - y) * g.kw + (g.kw - 1 - x)) * c * o;
      float* dst = turned.data() + (y * g.kw + x) * o * c;
      for (int64_t i = 0; i < c; i++) {
        for (int64_t j = 0; j < o; j++) dst[j * c + i] = src[i * o + j];
      }
    }
  }
}

}  // namespace

// backwardData(geometry, dy, filter, dx, viaForward, winograd): viaForward lets a stride-1 'same'
// convolution take the forward route (asForward); winograd as in forward.
napi_value BackwardData(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    auto argv = arguments(env, info, 6);
    Geometry g = geometry(env, argv[0]);
    float* dy = floats(env, argv[1], outputSize(g), "dy");
    float* w = floats(env, argv[2], filterSize(g), "filter");
    float* dx = floats(env, argv[3], inputSize(g), "dx");
    const bool viaForward = boolArg(env, argv[4], "viaForward");
    const bool winograd = boolArg(env, argv[5], "winograd");
    Geometry t;
    if (viaForward && asForward(g, t)) {
      static std::vector<float> turned;
      turnFilter(g, w, turned);
      run(planFor(Op::Forward, t, false, false, winograd), dy, turned.data(), dx, nullptr);
      viaForwardCount++;
    } else {
      run(planFor(Op::BackwardData, g, false, false, winograd), dy, w, dx, nullptr);
    }
    return nullptr;
  });
}

// backwardWeights(geometry, x, dy, dw, winograd)
napi_value BackwardWeights(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    auto argv = arguments(env, info, 5);
    Geometry g = geometry(env, argv[0]);
    float* x = floats(env, argv[1], inputSize(g), "x");
    float* dy = floats(env, argv[2], outputSize(g), "dy");
    float* dw = floats(env, argv[3], filterSize(g), "dw");
    const bool winograd = boolArg(env, argv[4], "winograd");
    run(planFor(Op::BackwardWeights, g, false, false, winograd), x, dy, dw, nullptr);
    return nullptr;
  });
}

}  // namespace ctc
