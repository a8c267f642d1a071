// XXH3 compiled for avx2; see xxh3_impl.inc.
#define XXH_VECTOR XXH_AVX2
#define RINGFLOW_XXH3_FUNCS Xxh3Avx2
#include "framework/core/xxh3_impl.inc"
