// XXH3 compiled for sse2; see xxh3_impl.inc.
#define XXH_VECTOR XXH_SSE2
#define RINGFLOW_XXH3_FUNCS Xxh3Sse2
#include "framework/core/xxh3_impl.inc"
