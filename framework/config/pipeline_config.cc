#include "framework/config/pipeline_config.h"

#include <fcntl.h>
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <set>
#include <utility>

namespace ringflow::config {
namespace {

using rapidjson::Document;
using rapidjson::Value;

// Iterative: a hostile document nested a million deep must not overflow the stack.
constexpr unsigned kParseFlags =
    rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag;
// A problem line is cut to this many bytes (before the newline). Quoted values are already
// short (QuoteForMessage); this holds whatever else a line is made of to the promise.
constexpr std::size_t kMaxLineBytes = 996;
// A list of names in a message ("known: a, b, ...") stops after this many bytes.
constexpr std::size_t kMaxListBytes = 300;
// A pipeline document is small; this only stops `--config /dev/zero` from eating memory.
constexpr std::size_t kMaxFileBytes = std::size_t{16} << 20;

// Every problem found, in the order found; one line each.
class Problems {
 public:
  void Add(std::string_view where, std::string_view problem) {
    std::string line(where.empty() ? std::string_view("(root)") : where);
    line += ": ";
    line += problem;
    if (line.size() > kMaxLineBytes) line = ShortenForMessage(line, kMaxLineBytes);
    lines_.push_back(std::move(line));
  }
  bool empty() const { return lines_.empty(); }
  Error ToError() const {
    std::string message;
    for (const std::string& line : lines_) {
      if (!message.empty()) message += '\n';
      message += line;
    }
    return Error(ErrorCode::kInvalidArgument, std::move(message));
  }

 private:
  std::vector<std::string> lines_;
};

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) {
    if (!out.empty()) out += ", ";
    out += item;
  }
  return out;
}

std::string JoinBounded(const std::vector<std::string>& items);

std::string JoinSorted(std::vector<std::string> items) {
  std::sort(items.begin(), items.end());
  return JoinBounded(items);
}

// `s` quoted for a message, escaped and cut (QuoteForMessage).
std::string Quote(std::string_view s) { return QuoteForMessage(s); }

std::string_view StringOf(const Value& v) { return {v.GetString(), v.GetStringLength()}; }

// What a value is, for "expected X, got <this>": scalars as JSON, containers by kind.
std::string Describe(const Value& v) {
  switch (v.GetType()) {
    case rapidjson::kNullType:
      return "null";
    case rapidjson::kFalseType:
      return "false";
    case rapidjson::kTrueType:
      return "true";
    case rapidjson::kObjectType:
      return "an object";
    case rapidjson::kArrayType:
      return "an array";
    case rapidjson::kStringType:
      return Quote(StringOf(v));
    case rapidjson::kNumberType:
      break;
  }
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  v.Accept(writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

// JSON paths: "source.engine.buffers", "stages[2].format", `stages[0]["odd key"]`.
bool IsPlainKey(std::string_view key) {
  if (key.empty()) return false;
  return std::all_of(key.begin(), key.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-';
  });
}

// Names (stage names, types) for "known: ..." in a message: each quoted when it is not a plain
// key, the list stopped after kMaxListBytes with how many were left out, as a pipeline may
// define thousands of stages with long names.
std::string JoinBounded(const std::vector<std::string>& items) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    std::string item =
        IsPlainKey(items[i]) && items[i].size() <= 60 ? items[i] : QuoteForMessage(items[i], 60);
    if (!out.empty() && out.size() + item.size() + 2 > kMaxListBytes) {
      out += ", \xE2\x80\xA6 (" + std::to_string(items.size() - i) + " more)";
      break;
    }
    if (!out.empty()) out += ", ";
    out += item;
  }
  return out;
}

std::string Child(std::string_view parent, std::string_view key) {
  std::string out(parent);
  // A long key is quoted, so that it is cut like any other user string.
  if (IsPlainKey(key) && key.size() <= 64) {
    if (!out.empty()) out += '.';
    out += key;
  } else {
    out += '[';
    out += Quote(key);
    out += ']';
  }
  return out;
}

std::string Index(std::string_view parent, std::size_t index) {
  return std::string(parent) + "[" + std::to_string(index) + "]";
}

