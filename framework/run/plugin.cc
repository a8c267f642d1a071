#include "framework/run/plugin.h"

#include <dlfcn.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "framework/config/pipeline_config.h"

namespace ringflow::run {
namespace {

using AbiVersionFn = std::uint32_t (*)();
using BuildIdFn = const char* (*)();
using RegisterFn = void (*)(StageRegistry&, Status&);

Error PluginError(const std::string& path, const std::string& problem) {
  // One line: the path, the dynamic linker's text or a plugin's message may hold line breaks.
  return Error(ErrorCode::kInvalidArgument,
               "plugin " + EscapeControl(path) + ": " + EscapeControl(problem));
}

std::filesystem::path Resolve(const std::string& written, const std::filesystem::path& config_dir) {
  std::filesystem::path path(written);
  if (path.is_relative()) path = (config_dir / path).lexically_normal();
  // dlopen searches the library path for a name without a slash; a plugin is a file, not a
  // library name, so keep one.
  if (!path.has_parent_path()) path = std::filesystem::path(".") / path;
  return path;
}

// dlsym of a function; null when absent. (POSIX makes object and function pointers convertible.)
template <typename Fn>
Fn Symbol(void* handle, const char* name) {
  return reinterpret_cast<Fn>(::dlsym(handle, name));
}

Status LoadPlugin(StageRegistry& registry, const std::string& written,
                  const std::filesystem::path& config_dir) {
  if (written.empty()) return PluginError("\"\"", "an empty path");
  const std::filesystem::path path = Resolve(written, config_dir);
  const std::string name = path.string();
  // dlopen's message for a missing file is vague about which of the library's dependencies is
  // missing; say it is the plugin itself.
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    return Error::FromErrno(errno, "plugin " + EscapeControl(name));
  if (!S_ISREG(st.st_mode)) return PluginError(name, "not a regular file");

  // RTLD_NOW: a plugin that needs a symbol the executable lacks fails here, not mid-run.
  // RTLD_LOCAL: its own symbols do not interpose on those of other plugins.
  void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = ::dlerror();
    return PluginError(name,
                       std::string("cannot load: ") + (why != nullptr ? why : "dlopen failed"));
  }
  // Until the register function runs nothing of the library is referenced, so a library that
  // is refused can be closed again.
  auto refuse = [&](const std::string& problem) {
    ::dlclose(handle);
    return PluginError(name, problem);
  };
  const auto abi_version = Symbol<AbiVersionFn>(handle, "ringflow_plugin_abi_version");
  const auto build_id = Symbol<BuildIdFn>(handle, "ringflow_plugin_build_id");
  const auto register_fn = Symbol<RegisterFn>(handle, "ringflow_plugin_register");
  if (abi_version == nullptr || build_id == nullptr || register_fn == nullptr) {
    return refuse(
        "not a ringflow plugin: no ringflow_plugin_abi_version, ringflow_plugin_build_id or "
        "ringflow_plugin_register entry point (define them with RINGFLOW_PLUGIN)");
  }
  if (const std::uint32_t version = abi_version(); version != kPluginAbiVersion) {
    return refuse("plugin ABI version " + std::to_string(version) + ", but this ringflow has " +
                  std::to_string(kPluginAbiVersion) + ": rebuild the plugin against it");
  }
  const char* id = build_id();
  if (id == nullptr || std::strcmp(id, RINGFLOW_PLUGIN_BUILD_ID) != 0) {
    return refuse(std::string("built for \"") + (id != nullptr ? id : "") +
                  "\", but this ringflow is \"" RINGFLOW_PLUGIN_BUILD_ID
                  "\": rebuild the plugin against this ringflow with the same compiler");
  }
  // From here on the registry may hold factories that live in the library: it stays loaded
  // for the life of the process, whatever happens next.
  Status registered;
  register_fn(registry, registered);
  if (!registered.ok()) return PluginError(name, registered.error().message());
  return OkStatus();
}

}  // namespace

Status LoadPlugins(StageRegistry& registry, const std::vector<std::string>& paths,
                   const std::filesystem::path& config_dir) {
  for (const std::string& path : paths) {
    RINGFLOW_RETURN_IF_ERROR(LoadPlugin(registry, path, config_dir));
  }
  return OkStatus();
}

Status LoadDocumentPlugins(StageRegistry& registry, const std::filesystem::path& document) {
  const std::string name = ShortenForMessage(document.string());
  std::error_code ec;
  if (!std::filesystem::is_regular_file(document, ec)) {
    return Error(ErrorCode::kInvalidArgument, name + ": not a readable file");
  }
  const Status loaded = LoadPlugins(
      registry, config::PipelineDocument::ReadFile(document).plugins(), document.parent_path());
  if (!loaded.ok()) return Error(loaded.error().code(), name + ": " + loaded.error().message());
  return OkStatus();
}

}  // namespace ringflow::run
