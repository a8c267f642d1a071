// Pipeline documents: one JSON object naming a source, stages and sinks. PipelineDocument parses
// it once (RapidJSON) and applies command-line overrides; its Validate (or LoadPipeline, which
// does both) checks everything before anything runs, reporting every problem at once, one per
// line, as "<json path>: <problem>". Stage and sink types describe their parameters in a
// TypeCatalog, so the validator needs no per-type code.
// Everything here is a plain value; a TypeCatalog is thread-compatible (fill it, then share it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "framework/core/result.h"

namespace ringflow::config {

// The deepest a pipeline document nests arrays and objects: the root is level 1, so
// {"stages": [{"types": [...]}]} is 4 levels. Documents are shallow; a deeper one (in the file or
// in an override's value or path) is refused with the JSON path where it passes the limit, so
// that nothing recursive (RapidJSON's CopyFrom, a walk) can overflow the stack on it.
inline constexpr std::size_t kMaxNestingDepth = 64;

// ---- Parameter schema.

enum class ParamType {
  kString,
  kInt,
  kBool,
  kSize,  // bytes: a JSON integer or a string like "4096", "64K", "1MiB", "2G"
  kStringList,
  kEnum,  // a string from ParamSpec::choices
};

// "string", "integer", "bool", "size", "list of strings", "enum".
std::string_view ParamTypeName(ParamType type);

struct ParamSpec {
  std::string name;
  ParamType type = ParamType::kString;
  bool required = false;
  std::vector<std::string> choices;  // kEnum only, in the order the docs list them
  std::string help;
  // The value used when the key is absent, written as in the docs: "1MiB", "true", "access",
  // "a, b" (kStringList: comma-separated). Must parse as `type`; empty: no default (the key is
  // then absent from StageConfig::params unless given).
  std::string default_text;
  int64_t min = INT64_MIN, max = INT64_MAX;  // kInt and kSize, inclusive
};

struct TypeSpec {
  std::string type;
  std::string help;
  std::vector<ParamSpec> params;
  // True: "input" is required and names the stage(s) whose records this one reads (for a stage,
  // one defined earlier, so a pipeline has no cycles; for a sink, any stage). False: the type reads
  // the source's raw chunks itself (lines, checksum), and "input" is an error.
  bool takes_input = true;
  bool multiple_inputs = false;  // "input" may name more than one stage
  // What the type's records are, for a sink that needs a kind of input (its input check sees the
  // TypeSpecs of its inputs; see run::StageRegistry::RegisterSink), e.g. "file_digest" for the
  // checksum stage. Not part of the document's schema.
  std::vector<std::string> provides = {};
};

// The known stage (or sink) types, by name. The lead fills one from the stage registry.
class TypeCatalog {
 public:
  // kInvalidArgument for a duplicate type, an empty type name, a parameter named "name", "type"
  // or "input", duplicate parameter names, a kEnum without choices, min > max, or a default_text
  // that does not parse as its type (or lies outside choices / [min, max]).
  Status Add(TypeSpec spec);
  // Null when unknown. The pointer stays valid until the catalog is destroyed.
  const TypeSpec* Find(std::string_view type) const;
  // Sorted.
  std::vector<std::string> Names() const;

 private:
  std::map<std::string, TypeSpec, std::less<>> types_;
};

// Text for `ringflow stages`: every type (sorted) with its help, its input, and each parameter
// with its type, required or default, range and choices.
std::string DescribeCatalog(const TypeCatalog& catalog);

// "4096" / "64K" / "64KB" / "64KiB" / "1M" / "2G" / "1T" -> bytes (units are powers of 1024,
// case-insensitive, an optional trailing "B"). kInvalidArgument with `not a size: "<text>"`.
Result<int64_t> ParseSize(std::string_view text);

// One share of a run's files when N hosts or processes split one tree ("source.shard", --shard):
// shard `index` of `count`, both counted from 1. count 0: no sharding (every file). The rule that
// assigns files to shards is run::ShardOf (framework/run/shard.h).
struct ShardSpec {
  uint32_t index = 0;
  uint32_t count = 0;
  bool enabled() const { return count != 0; }
};
inline constexpr uint32_t kMaxShards = 1024;

// "K/N" (decimal, 1 <= K <= N <= kMaxShards, e.g. "2/3") -> ShardSpec. kInvalidArgument with a
// one-line message that quotes `text` and says what is wrong.
Result<ShardSpec> ParseShard(std::string_view text);
// "K/N"; "" when !shard.enabled().
std::string FormatShard(const ShardSpec& shard);

// ---- The parsed document.

// A validated parameter: kString and kEnum -> std::string, kInt and kSize (bytes) -> int64_t,
// kBool -> bool, kStringList -> std::vector<std::string>.
using ParamValue = std::variant<std::string, int64_t, bool, std::vector<std::string>>;
using ParamMap = std::map<std::string, ParamValue, std::less<>>;

// One stage or sink.
struct StageConfig {
  std::string name;
  std::string type;
  std::vector<std::string> inputs;  // "input": a string or an array; empty if !takes_input
  ParamMap params;                  // given values plus defaults, checked against the TypeSpec
  std::string json_path;            // "stages[2]", "sinks[0]": for messages about this stage