// 1048576 -> "1MiB"; sizes that are not whole units stay plain numbers (bytes).
std::string FormatSize(int64_t bytes) {
  static constexpr struct {
    int shift;
    const char* unit;
  } kUnits[] = {{40, "TiB"}, {30, "GiB"}, {20, "MiB"}, {10, "KiB"}};
  for (const auto& u : kUnits) {
    const int64_t unit = int64_t{1} << u.shift;
    if (bytes > 0 && bytes % unit == 0) return std::to_string(bytes / unit) + u.unit;
  }
  return std::to_string(bytes);
}

std::string FormatNumber(const ParamSpec& spec, int64_t value) {
  return spec.type == ParamType::kSize ? FormatSize(value) : std::to_string(value);
}

// Empty when `value` lies in the spec's range, else the problem.
std::string RangeProblem(const ParamSpec& spec, int64_t value) {
  if (value >= spec.min && value <= spec.max) return {};
  std::string out = FormatNumber(spec, value) + " is out of range; must be ";
  if (spec.min != INT64_MIN && spec.max != INT64_MAX) {
    out += "between " + FormatNumber(spec, spec.min) + " and " + FormatNumber(spec, spec.max);
  } else if (spec.min != INT64_MIN) {
    out += "at least " + FormatNumber(spec, spec.min);
  } else {
    out += "at most " + FormatNumber(spec, spec.max);
  }
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())) != 0) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())) != 0) s.remove_suffix(1);
  return s;
}

// The value of `spec.default_text`. REQUIRES: !spec.default_text.empty().
Result<ParamValue> ParseDefault(const ParamSpec& spec) {
  const std::string& text = spec.default_text;
  auto invalid = [](std::string message) { return Error(ErrorCode::kInvalidArgument, message); };
  switch (spec.type) {
    case ParamType::kString:
      return ParamValue(text);
    case ParamType::kEnum:
      if (std::find(spec.choices.begin(), spec.choices.end(), text) == spec.choices.end()) {
        return invalid(Quote(text) + " is not one of " + Join(spec.choices));
      }
      return ParamValue(text);
    case ParamType::kBool:
      if (text == "true") return ParamValue(true);
      if (text == "false") return ParamValue(false);
      return invalid("not true or false: " + Quote(text));
    case ParamType::kInt:
    case ParamType::kSize: {
      int64_t value = 0;
      if (spec.type == ParamType::kSize) {
        RINGFLOW_ASSIGN_OR_RETURN(value, ParseSize(text));
      } else {
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
        if (ec != std::errc() || end != text.data() + text.size()) {
          return invalid("not an integer: " + Quote(text));
        }
      }
      if (std::string problem = RangeProblem(spec, value); !problem.empty())
        return invalid(problem);
      return ParamValue(value);
    }
    case ParamType::kStringList: {
      std::vector<std::string> items;
      std::string_view rest = text;
      while (!rest.empty()) {
        const std::size_t comma = rest.find(',');
        const std::string_view item = Trim(rest.substr(0, comma));
        if (!item.empty()) items.emplace_back(item);
        rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      }
      return ParamValue(std::move(items));
    }
  }
  return invalid("unknown parameter type");
}

