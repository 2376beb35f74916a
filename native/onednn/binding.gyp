{
  "targets": [
    {
      "target_name": "ctc_onednn",
      "sources": ["src/addon.cc", "src/conv.cc", "src/matmul.cc", "src/norm.cc", "src/prelu.cc", "src/pointwise.cc"],
      "cflags_cc": ["-O3", "-std=c++17", "-fexceptions", "-fopenmp", "-fno-trapping-math", "-ffp-contract=off"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      "libraries": ["-ldnnl", "-fopenmp"]
    }
  ]
}
