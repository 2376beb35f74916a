// One matrix product in oneDNN's matmul primitive: c = op(a) op(b) (+ bias) (relu), with either
// operand read transposed in place through its strides (no copy), for tfjs's BatchMatMul and
// _FusedMatMul with one batch (dense layers and their gradients). Primitives are built once per
// shape and reused.

#include <memory>
#include <string>
#include <unordered_map>

#include "napi-util.h"

namespace ctc {
namespace {

using dnnl::memory;
using dt = memory::data_type;

struct MatMulPlan {
  dnnl::matmul primitive;
  memory a, b, c, bias;
  bool hasBias = false;
};

// [rows, cols] stored row-major, or its transpose stored row-major (read with swapped strides).
memory::desc matrixDesc(int64_t rows, int64_t cols, bool transposed) {
  return memory::desc({rows, cols}, dt::f32, transposed ? memory::dims{1, rows} : memory::dims{cols, 1});
}

std::unique_ptr<MatMulPlan> makePlan(int64_t m, int64_t k, int64_t n, bool transA, bool transB, bool bias, bool relu) {
  auto plan = std::make_unique<MatMulPlan>();
  const memory::desc aDesc = matrixDesc(m, k, transA), bDesc = matrixDesc(k, n, transB), cDesc = matrixDesc(m, n, false);
  const memory::desc biasDesc({1, n}, dt::f32, memory::dims{n, 1});
  dnnl::primitive_attr attr;
  if (relu) {
    dnnl::post_ops ops;
    ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, 0.0f, 0.0f);
    attr.set_post_ops(ops);
  }
  auto desc = bias ? dnnl::matmul::desc(aDesc, bDesc, biasDesc, cDesc) : dnnl::matmul::desc(aDesc, bDesc, cDesc);
  dnnl::matmul::primitive_desc pd(desc, attr, cpuEngine());
  plan->primitive = dnnl::matmul(pd);
  plan->a = memory(aDesc, cpuEngine(), DNNL_MEMORY_NONE);
  plan->b = memory(bDesc, cpuEngine(), DNNL_MEMORY_NONE);
  plan->c = memory(cDesc, cpuEngine(), DNNL_MEMORY_NONE);
  if (bias) plan->bias = memory(biasDesc, cpuEngine(), DNNL_MEMORY_NONE);
  plan->hasBias = bias;
  return plan;
}

std::unordered_map<std::string, std::unique_ptr<MatMulPlan>>& matMulPlans() {
  static std::unordered_map<std::string, std::unique_ptr<MatMulPlan>> cache;
  return cache;
}

MatMulPlan& planFor(int64_t m, int64_t k, int64_t n, bool transA, bool transB, bool bias, bool relu) {
  auto& cache = matMulPlans();
  const std::string key = std::to_string(m) + "x" + std::to_string(k) + "x" + std::to_string(n) + (transA ? "T" : "N") +
                          (transB ? "T" : "N") + (bias ? "b" : "-") + (relu ? "r" : "-");
  auto found = cache.find(key);
  if (found != cache.end()) return *found->second;
  auto plan = makePlan(m, k, n, transA, transB, bias, relu);
  MatMulPlan& ref = *plan;
  cache.emplace(key, std::move(plan));
  return ref;
}

}  // namespace

size_t cachedMatMulPlans() { return matMulPlans().size(); }

// matMul(dims [m, k, n], transposeA, transposeB, a, b, bias | null, relu, c): a is [m, k] (stored
// [k, m] when transposeA), b is [k, n] (stored [n, k] when transposeB), bias [n], c [m, n].
napi_value MatMul(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    auto argv = arguments(env, info, 8);
    const int32_t* d = int32s(env, argv[0], 3, "matMul dims [m, k, n]");
    const int64_t m = d[0], k = d[1], n = d[2];
    if (m < 1 || k < 1 || n < 1) throw JsError{"ctc-onednn: matMul dims must be positive"};
    const bool transA = boolArg(env, argv[1], "transposeA"), transB = boolArg(env, argv[2], "transposeB");
    float* a = floats(env, argv[3], size_t(m * k), "a");
    float* b = floats(env, argv[4], size_t(k * n), "b");
    float* bias = optionalFloats(env, argv[5], size_t(n), "bias");
    const bool hasBias = bias != nullptr;
    const bool relu = boolArg(env, argv[6], "relu");
    float* c = floats(env, argv[7], size_t(m * n), "c");
    MatMulPlan& plan = planFor(m, k, n, transA, transB, hasBias, relu);
    plan.a.set_data_handle(a);
    plan.b.set_data_handle(b);
    plan.c.set_data_handle(c);
    std::unordered_map<int, memory> args = {{DNNL_ARG_SRC, plan.a}, {DNNL_ARG_WEIGHTS, plan.b}, {DNNL_ARG_DST, plan.c}};
    if (hasBias) {
      plan.bias.set_data_handle(bias);
      args[DNNL_ARG_BIAS] = plan.bias;
    }
    plan.primitive.execute(cpuStream(), args);
    cpuStream().wait();
    return nullptr;
  });
}

}  // namespace ctc