// Checks one value against its spec; on a problem reports it at `path` and returns nullopt.
std::optional<ParamValue> CheckValue(const ParamSpec& spec, const Value& v, const std::string& path,
                                     Problems& problems) {
  switch (spec.type) {
    case ParamType::kString:
      if (!v.IsString()) break;
      return ParamValue(std::string(StringOf(v)));
    case ParamType::kEnum: {
      if (!v.IsString()) break;
      const std::string_view s = StringOf(v);
      if (std::find(spec.choices.begin(), spec.choices.end(), s) == spec.choices.end()) {
        problems.Add(path, "unknown " + spec.name + " " + Quote(s) +
                               "; known: " + JoinBounded(spec.choices));
        return std::nullopt;
      }
      return ParamValue(std::string(s));
    }
    case ParamType::kBool:
      if (!v.IsBool()) break;
      return ParamValue(v.GetBool());
    case ParamType::kInt: {
      if (!v.IsNumber()) break;
      if (!v.IsInt64()) {
        // A whole number beyond int64 is out of range; anything else is not an integer.
        if (v.IsUint64()) {
          problems.Add(path, Describe(v) + " is out of range");
        } else {
          problems.Add(path, "expected an integer, got " + Describe(v));
        }
        return std::nullopt;
      }
      if (std::string problem = RangeProblem(spec, v.GetInt64()); !problem.empty()) {
        problems.Add(path, problem);
        return std::nullopt;
      }
      return ParamValue(v.GetInt64());
    }
    case ParamType::kSize: {
      int64_t bytes = 0;
      if (v.IsString()) {
        auto parsed = ParseSize(StringOf(v));
        if (!parsed.ok()) {
          problems.Add(path, parsed.error().message());
          return std::nullopt;
        }
        bytes = *parsed;
      } else if (v.IsInt64() && v.GetInt64() >= 0) {
        bytes = v.GetInt64();
      } else if (v.IsNumber()) {
        problems.Add(path, "not a size: " + Describe(v));
        return std::nullopt;
      } else {
        problems.Add(path, "expected a size (bytes, or a string like \"64K\"), got " + Describe(v));
        return std::nullopt;
      }
      if (std::string problem = RangeProblem(spec, bytes); !problem.empty()) {
        problems.Add(path, problem);
        return std::nullopt;
      }
      return ParamValue(bytes);
    }
    case ParamType::kStringList: {
      if (!v.IsArray()) {
        problems.Add(path, "expected an array of strings, got " + Describe(v));
        return std::nullopt;
      }
      std::vector<std::string> items;
      bool ok = true;
      for (rapidjson::SizeType i = 0; i < v.Size(); ++i) {
        if (!v[i].IsString()) {
          problems.Add(Index(path, i), "expected a string, got " + Describe(v[i]));
          ok = false;
        } else {
          items.emplace_back(StringOf(v[i]));
        }
      }
      if (!ok) return std::nullopt;
      return ParamValue(std::move(items));
    }
  }
  // Only kString, kEnum, kBool and kInt get here (a value of the wrong JSON type).
  const char* expected = spec.type == ParamType::kInt    ? "an integer"
                         : spec.type == ParamType::kBool ? "true or false"
                                                         : "a string";
  problems.Add(path, std::string("expected ") + expected + ", got " + Describe(v));
  return std::nullopt;
}

using OwnKeyHandler =
    std::function<void(std::string_view key, const Value& value, const std::string& path)>;

// Walks the members of the object `obj` at `path` in document order. Repeated keys are reported
// (the first one counts); keys in `own` go to `on_own`; keys in `specs` are checked into `out`;
// any other key is reported as unknown with `known` listed, unless `specs` is null (an unknown
// type, whose parameters cannot be judged). Returns the keys seen.
std::set<std::string, std::less<>> CheckMembers(const Value& obj, const std::string& path,
                                                const std::vector<ParamSpec>* specs,
                                                const std::vector<std::string>& own,
                                                const std::vector<std::string>& known,
                                                const OwnKeyHandler& on_own, ParamMap& out,
                                                Problems& problems) {
  std::set<std::string, std::less<>> seen;
  for (auto m = obj.MemberBegin(); m != obj.MemberEnd(); ++m) {
    const std::string_view key = StringOf(m->name);
    const std::string key_path = Child(path, key);
    if (!seen.emplace(key).second) {
      problems.Add(key_path, "duplicate key");
      continue;
    }
    if (std::find(own.begin(), own.end(), key) != own.end()) {
      on_own(key, m->value, key_path);
      continue;
    }
    const ParamSpec* spec = nullptr;
    if (specs != nullptr) {
      for (const ParamSpec& s : *specs) {
        if (s.name == key) spec = &s;
      }
    }
    if (spec != nullptr) {
      if (auto value = CheckValue(*spec, m->value, key_path, problems)) {
        out.emplace(std::string(key), std::move(*value));
      }
    } else if (specs != nullptr) {
      problems.Add(key_path, "unknown key; known: " + JoinSorted(known));
    }
  }
  return seen;
}

// Reports required params missing from `seen` and fills the defaults of the others.
void FillDefaults(const std::vector<ParamSpec>& specs,
                  const std::set<std::string, std::less<>>& seen, const std::string& path,
                  ParamMap& out, Problems& problems) {
  for (const ParamSpec& spec : specs) {
    if (seen.count(spec.name) != 0) continue;
    if (spec.required) {
      problems.Add(path, "missing " + Quote(spec.name));
    } else if (!spec.default_text.empty()) {
      if (auto value = ParseDefault(spec); value.ok()) out.emplace(spec.name, std::move(*value));
    }
  }
}

