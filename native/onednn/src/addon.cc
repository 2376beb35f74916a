// ctc-onednn: oneDNN convolutions and a few compiled kernels behind ctc's tfjs kernels (see
// src/backend/native/onednn.ts). This file registers the functions; conv.cc, norm.cc, prelu.cc and
// pointwise.cc implement them.

#include <omp.h>

#include "napi-util.h"

namespace ctc {
namespace {

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

// info(): { version, isa, threads, cachedPlans (convolution and matmul primitives built so far),
// winogradPlans (convolution primitives built with Winograd's algorithm so far), backwardDataViaForward
// (input gradients computed as forward convolutions so far) }
napi_value Info(napi_env env, napi_callback_info) {
  return guarded(env, [&]() -> napi_value {
    napi_value out;
    check(env, napi_create_object(env, &out), "napi_create_object");
    const dnnl_version_t* v = dnnl::version();
    std::string version = std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch);
    check(env, napi_set_named_property(env, out, "version", text(env, version)), "set version");
    check(env, napi_set_named_property(env, out, "isa", text(env, isaName(dnnl::get_effective_cpu_isa()))), "set isa");
    check(env, napi_set_named_property(env, out, "threads", number(env, omp_get_max_threads())), "set threads");
    check(env, napi_set_named_property(env, out, "cachedPlans", number(env, double(cachedPlans() + cachedMatMulPlans()))), "set cachedPlans");
    check(env, napi_set_named_property(env, out, "winogradPlans", number(env, double(cachedWinogradPlans()))), "set winogradPlans");
    check(env, napi_set_named_property(env, out, "backwardDataViaForward", number(env, double(backwardDataViaForward()))), "set backwardDataViaForward");
    return out;
  });
}

napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"forward", nullptr, Forward, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"backwardData", nullptr, BackwardData, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"backwardWeights", nullptr, BackwardWeights, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"matMul", nullptr, MatMul, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"maxPool2x2", nullptr, MaxPool2x2, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"sgdMomentum", nullptr, SgdMomentum, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"maxPoolGrad2x2", nullptr, MaxPoolGrad2x2, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"maxPoolGrad", nullptr, MaxPoolGrad, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"subsamplePad", nullptr, SubsamplePad, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"subsamplePadGrad", nullptr, SubsamplePadGrad, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"preluForward", nullptr, PreluForward, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"preluBackward", nullptr, PreluBackward, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"batchNormForward", nullptr, BatchNormForward, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"batchNormBackward", nullptr, BatchNormBackward, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"columnSums", nullptr, ColumnSums, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"relu", nullptr, Relu, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"reluGrad", nullptr, ReluGrad, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"setThreads", nullptr, SetThreads, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"info", nullptr, Info, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}

}  // namespace
}  // namespace ctc

NAPI_MODULE(NODE_GYP_MODULE_NAME, ctc::Init)
