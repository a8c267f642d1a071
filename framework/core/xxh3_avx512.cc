// XXH3 compiled for avx512; see xxh3_impl.inc.
#define XXH_VECTOR XXH_AVX512
#define RINGFLOW_XXH3_FUNCS Xxh3Avx512
#include "framework/core/xxh3_impl.inc"