std::vector<std::string> KnownKeys(const std::vector<ParamSpec>& specs,
                                   std::vector<std::string> own) {
  for (const ParamSpec& spec : specs) own.push_back(spec.name);
  return own;
}

bool IsObjectOrReport(const Value& v, const std::string& path, Problems& problems) {
  if (v.IsObject()) return true;
  problems.Add(path, "expected an object, got " + Describe(v));
  return false;
}

// ---- The fixed part of the document, described with the same schema as stage parameters.

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
  // Ranges as on the command line (apps/ringflow/options.cc).
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
  return {std::move(paths), Spec("recursive", ParamType::kBool, "true"),
          Spec("include", ParamType::kStringList, ""), Spec("exclude", ParamType::kStringList, "")};
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

std::optional<StageConfig> CheckNode(const NodeListContext& ctx, std::size_t index,
                                     const Value& obj, const std::string& path,
                                     Problems& problems) {
  if (!IsObjectOrReport(obj, path, problems)) return std::nullopt;
  const char* kind = ctx.sinks ? "sink" : "stage";
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
          node.name = std::string(text);
          if (text.empty()) {
            problems.Add(key_path, "must not be empty");
          } else if (auto [it, fresh] = ctx.defined->emplace(node.name, path); !fresh) {
            problems.Add(key_path,
                         "duplicate name " + Quote(text) + "; first defined at " + it->second);
          }
          return;
        }
        node.type = std::string(text);
        if (type == nullptr) {
          const std::vector<std::string> names = ctx.catalog->Names();
          problems.Add(key_path, std::string("unknown ") + kind + " type " + Quote(text) +
                                     (names.empty() ? std::string("; none are known")
                                                    : "; known: " + JoinBounded(names)));
        }
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

// ---- Nesting.

// The JSON path of the first array or object in `root` (at `root_path`, `root_depth` levels
// deep itself) that lies deeper than kMaxNestingDepth levels, or nullopt. Iterative, with a
// stack that stops at the limit: it runs on documents that nothing recursive may touch yet.
std::optional<std::string> FindTooDeep(const Value& root, const std::string& root_path,
                                       std::size_t root_depth) {
  if (!root.IsObject() && !root.IsArray()) return std::nullopt;
  if (root_depth > kMaxNestingDepth) return root_path;
  struct Frame {
    const Value* value;
    rapidjson::SizeType next;  // the child to visit next
  };
  std::vector<Frame> stack = {{&root, 0}};
  while (!stack.empty()) {
    Frame& top = stack.back();
    const Value* child = nullptr;
    if (top.value->IsArray()) {
      if (top.next < top.value->Size()) child = &(*top.value)[top.next];
    } else if (top.next < top.value->MemberCount()) {
      child = &(top.value->MemberBegin() + top.next)->value;
    }
    if (child == nullptr) {
      stack.pop_back();
      continue;
    }
    ++top.next;
    if (!child->IsObject() && !child->IsArray()) continue;
    if (root_depth + stack.size() > kMaxNestingDepth) {
      std::string path = root_path;
      for (const Frame& f : stack) {
        const rapidjson::SizeType at = f.next - 1;
        path = f.value->IsArray() ? Index(path, at)
                                  : Child(path, StringOf((f.value->MemberBegin() + at)->name));
      }
      return path;
    }
    stack.push_back({child, 0});
  }
  return std::nullopt;
}

std::string TooDeepProblem() {
  return "nested deeper than " + std::to_string(kMaxNestingDepth) +
         " levels (the limit of a pipeline document)";
}

// ---- Overrides.

struct PathStep {
  std::string key;  // empty for an index step
  std::size_t index = 0;
};

