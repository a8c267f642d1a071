// Loading a pipeline document: reading the file, parsing it once with RapidJSON, applying the
// overrides, and later handing the same parsed document to validation.
#include <fcntl.h>
#include <rapidjson/error/en.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <memory>
#include <optional>
#include <utility>

#include "framework/config/internal/document.h"
#include "framework/config/internal/messages.h"
#include "framework/config/internal/overrides.h"
#include "framework/config/internal/validate.h"
#include "framework/config/pipeline_config.h"

namespace ringflow::config {
namespace {

using internal::Document;
using internal::kParseFlags;
using internal::Problems;

// A pipeline document is small; this only stops `--config /dev/zero` from eating memory.
constexpr std::size_t kMaxFileBytes = std::size_t{16} << 20;

// "line L, column C" of a byte offset; columns count characters (UTF-8), from 1.
std::string LineColumn(std::string_view text, std::size_t offset) {
  offset = std::min(offset, text.size());
  std::size_t line = 1;
  std::size_t column = 1;
  for (std::size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
      ++column;
    }
  }
  return "line " + std::to_string(line) + ", column " + std::to_string(column);
}

// RapidJSON's reason, as one of our problems: "Missing a comma." -> "missing a comma".
std::string SyntaxError(const Document& doc) {
  std::string what = rapidjson::GetParseError_En(doc.GetParseError());
  if (!what.empty() && what.back() == '.') what.pop_back();
  if (!what.empty()) what[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(what[0])));
  return "syntax error: " + what;
}

Result<std::string> ReadText(const std::filesystem::path& path) {
  const std::string context = "read pipeline " + ShortenForMessage(path.string());
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Error::FromErrno(errno, context);
  std::string out;
  char buffer[65536];
  while (true) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      return Error::FromErrno(err, context);
    }
    if (n == 0) break;
    out.append(buffer, static_cast<std::size_t>(n));
    if (out.size() > kMaxFileBytes) {
      ::close(fd);
      return Error(
          ErrorCode::kInvalidArgument,
          context + ": larger than " + internal::FormatSize(static_cast<int64_t>(kMaxFileBytes)));
    }
  }
  ::close(fd);
  return out;
}

}  // namespace

struct PipelineDocument::Impl {
  // From ReadFile: the path, cut for messages, that heads every other error's lines.
  std::optional<std::string> path;
  // The file could not be read: the only error reported.
  std::optional<Error> read_error;
  Document doc;
  bool parsed = false;     // the text is JSON (doc holds it, overrides applied)
  bool checkable = false;  // parsed and not nested too deep: validation may walk it
  Problems problems;       // found before validation: syntax, depth, overrides

  void Parse(std::string_view json_text, const std::vector<std::string>& overrides);
};

void PipelineDocument::Impl::Parse(std::string_view json_text,
                                   const std::vector<std::string>& overrides) {
  doc.Parse<kParseFlags>(json_text.data(), json_text.size());
  if (doc.HasParseError()) {
    problems.Add(LineColumn(json_text, doc.GetErrorOffset()), SyntaxError(doc));
    return;
  }
  parsed = true;
  const std::optional<std::string> deep = internal::FindTooDeep(doc, "", 1);
  if (deep) problems.Add(*deep, internal::TooDeepProblem());
  checkable = !deep;
  // Overrides walk the document without recursion, so they apply even to one nested too deep
  // (plugins() sees them); there the depth is the one problem reported.
  Problems ignored;
  for (const std::string& override_text : overrides) {
    internal::ApplyOverride(doc, override_text, deep ? ignored : problems);
  }
}

PipelineDocument::PipelineDocument(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PipelineDocument::PipelineDocument(PipelineDocument&&) noexcept = default;
PipelineDocument& PipelineDocument::operator=(PipelineDocument&&) noexcept = default;
PipelineDocument::~PipelineDocument() = default;

PipelineDocument PipelineDocument::Parse(std::string_view json_text,
                                         const std::vector<std::string>& overrides) {
  auto impl = std::make_unique<Impl>();
  impl->Parse(json_text, overrides);
  return PipelineDocument(std::move(impl));
}

PipelineDocument PipelineDocument::ReadFile(const std::filesystem::path& path,
                                            const std::vector<std::string>& overrides) {
  auto impl = std::make_unique<Impl>();
  impl->path = ShortenForMessage(path.string());
  Result<std::string> text = ReadText(path);
  if (text.ok()) {
    impl->Parse(*text, overrides);
  } else {
    impl->read_error = std::move(text).error();
  }
  return PipelineDocument(std::move(impl));
}

std::vector<std::string> PipelineDocument::plugins() const {
  const Document& doc = impl_->doc;
  if (!impl_->parsed || !doc.IsObject()) return {};
  const auto member = doc.FindMember("plugins");
  if (member == doc.MemberEnd() || !member->value.IsArray()) return {};
  std::vector<std::string> plugins;
  for (const internal::Value& item : member->value.GetArray()) {
    if (!item.IsString()) return {};
    plugins.emplace_back(internal::StringOf(item));
  }
  return plugins;
}

Result<PipelineConfig> PipelineDocument::Validate(const TypeCatalog& stages,
                                                  const TypeCatalog& sinks) const {
  if (impl_->read_error) return *impl_->read_error;
  Problems problems = impl_->problems;
  PipelineConfig config;
  if (impl_->checkable) internal::CheckPipeline(impl_->doc, stages, sinks, config, problems);
  if (problems.empty()) return config;
  Error error = problems.ToError();
  // The path heads every line the user sees: cut like any other string they wrote.
  if (impl_->path) return std::move(error).WithPath(*impl_->path);
  return error;
}

Result<PipelineConfig> LoadPipeline(std::string_view json_text, const TypeCatalog& stages,
                                    const TypeCatalog& sinks,
                                    const std::vector<std::string>& overrides) {
  return PipelineDocument::Parse(json_text, overrides).Validate(stages, sinks);
}

Result<PipelineConfig> LoadPipelineFile(const std::filesystem::path& path,
                                        const TypeCatalog& stages, const TypeCatalog& sinks,
                                        const std::vector<std::string>& overrides) {
  return PipelineDocument::ReadFile(path, overrides).Validate(stages, sinks);
}

}  // namespace ringflow::config
