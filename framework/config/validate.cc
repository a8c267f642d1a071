// The structure of a pipeline document: the fixed part ("source", "source.engine", "plugins",
// "ordered"), described with the same schema as stage parameters, and the stages and sinks with
// their inputs, which must name stages so that the graph has no cycles.
#include "framework/config/internal/validate.h"

#include <map>
#include <optional>
#include <utility>

namespace ringflow::config::internal {
namespace {

// ---- The fixed part of the document.

ParamSpec Spec(std::string name, ParamType type, std::string default_text, int64_t min = INT64_MIN,
               int64_t max = INT64_MAX) {
  ParamSpec spec;
  spec.name = std::move(name);
  spec.type = type;
  spec.default_text = std::move(default_text);
  spec.min = min;
  spec.max = max;
  return spec;
}

std::vector<ParamSpec> EngineSpecs() {
  // Ranges as on the command line.
  return {Spec("queue_depth", ParamType::kInt, "256", 1, 4096),
          Spec("buffers", ParamType::kInt, "", 2, 65536),
          Spec("buffer_size", ParamType::kSize, "", 4096, int64_t{1} << 30),
          Spec("direct", ParamType::kBool, "false"),
          Spec("sqpoll", ParamType::kBool, "false"),
          Spec("threads", ParamType::kInt, "", 1, 256)};
}

std::vector<ParamSpec> SourceSpecs() {
  ParamSpec paths = Spec("paths", ParamType::kStringList, "");
  paths.required = true;
  ParamSpec order = Spec("order", ParamType::kEnum, "rotation");
  order.choices = {"rotation", "path", "mtime"};
  return {std::move(paths),
          Spec("recursive", ParamType::kBool, "true"),
          Spec("include", ParamType::kStringList, ""),
          Spec("exclude", ParamType::kStringList, ""),
          std::move(order),
          Spec("max_ratio", ParamType::kInt, "1000", 0, int64_t{1} << 40),
          Spec("decode_threads", ParamType::kInt, "2", 0, 64),
          Spec("shard", ParamType::kString, "")};
}

std::vector<ParamSpec> TopLevelSpecs() {
  return {Spec("plugins", ParamType::kStringList, ""), Spec("ordered", ParamType::kBool, "true")};
}

int64_t IntOr(const ParamMap& params, std::string_view key, int64_t fallback) {
  auto it = params.find(key);
  if (it == params.end()) return fallback;
  const int64_t* v = std::get_if<int64_t>(&it->second);
  return v != nullptr ? *v : fallback;
}

bool BoolOr(const ParamMap& params, std::string_view key, bool fallback) {
  auto it = params.find(key);
  if (it == params.end()) return fallback;
  const bool* v = std::get_if<bool>(&it->second);
  return v != nullptr ? *v : fallback;
}

std::vector<std::string> ListOr(ParamMap& params, std::string_view key) {
  auto it = params.find(key);
  if (it == params.end()) return {};
  auto* v = std::get_if<std::vector<std::string>>(&it->second);
  return v != nullptr ? std::move(*v) : std::vector<std::string>();
}

void CheckEngine(const Value& obj, const std::string& path, EngineConfig& engine,
                 Problems& problems) {
  if (!IsObjectOrReport(obj, path, problems)) return;
  const std::vector<ParamSpec> specs = EngineSpecs();
  ParamMap params;
  const auto seen = CheckMembers(
      obj, path, &specs, {}, KnownKeys(specs, {}),
      [](std::string_view, const Value&, const std::string&) {}, params, problems);
  FillDefaults(specs, seen, path, params, problems);
  // The ranges above hold every value in `params`, so these narrowings are exact.
  engine.queue_depth = static_cast<uint32_t>(IntOr(params, "queue_depth", engine.queue_depth));
  engine.buffers = static_cast<uint32_t>(IntOr(params, "buffers", engine.buffers));
  engine.buffer_size = static_cast<std::size_t>(
      IntOr(params, "buffer_size", static_cast<int64_t>(engine.buffer_size)));
  engine.direct = BoolOr(params, "direct", engine.direct);
  engine.sqpoll = BoolOr(params, "sqpoll", engine.sqpoll);
  engine.threads = static_cast<uint32_t>(IntOr(params, "threads", engine.threads));
  // O_DIRECT and registered buffers want whole pages.
  if (engine.buffer_size % 4096 != 0) {
    problems.Add(Child(path, "buffer_size"), FormatSize(static_cast<int64_t>(engine.buffer_size)) +
                                                 " is not a multiple of 4KiB");
  }
  // One pool is registered as one region, which the kernel caps at 1 GiB.
  if (engine.buffers != 0 && engine.buffer_size != 0 &&
      engine.buffer_size * engine.buffers > (std::size_t{1} << 30)) {
    problems.Add(path, "buffers x buffer_size must stay within 1GiB per thread (" +
                           std::to_string(engine.buffers) + " x " +
                           FormatSize(static_cast<int64_t>(engine.buffer_size)) + ")");
  }
}

void CheckSource(const Value& obj, SourceConfig& source, Problems& problems) {
  const std::string path = "source";
  if (!IsObjectOrReport(obj, path, problems)) return;
  const std::vector<ParamSpec> specs = SourceSpecs();
  ParamMap params;
  const auto seen = CheckMembers(
      obj, path, &specs, {"engine"}, KnownKeys(specs, {"engine"}),
      [&](std::string_view, const Value& value, const std::string& key_path) {
        CheckEngine(value, key_path, source.engine, problems);
      },
      params, problems);
  FillDefaults(specs, seen, path, params, problems);
  source.paths = ListOr(params, "paths");
  source.recursive = BoolOr(params, "recursive", source.recursive);
  source.include = ListOr(params, "include");
  source.exclude = ListOr(params, "exclude");
  source.max_ratio =
      static_cast<uint64_t>(IntOr(params, "max_ratio", static_cast<int64_t>(source.max_ratio)));
  source.decode_threads = static_cast<uint32_t>(
      IntOr(params, "decode_threads", static_cast<int64_t>(source.decode_threads)));
  if (auto it = params.find("order"); it != params.end()) {
    if (const auto* v = std::get_if<std::string>(&it->second)) source.order = *v;
  }
  if (auto it = params.find("shard"); it != params.end()) {
    if (const auto* v = std::get_if<std::string>(&it->second)) {
      if (Result<ShardSpec> shard = ParseShard(*v); shard.ok()) {
        source.shard = *shard;
      } else {
        problems.Add(Child(path, "shard"), shard.error().message());
      }
    }
  }
  if (params.count("paths") != 0 && source.paths.empty()) {
    problems.Add(Child(path, "paths"), "must not be empty");
  }
  for (std::size_t i = 0; i < source.paths.size(); ++i) {
    if (source.paths[i].empty()) problems.Add(Index(Child(path, "paths"), i), "must not be empty");
  }
}

// ---- Stages and sinks.

struct NodeListContext {
  bool sinks = false;          // checking "sinks" (else "stages")
  const TypeCatalog* catalog;  // their types
  // Every stage by name (the first definition) with its index: stage inputs must name an
  // earlier one, sink inputs any one.
  const std::map<std::string, std::size_t, std::less<>>* stage_index;
  // False when some stage has no usable name (or "stages" is not an array): then a name not in
  // stage_index may be that stage's, and "unknown stage" would only echo the first problem.
  bool names_complete = true;
  // Every name seen so far, stages then sinks, with where it was defined: names are unique.
  std::map<std::string, std::string, std::less<>>* defined;
};

// Checks one name in an "input" of the node at `index`.
void CheckInputName(const NodeListContext& ctx, std::size_t index, std::string_view name,
                    const std::string& path, Problems& problems) {
  const auto& stages = *ctx.stage_index;
  auto it = stages.find(name);
  if (it != stages.end() && (ctx.sinks || it->second < index)) return;
  if (it != stages.end() && it->second == index) {
    problems.Add(path, "stage " + Quote(name) + " cannot read its own output");
    return;
  }
  if (it != stages.end()) {
    problems.Add(path, "stage " + Quote(name) + " is defined later (" +
                           Index("stages", it->second) +
                           "); a stage reads only stages defined before it");
    return;
  }
  if (!ctx.names_complete) return;
  std::vector<std::string> known;
  for (const auto& [stage, at] : stages) {
    if (ctx.sinks || at < index) known.push_back(stage);
  }
  std::string problem = "unknown stage " + Quote(name);
  if (!known.empty()) {
    problem += "; known: " + JoinSorted(std::move(known));
  } else {
    problem += ctx.sinks ? "; the pipeline has no stages" : "; no stage is defined before it";
  }
  problems.Add(path, problem);
}

// An "input" array: each item a stage name, none listed twice.
void CheckInputList(const NodeListContext& ctx, std::size_t index, const Value& value,
                    const std::string& path, StageConfig& node, Problems& problems) {
  std::map<std::string_view, rapidjson::SizeType> listed;  // name -> its first index
  for (rapidjson::SizeType i = 0; i < value.Size(); ++i) {
    const std::string item_path = Index(path, i);
    if (!value[i].IsString()) {
      problems.Add(item_path, "expected a stage name, got " + Describe(value[i]));
      continue;
    }
    // The graph takes each input once; said here, where the JSON path is known.
    if (auto [it, fresh] = listed.emplace(StringOf(value[i]), i); !fresh) {
      problems.Add(item_path, "stage " + Quote(it->first) + " is listed twice (first at " +
                                  Index(path, it->second) + ")");
      continue;
    }
    node.inputs.emplace_back(StringOf(value[i]));
    CheckInputName(ctx, index, node.inputs.back(), item_path, problems);
  }
}

void CheckInput(const NodeListContext& ctx, std::size_t index, const TypeSpec* type,
                const Value& value, const std::string& path, StageConfig& node,
                Problems& problems) {
  if (type != nullptr && !type->takes_input) {
    problems.Add(path, Quote(type->type) + " reads the source and takes no input");
    return;
  }
  if (value.IsString()) {
    node.inputs.emplace_back(StringOf(value));
    CheckInputName(ctx, index, node.inputs.back(), path, problems);
    return;
  }
  if (!value.IsArray()) {
    problems.Add(path, "expected a stage name or an array of them, got " + Describe(value));
    return;
  }
  if (value.Empty()) {
    problems.Add(path, "must not be empty");
    return;
  }
  if (type != nullptr && !type->multiple_inputs && value.Size() > 1) {
    problems.Add(path, Quote(type->type) + " takes one input, got " + std::to_string(value.Size()));
    return;
  }
  CheckInputList(ctx, index, value, path, node, problems);
}

// A node's "name": not empty, and unique among stages and sinks.
void CheckNodeName(const NodeListContext& ctx, std::string_view text, const std::string& key_path,
                   const std::string& node_path, StageConfig& node, Problems& problems) {
  node.name = std::string(text);
  if (text.empty()) {
    problems.Add(key_path, "must not be empty");
  } else if (auto [it, fresh] = ctx.defined->emplace(node.name, node_path); !fresh) {
    problems.Add(key_path, "duplicate name " + Quote(text) + "; first defined at " + it->second);
  }
}

// A node's own keys ("name", "type", "input") at `key_path`, for the node at `node_path`.
void CheckNodeOwnKey(const NodeListContext& ctx, std::size_t index, const TypeSpec* type,
                     std::string_view key, const Value& value, const std::string& key_path,
                     const std::string& node_path, StageConfig& node, Problems& problems) {
  if (key == "input") {
    CheckInput(ctx, index, type, value, key_path, node, problems);
    return;
  }
  if (!value.IsString()) {
    problems.Add(key_path, "expected a string, got " + Describe(value));
    return;
  }
  const std::string_view text = StringOf(value);
  if (key == "name") {
    CheckNodeName(ctx, text, key_path, node_path, node, problems);
    return;
  }
  node.type = std::string(text);
  if (type == nullptr) {
    const std::vector<std::string> names = ctx.catalog->Names();
    problems.Add(
        key_path,
        std::string("unknown ") + (ctx.sinks ? "sink" : "stage") + " type " + Quote(text) +
            (names.empty() ? std::string("; none are known") : "; known: " + JoinBounded(names)));
  }
}

std::optional<StageConfig> CheckNode(const NodeListContext& ctx, std::size_t index,
                                     const Value& obj, const std::string& path,
                                     Problems& problems) {
  if (!IsObjectOrReport(obj, path, problems)) return std::nullopt;
  StageConfig node;
  node.json_path = path;
  // The type decides which other keys are valid, so find it first.
  const TypeSpec* type = nullptr;
  auto type_member = obj.FindMember("type");
  if (type_member != obj.MemberEnd() && type_member->value.IsString()) {
    type = ctx.catalog->Find(StringOf(type_member->value));
  }
  std::vector<std::string> own_known = {"name", "type"};
  if (type == nullptr || type->takes_input) own_known.push_back("input");
  const auto seen = CheckMembers(
      obj, path, type != nullptr ? &type->params : nullptr, {"name", "type", "input"},
      KnownKeys(type != nullptr ? type->params : std::vector<ParamSpec>{}, own_known),
      [&](std::string_view key, const Value& value, const std::string& key_path) {
        CheckNodeOwnKey(ctx, index, type, key, value, key_path, path, node, problems);
      },
      node.params, problems);
  for (const char* key : {"name", "type"}) {
    if (seen.count(key) == 0) problems.Add(path, "missing " + Quote(key));
  }
  if (type != nullptr && type->takes_input && seen.count("input") == 0) {
    problems.Add(path, "missing \"input\"");
  }
  if (type != nullptr) FillDefaults(type->params, seen, path, node.params, problems);
  return node;
}

std::vector<StageConfig> CheckNodeList(const NodeListContext& ctx, const Value& list,
                                       const std::string& path, Problems& problems) {
  std::vector<StageConfig> nodes;
  if (!list.IsArray()) {
    problems.Add(path, "expected an array, got " + Describe(list));
    return nodes;
  }
  for (rapidjson::SizeType i = 0; i < list.Size(); ++i) {
    if (auto node = CheckNode(ctx, i, list[i], Index(path, i), problems)) {
      nodes.push_back(std::move(*node));
    }
  }
  return nodes;
}

// Names of the stages in `stages` (an array, else none) by first definition. Clears `complete`
// when some stage has no usable name.
std::map<std::string, std::size_t, std::less<>> IndexStages(const Value* stages, bool& complete) {
  std::map<std::string, std::size_t, std::less<>> index;
  complete = stages == nullptr || stages->IsArray();
  if (stages == nullptr || !stages->IsArray()) return index;
  for (rapidjson::SizeType i = 0; i < stages->Size(); ++i) {
    const Value& stage = (*stages)[i];
    const Value* name = nullptr;
    if (stage.IsObject()) {
      auto member = stage.FindMember("name");
      if (member != stage.MemberEnd()) name = &member->value;
    }
    if (name == nullptr || !name->IsString() || name->GetStringLength() == 0) {
      complete = false;
      continue;
    }
    index.emplace(std::string(StringOf(*name)), i);
  }
  return index;
}

// "stages" (when present) and "sinks" (required, not empty).
void CheckStagesAndSinks(const Value* stages, const Value* sinks, const TypeCatalog& stage_types,
                         const TypeCatalog& sink_types, PipelineConfig& config,
                         Problems& problems) {
  bool names_complete = true;
  const auto stage_index = IndexStages(stages, names_complete);
  std::map<std::string, std::string, std::less<>> defined;
  NodeListContext ctx{false, &stage_types, &stage_index, names_complete, &defined};
  if (stages != nullptr) config.stages = CheckNodeList(ctx, *stages, "stages", problems);
  ctx.sinks = true;
  ctx.catalog = &sink_types;
  if (sinks == nullptr) {
    problems.Add("", "missing \"sinks\"");
  } else {
    config.sinks = CheckNodeList(ctx, *sinks, "sinks", problems);
    if (sinks->IsArray() && sinks->Empty()) {
      problems.Add("sinks", "must not be empty; a pipeline needs at least one sink");
    }
  }
}

}  // namespace

void CheckPipeline(const Value& root, const TypeCatalog& stage_types, const TypeCatalog& sink_types,
                   PipelineConfig& config, Problems& problems) {
  if (!IsObjectOrReport(root, "", problems)) return;
  const Value* source = nullptr;
  const Value* stages = nullptr;
  const Value* sinks = nullptr;
  const std::vector<ParamSpec> specs = TopLevelSpecs();
  ParamMap params;
  const std::vector<std::string> own = {"source", "stages", "sinks"};
  const auto seen = CheckMembers(
      root, "", &specs, own, KnownKeys(specs, own),
      [&](std::string_view key, const Value& value, const std::string&) {
        (key == "source" ? source : key == "stages" ? stages : sinks) = &value;
      },
      params, problems);
  FillDefaults(specs, seen, "", params, problems);
  config.plugins = ListOr(params, "plugins");
  config.ordered = BoolOr(params, "ordered", config.ordered);
  if (source == nullptr) {
    problems.Add("", "missing \"source\"");
  } else {
    CheckSource(*source, config.source, problems);
  }
  CheckStagesAndSinks(stages, sinks, stage_types, sink_types, config, problems);
}

}  // namespace ringflow::config::internal