  // Typed access to params. Null / nullopt when the key is absent (not given, no default) or,
  // which validation rules out, holds another type. GetInt serves kInt and kSize.
  const std::string* GetString(std::string_view key) const;
  std::optional<int64_t> GetInt(std::string_view key) const;
  std::optional<bool> GetBool(std::string_view key) const;
  const std::vector<std::string>* GetStringList(std::string_view key) const;
};

// "source.engine". Zero means "let ringflow choose" where noted, as on the command line.
struct EngineConfig {
  uint32_t queue_depth = 256;   // io_uring submission queue entries, 1..4096
  uint32_t buffers = 0;         // pool buffers per reader thread, 2..65536; 0: automatic
  std::size_t buffer_size = 0;  // bytes per buffer and read, a multiple of 4K in 4K..1G;
                                // 0: automatic (64K, 4M with direct)
  bool direct = false;          // O_DIRECT reads
  bool sqpoll = false;          // a kernel thread polls the submission queue
  uint32_t threads = 0;         // reader threads, 1..256; 0: one per CPU
};

struct SourceConfig {
  std::vector<std::string> paths;  // files and directories; never empty
  bool recursive = true;
  std::vector<std::string> include;  // globs; empty: every file
  std::vector<std::string> exclude;
  // The order files are read in: "rotation" (logrotate's rotated sets oldest first, otherwise
  // bytewise within each directory), "path" (bytewise) or "mtime" (oldest first).
  std::string order = "rotation";
  // Compressed inputs (read in place): a file whose content passes max_ratio times its
  // compressed size stops with an error (a decompression bomb); 0: no limit.
  uint64_t max_ratio = 1000;
  // Threads that decode compressed files beside the I/O thread (flow::SourceOptions::
  // decode_threads); 0: the I/O thread decodes them.
  uint32_t decode_threads = 2;
  // "shard": "K/N": only this run's share of the discovered files (ParseShard); none by default.
  ShardSpec shard;
  EngineConfig engine;
};

struct PipelineConfig {
  SourceConfig source;
  std::vector<StageConfig> stages;   // in document order; inputs name earlier stages only
  std::vector<StageConfig> sinks;    // at least one
  std::vector<std::string> plugins;  // shared libraries, as written (not resolved)
  bool ordered = true;
};

// Parses `json_text`, applies `overrides` and validates the result against `stages` and `sinks`
// (PipelineDocument::Parse(json_text, overrides).Validate(stages, sinks)).
// An override is "<path>=<value>" with a path like "source.engine.buffers", "stages[1].format" or
// "sinks[0].path"; the value is taken as JSON if it parses as JSON (numbers, true, [..], "..."),
// else as a string. Missing keys on the path are created (as objects, and the last with the
// value), then validated like any others; a missing array index is an error. Overrides apply in
// order, before validation. Errors: kInvalidArgument whose message lists every problem, one per
// line, each "<json path>: <problem>" ("line L, column C: syntax error: ..." for malformed JSON,
// where nothing else is checked; "override \"<text>\": ..." for a bad override). A document or
// override value nested deeper than kMaxNestingDepth is one problem at the path where it passes
// the limit. Every line stays under 1,000 bytes: the strings it quotes are cut
// (QuoteForMessage), lists of names are bounded.
Result<PipelineConfig> LoadPipeline(std::string_view json_text, const TypeCatalog& stages,
                                    const TypeCatalog& sinks,
                                    const std::vector<std::string>& overrides = {});

// LoadPipeline on the contents of `path` (PipelineDocument::ReadFile(path, overrides).Validate).
// A file that cannot be read is one error from its errno ("read pipeline <path>: No such file or
// directory (ENOENT)"); validation errors come back with Error::path() set to `path` (the message
// does not repeat it; it may span several lines).
Result<PipelineConfig> LoadPipelineFile(const std::filesystem::path& path,
                                        const TypeCatalog& stages, const TypeCatalog& sinks,
                                        const std::vector<std::string>& overrides = {});

// A pipeline document read and parsed once, with `overrides` applied: what it lists as plugins
// (which register types, so they are loaded before validation) and then its validation against
// the catalog, both from the same text. Parsing does not fail: a file that cannot be read, a
// syntax error or a bad override is held and reported by Validate. Move-only and
// thread-compatible.
class PipelineDocument {
 public:
  // Parses `json_text` (copied; it need not outlive the document) and applies `overrides`.
  static PipelineDocument Parse(std::string_view json_text,
                                const std::vector<std::string>& overrides = {});
  // Reads `path` once, then as Parse.
  static PipelineDocument ReadFile(const std::filesystem::path& path,
                                   const std::vector<std::string>& overrides = {});

  PipelineDocument(PipelineDocument&&) noexcept;
  PipelineDocument& operator=(PipelineDocument&&) noexcept;
  ~PipelineDocument();

  // The "plugins" list (after the overrides), as written. Tolerant: a document that could not be
  // read or parsed, has no "plugins", or one that is not a list of strings gives an empty list
  // (Validate then reports the problem).
  std::vector<std::string> plugins() const;

  // The document validated against `stages` and `sinks`, with the errors LoadPipeline documents.
  // From ReadFile: a file that could not be read is one error from its errno ("read pipeline
  // <path>: No such file or directory (ENOENT)"); any other error has Error::path() set to the
  // path (the message does not repeat it).
  Result<PipelineConfig> Validate(const TypeCatalog& stages, const TypeCatalog& sinks) const;

 private:
  struct Impl;
  explicit PipelineDocument(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;  // never null, unless moved from
};

}  // namespace ringflow::config