// "a.b[2].c" -> steps; nullopt when malformed. Every path starts with a key.
std::optional<std::vector<PathStep>> ParsePath(std::string_view path) {
  std::vector<PathStep> steps;
  std::size_t i = 0;
  while (true) {
    const std::size_t start = i;
    while (i < path.size() && path[i] != '.' && path[i] != '[' && path[i] != ']') ++i;
    if (i == start) return std::nullopt;
    steps.push_back({std::string(path.substr(start, i - start)), 0});
    while (i < path.size() && path[i] == '[') {
      const std::size_t close = path.find(']', i);
      if (close == std::string_view::npos) return std::nullopt;
      std::size_t index = 0;
      const char* first = path.data() + i + 1;
      const char* last = path.data() + close;
      const auto [end, ec] = std::from_chars(first, last, index);
      if (first == last || ec != std::errc() || end != last) return std::nullopt;
      steps.push_back({std::string(), index});
      i = close + 1;
    }
    if (i == path.size()) return steps;
    if (path[i] != '.') return std::nullopt;
    ++i;
  }
}

// Sets the value at `steps` to `value`; returns the problem, or empty.
std::string SetAtPath(Document& doc, const std::vector<PathStep>& steps, Value& value) {
  auto& alloc = doc.GetAllocator();
  Value* current = &doc;
  std::string at;
  for (std::size_t k = 0; k < steps.size(); ++k) {
    const PathStep& step = steps[k];
    const bool last = k + 1 == steps.size();
    if (step.key.empty()) {
      if (!current->IsArray()) return at + " is " + Describe(*current) + ", not an array";
      const std::string next = Index(at, step.index);
      if (step.index >= current->Size()) {
        return next + " does not exist (" + at + " has " + std::to_string(current->Size()) +
               (current->Size() == 1 ? " entry)" : " entries)");
      }
      Value& element = (*current)[static_cast<rapidjson::SizeType>(step.index)];
      if (last) {
        element = value;
        return {};
      }
      current = &element;
      at = next;
      continue;
    }
    if (!current->IsObject()) {
      return (at.empty() ? "(root)" : at) + " is " + Describe(*current) + ", not an object";
    }
    const std::string next = Child(at, step.key);
    const Value name(
        rapidjson::StringRef(step.key.data(), static_cast<rapidjson::SizeType>(step.key.size())));
    auto member = current->FindMember(name);
    if (member == current->MemberEnd()) {
      if (!last) {
        // A missing object on the way is created ("source.engine.threads=2" in a document
        // without "engine"); validation then judges its keys like any others.
        if (steps[k + 1].key.empty()) return next + " does not exist";
        current->AddMember(
            Value(step.key.data(), static_cast<rapidjson::SizeType>(step.key.size()), alloc),
            Value(rapidjson::kObjectType), alloc);
        current = &(current->MemberEnd() - 1)->value;
        at = next;
        continue;
      }
      current->AddMember(
          Value(step.key.data(), static_cast<rapidjson::SizeType>(step.key.size()), alloc), value,
          alloc);
      return {};
    }
    if (last) {
      member->value = value;
      return {};
    }
    current = &member->value;
    at = next;
  }
  return {};
}

void ApplyOverride(Document& doc, std::string_view text, Problems& problems) {
  const std::string where = "override " + Quote(text);
  const std::size_t eq = text.find('=');
  if (eq == std::string_view::npos) {
    problems.Add(where, "expected <path>=<value>");
    return;
  }
  const std::string_view path = text.substr(0, eq);
  const std::string_view raw = text.substr(eq + 1);
  const auto steps = ParsePath(path);
  if (!steps) {
    problems.Add(where, "bad path " + Quote(path) +
                            R"( (expected keys and [indexes], e.g. "stages[1].format"))");
    return;
  }
  // The document's root is level 1 and each step one deeper: missing keys on the path are
  // created, so a long path alone could nest the document beyond the limit.
  if (steps->size() >= kMaxNestingDepth) {
    problems.Add(where, "the path is " + std::to_string(steps->size()) + " levels deep; " +
                            TooDeepProblem());
    return;
  }
  Document parsed;
  parsed.Parse<kParseFlags>(raw.data(), raw.size());
  Value value;
  if (!parsed.HasParseError()) {
    // CopyFrom recurses: a value nested 20,000 deep would overflow a 1 MiB stack.
    if (auto deep = FindTooDeep(parsed, std::string(path), steps->size() + 1)) {
      problems.Add(where, "the value at " + *deep + " is " + TooDeepProblem());
      return;
    }
    value.CopyFrom(parsed, doc.GetAllocator());
  } else {
    value.SetString(raw.data(), static_cast<rapidjson::SizeType>(raw.size()), doc.GetAllocator());
  }
  if (std::string problem = SetAtPath(doc, *steps, value); !problem.empty()) {
    problems.Add(where, problem);
  }
}

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

