// Plugins: stage and sink types from shared libraries that a pipeline document lists
// ("plugins": ["./libmy_stage.so"]). A plugin is built against the installed package
// (find_package(ringflow), target ringflow::plugin) and defines its entry points with
// RINGFLOW_PLUGIN; its ringflow symbols resolve against the `ringflow` executable, which exports
// them. Loaded libraries stay loaded for the life of the process. Not thread-safe: load plugins
// from one thread, before building pipelines. stages/examples/upper_case is a worked
// example.
#pragma once

#include <cstdint>
#include <exception>
#include <filesystem>
#include <string>
#include <vector>

#include "framework/core/result.h"
#include "framework/run/registry.h"

// Set by the ringflow::plugin target (and every in-tree target): the ringflow release.
#ifndef RINGFLOW_VERSION
#error "RINGFLOW_VERSION is not defined: link ringflow::plugin (find_package(ringflow))"
#endif

#define RINGFLOW_PLUGIN_STR_INNER(x) #x
#define RINGFLOW_PLUGIN_STR(x) RINGFLOW_PLUGIN_STR_INNER(x)

// What a plugin and the executable must share beyond the ABI version, since C++ types (std::
// string, std::function, Status) cross the boundary: the ringflow release, the compiler, the C++
// standard library and its string ABI. Differences are refused rather than risked.
#define RINGFLOW_PLUGIN_BUILD_ID                                                \
  "ringflow " RINGFLOW_VERSION ", compiler " __VERSION__                        \
  ", C++ " RINGFLOW_PLUGIN_STR(__cplusplus) ", libstdc++ " RINGFLOW_PLUGIN_STR( \
      __GLIBCXX__) " (cxx11 abi " RINGFLOW_PLUGIN_STR(_GLIBCXX_USE_CXX11_ABI) ")"

namespace ringflow::run {

// Bumped on every incompatible change of what plugins see (the stage interface, records and
// batches, StageRegistry, TypeSpec/StageConfig, the entry points below).
// 2: SinkStage gained Flush and Prepare (a new vtable layout).
// 3: checkpoints (SinkStage::checkpoints, Checkpoint, Resume).
// 4: flow::Value's b, i and d share their bytes (a smaller Value and Field).
// 5: StageRegistry and the plugin entry points moved to ringflow::run (framework/run);
//    FramingStage::frames_lines, SinkStage::lists_files and temporary_file (new virtuals),
//    RecordBatch::format_hint a std::string_view, TypeSpec::provides, sink input checks.
// 6: FramingStage::lines_framed (a new virtual).
// 7: flow::Chunk's fields of compressed files (compression, stored_end, content_bytes,
//    stored_xxh3, stored_head) before `checkpoint`; FileHead's memo (Recall, Remember).
inline constexpr std::uint32_t kPluginAbiVersion = 7;

// Loads each plugin of `paths` in order and lets it register its types in `registry`. A relative
// path is taken relative to `config_dir` (the directory of the pipeline document that lists it;
// empty: the current directory), an absolute one as it is; the library search path is never
// used. Libraries are opened with RTLD_NOW | RTLD_LOCAL and never closed (factories in the
// registry point into them). Stops at the first failure: kNotFound (and the like) for a file
// that cannot be found, kInvalidArgument for a library that does not load (the dynamic linker's
// message), lacks the entry points, was built for another ABI version, ringflow release or
// compiler, or whose register function fails (a duplicate type name, a bad schema). Every error
// is one line, "plugin <path>: <problem>", with the path as resolved.
Status LoadPlugins(StageRegistry& registry, const std::vector<std::string>& paths,
                   const std::filesystem::path& config_dir);

// LoadPlugins for the "plugins" a pipeline document lists, relative to its directory. Errors:
// "<document>: not a readable file", or LoadPlugins' error after "<document>: ".
Status LoadDocumentPlugins(StageRegistry& registry, const std::filesystem::path& document);

}  // namespace ringflow::run

// The entry points RINGFLOW_PLUGIN defines; LoadPlugins finds them by these names.
extern "C" {
std::uint32_t ringflow_plugin_abi_version(void);
const char* ringflow_plugin_build_id(void);
// Sets `status` to what the plugin's register function returned; never throws.
void ringflow_plugin_register(ringflow::run::StageRegistry& registry, ringflow::Status& status);
}

// Defines a plugin's entry points, at namespace scope in one .cc file of the plugin:
//   ringflow::Status RegisterMyStages(ringflow::run::StageRegistry& registry);
//   RINGFLOW_PLUGIN(RegisterMyStages);
// RegisterFn is called once, when the plugin is loaded; an exception it throws becomes an error.
#define RINGFLOW_PLUGIN(RegisterFn)                                                              \
  extern "C" __attribute__((visibility("default"))) std::uint32_t ringflow_plugin_abi_version(   \
      void) {                                                                                    \
    return ::ringflow::run::kPluginAbiVersion;                                                   \
  }                                                                                              \
  extern "C" __attribute__((visibility("default"))) const char* ringflow_plugin_build_id(void) { \
    return RINGFLOW_PLUGIN_BUILD_ID;                                                             \
  }                                                                                              \
  extern "C" __attribute__((visibility("default"))) void ringflow_plugin_register(               \
      ::ringflow::run::StageRegistry& registry, ::ringflow::Status& status) {                    \
    try {                                                                                        \
      status = RegisterFn(registry);                                                             \
    } catch (const std::exception& e) {                                                          \
      status = ::ringflow::Error(::ringflow::ErrorCode::kInternal,                               \
                                 std::string("the register function threw: ") + e.what());       \
    } catch (...) {                                                                              \
      status = ::ringflow::Error(::ringflow::ErrorCode::kInternal,                               \
                                 "the register function threw a non-standard exception");        \
    }                                                                                            \
  }                                                                                              \
  static_assert(true, "RINGFLOW_PLUGIN(fn) is followed by a semicolon")
