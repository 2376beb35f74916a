// N-API helpers shared by the addon's files: argument checks that throw one clear JavaScript
// error (naming the argument) instead of reading past a buffer, and the C++ -> JS error boundary.
#pragma once

#include <node_api.h>
#include <oneapi/dnnl/dnnl.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace ctc {

// Below this many values a loop runs on the calling thread: waking OpenMP's threads costs more
// than the work (a relu on a 128-value loss term took 3 ms instead of microseconds).
constexpr int64_t kParallelMin = 1 << 15;

struct JsError {
  std::string message;
};

inline void check(napi_env env, napi_status status, const char* what) {
  if (status != napi_ok) throw JsError{std::string("ctc-onednn: ") + what};
}

// A float32 typed array's data and element count.
inline float* floats(napi_env env, napi_value value, size_t expected, const char* name) {
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

inline std::vector<napi_value> arguments(napi_env env, napi_callback_info info, size_t count) {
  std::vector<napi_value> argv(count);
  size_t argc = count;
  check(env, napi_get_cb_info(env, info, &argc, argv.data(), nullptr, nullptr), "napi_get_cb_info");
  if (argc < count) throw JsError{"ctc-onednn: expected " + std::to_string(count) + " arguments"};
  return argv;
}

inline bool isNullish(napi_env env, napi_value value) {
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

inline bool boolArg(napi_env env, napi_value value, const char* name) {
  bool v = false;
  if (napi_get_value_bool(env, value, &v) != napi_ok) throw JsError{std::string("ctc-onednn: ") + name + " must be a boolean"};
  return v;
}

// A float32 typed array of `expected` values, or nullptr for null/undefined (an optional bias).
inline float* optionalFloats(napi_env env, napi_value value, size_t expected, const char* name) {
  return isNullish(env, value) ? nullptr : floats(env, value, expected, name);
}

inline double numberArg(napi_env env, napi_value value, const char* name) {
  double v = 0;
  if (napi_get_value_double(env, value, &v) != napi_ok) throw JsError{std::string("ctc-onednn: ") + name + " must be a number"};
  return v;
}


// The element count of a typed array (the size the other buffers of a call must match).
inline size_t typedLength(napi_env env, napi_value value, const char* name) {
  size_t length = 0;
  if (napi_get_typedarray_info(env, value, nullptr, &length, nullptr, nullptr, nullptr) != napi_ok) {
    throw JsError{std::string("ctc-onednn: ") + name + " must be a Float32Array"};
  }
  return length;
}

// An Int32Array of exactly `count` values (dimensions, geometry).
inline const int32_t* int32s(napi_env env, napi_value value, size_t count, const char* what) {
  bool isTyped = false;
  check(env, napi_is_typedarray(env, value, &isTyped), "napi_is_typedarray");
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  if (isTyped) check(env, napi_get_typedarray_info(env, value, &type, &length, &data, nullptr, nullptr), "napi_get_typedarray_info");
  if (!isTyped || type != napi_int32_array || length != count) {
    throw JsError{std::string("ctc-onednn: ") + what + " must be an Int32Array of " + std::to_string(count) + " values"};
  }
  return static_cast<const int32_t*>(data);
}

// oneDNN's CPU engine and the stream every primitive runs on (conv.cc).
dnnl::engine& cpuEngine();
dnnl::stream& cpuStream();

// The addon's functions, one per file group (conv.cc, norm.cc, prelu.cc, pointwise.cc).
napi_value Forward(napi_env env, napi_callback_info info);
napi_value BackwardData(napi_env env, napi_callback_info info);
napi_value BackwardWeights(napi_env env, napi_callback_info info);
size_t cachedPlans();
size_t cachedWinogradPlans();
// Input gradients that took the forward route (conv.cc, asForward) so far.
size_t backwardDataViaForward();
napi_value MatMul(napi_env env, napi_callback_info info);
size_t cachedMatMulPlans();
napi_value BatchNormForward(napi_env env, napi_callback_info info);
napi_value BatchNormBackward(napi_env env, napi_callback_info info);
napi_value ColumnSums(napi_env env, napi_callback_info info);
napi_value Relu(napi_env env, napi_callback_info info);
napi_value ReluGrad(napi_env env, napi_callback_info info);
napi_value MaxPoolGrad2x2(napi_env env, napi_callback_info info);
napi_value MaxPool2x2(napi_env env, napi_callback_info info);
napi_value SgdMomentum(napi_env env, napi_callback_info info);
napi_value MaxPoolGrad(napi_env env, napi_callback_info info);
napi_value SubsamplePad(napi_env env, napi_callback_info info);
napi_value SubsamplePadGrad(napi_env env, napi_callback_info info);
napi_value PreluForward(napi_env env, napi_callback_info info);
napi_value PreluBackward(napi_env env, napi_callback_info info);

}  // namespace ctc