Result<std::string> ReadFile(const std::filesystem::path& path) {
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
      return Error(ErrorCode::kInvalidArgument,
                   context + ": larger than " + FormatSize(static_cast<int64_t>(kMaxFileBytes)));
    }
  }
  ::close(fd);
  return out;
}

}  // namespace

std::string_view ParamTypeName(ParamType type) {
  switch (type) {
    case ParamType::kString:
      return "string";
    case ParamType::kInt:
      return "integer";
    case ParamType::kBool:
      return "bool";
    case ParamType::kSize:
      return "size";
    case ParamType::kStringList:
      return "list of strings";
    case ParamType::kEnum:
      return "enum";
  }
  return "?";
}

Result<int64_t> ParseSize(std::string_view text) {
  auto bad = [&] { return Error(ErrorCode::kInvalidArgument, "not a size: " + Quote(text)); };
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + digits, value);
  if (digits == 0 || ec != std::errc()) return bad();
  std::string unit(text.substr(digits));
  for (char& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  int shift = 0;
  if (unit.empty() || unit == "b") {
    shift = 0;
  } else if (unit == "k" || unit == "kb" || unit == "kib") {
    shift = 10;
  } else if (unit == "m" || unit == "mb" || unit == "mib") {
    shift = 20;
  } else if (unit == "g" || unit == "gb" || unit == "gib") {
    shift = 30;
  } else if (unit == "t" || unit == "tb" || unit == "tib") {
    shift = 40;
  } else {
    return bad();
  }
  if (value > (static_cast<uint64_t>(INT64_MAX) >> shift)) return bad();
  return static_cast<int64_t>(value << shift);
}

Status TypeCatalog::Add(TypeSpec spec) {
  if (spec.type.empty()) return Error(ErrorCode::kInvalidArgument, "a type needs a name");
  const std::string what = "type " + Quote(spec.type);
  auto invalid = [&](std::string problem) {
    return Error(ErrorCode::kInvalidArgument, what + ": " + problem);
  };
  if (types_.count(spec.type) != 0) return invalid("already in the catalog");
  std::set<std::string_view> names;
  for (const ParamSpec& param : spec.params) {
    const std::string p = "parameter " + Quote(param.name);
    if (param.name.empty()) return invalid("a parameter without a name");
    if (param.name == "name" || param.name == "type" || param.name == "input") {
      return invalid(p + " is reserved");
    }
    if (!names.insert(param.name).second) return invalid("duplicate " + p);
    if (param.type == ParamType::kEnum && param.choices.empty()) {
      return invalid(p + " is an enum without choices");
    }
    if (param.min > param.max) return invalid(p + " has min > max");
    if (!param.default_text.empty()) {
      if (auto value = ParseDefault(param); !value.ok()) {
        return invalid(p + " has a bad default: " + value.error().message());
      }
    }
  }
  std::string key = spec.type;
  types_.emplace(std::move(key), std::move(spec));
  return OkStatus();
}

const TypeSpec* TypeCatalog::Find(std::string_view type) const {
  auto it = types_.find(type);
  return it == types_.end() ? nullptr : &it->second;
}

std::vector<std::string> TypeCatalog::Names() const {
  std::vector<std::string> names;
  names.reserve(types_.size());
  for (const auto& [name, spec] : types_) names.push_back(name);
  return names;  // std::map keeps them sorted
}

std::string DescribeCatalog(const TypeCatalog& catalog) {
  std::string out;
  for (const std::string& name : catalog.Names()) {
    const TypeSpec& type = *catalog.Find(name);
    if (!out.empty()) out += '\n';
    out += name;
    if (!type.help.empty()) out += ": " + type.help;
    out += "\n  input: ";
    out += !type.takes_input      ? "none (reads the source)"
           : type.multiple_inputs ? "one or more stages"
                                  : "one stage";
    out += '\n';
    for (const ParamSpec& param : type.params) {
      out += "  " + param.name + " (" + std::string(ParamTypeName(param.type));
      if (param.type == ParamType::kEnum) out += ": " + Join(param.choices);
      if (param.required) {
        out += "; required";
      } else if (!param.default_text.empty()) {
        out += "; default " + param.default_text;
      } else {
        out += "; optional";
      }
      if (param.min != INT64_MIN && param.max != INT64_MAX) {
        out += "; " + FormatNumber(param, param.min) + ".." + FormatNumber(param, param.max);
      } else if (param.min != INT64_MIN) {
        out += "; at least " + FormatNumber(param, param.min);
      } else if (param.max != INT64_MAX) {
        out += "; at most " + FormatNumber(param, param.max);
      }
      out += ")";
      if (!param.help.empty()) out += ": " + param.help;
      out += '\n';
    }
  }
  return out;
}

const std::string* StageConfig::GetString(std::string_view key) const {
  auto it = params.find(key);
  return it == params.end() ? nullptr : std::get_if<std::string>(&it->second);
}

std::optional<int64_t> StageConfig::GetInt(std::string_view key) const {
  auto it = params.find(key);
  if (it == params.end()) return std::nullopt;
  const int64_t* v = std::get_if<int64_t>(&it->second);
  return v != nullptr ? std::optional<int64_t>(*v) : std::nullopt;
}

std::optional<bool> StageConfig::GetBool(std::string_view key) const {
  auto it = params.find(key);
  if (it == params.end()) return std::nullopt;
  const bool* v = std::get_if<bool>(&it->second);
  return v != nullptr ? std::optional<bool>(*v) : std::nullopt;
}

const std::vector<std::string>* StageConfig::GetStringList(std::string_view key) const {
  auto it = params.find(key);
  return it == params.end() ? nullptr : std::get_if<std::vector<std::string>>(&it->second);
}

Result<PipelineConfig> LoadPipeline(std::string_view json_text, const TypeCatalog& stages,
                                    const TypeCatalog& sinks,
                                    const std::vector<std::string>& overrides) {
  Document doc;
  doc.Parse<kParseFlags>(json_text.data(), json_text.size());
  Problems problems;
  if (doc.HasParseError()) {
    std::string what = rapidjson::GetParseError_En(doc.GetParseError());
    if (!what.empty() && what.back() == '.') what.pop_back();
    if (!what.empty())
      what[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(what[0])));
    problems.Add(LineColumn(json_text, doc.GetErrorOffset()), "syntax error: " + what);
    return problems.ToError();
  }
  if (auto deep = FindTooDeep(doc, "", 1)) {
    problems.Add(*deep, TooDeepProblem());
    return problems.ToError();
  }
  for (const std::string& override_text : overrides) ApplyOverride(doc, override_text, problems);
  PipelineConfig config;
  CheckPipeline(doc, stages, sinks, config, problems);
  if (!problems.empty()) return problems.ToError();
  return config;
}

Result<PipelineConfig> LoadPipelineFile(const std::filesystem::path& path,
                                        const TypeCatalog& stages, const TypeCatalog& sinks,
                                        const std::vector<std::string>& overrides) {
  RINGFLOW_ASSIGN_OR_RETURN(const std::string text, ReadFile(path));
  auto config = LoadPipeline(text, stages, sinks, overrides);
  // The path heads every line the user sees: cut like any other string they wrote.
  if (!config.ok()) return std::move(config).error().WithPath(ShortenForMessage(path.string()));
  return config;
}

std::vector<std::string> ReadPluginList(std::string_view json_text,
                                        const std::vector<std::string>& overrides) {
  Document doc;
  doc.Parse<kParseFlags>(json_text.data(), json_text.size());
  if (doc.HasParseError()) return {};
  Problems ignored;  // LoadPipeline reports bad overrides
  for (const std::string& override_text : overrides) ApplyOverride(doc, override_text, ignored);
  if (!doc.IsObject()) return {};
  const auto member = doc.FindMember("plugins");
  if (member == doc.MemberEnd() || !member->value.IsArray()) return {};
  std::vector<std::string> plugins;
  for (const Value& item : member->value.GetArray()) {
    if (!item.IsString()) return {};
    plugins.emplace_back(StringOf(item));
  }
  return plugins;
}

std::vector<std::string> ReadPluginListFile(const std::filesystem::path& path,
                                            const std::vector<std::string>& overrides) {
  auto text = ReadFile(path);
  if (!text.ok()) return {};
  return ReadPluginList(*text, overrides);
}

}  // namespace ringflow::config
