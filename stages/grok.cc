#include "stages/grok.h"

#include <re2/re2.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "framework/core/number.h"
#include "stages/internal/parse_util.h"
#include "stages/internal/re2_match.h"

namespace ringflow::stages {
namespace {

using flow::Value;
using internal::Fail;

// An expansion past this size is refused: a few definitions that each use the next one twice
// grow exponentially.
constexpr std::size_t kMaxExpandedBytes = std::size_t{1} << 20;
// Definitions nested deeper than this are refused (the expander recurses once per level).
constexpr std::size_t kMaxDepth = 100;
Error Invalid(std::string message) {
  return Error(ErrorCode::kInvalidArgument, std::move(message));
}

bool IsNameChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

bool IsFieldSegment(std::string_view s) {
  if (s.empty()) return false;
  for (const char c : s) {
    if (!IsNameChar(c) && c != '@' && c != '-') return false;
  }
  return true;
}

// "a.b" for "a.b" and "[a][b]"; nullopt for anything else.
std::optional<std::string> NormalizeField(std::string_view s) {
  std::string out;
  if (!s.empty() && s[0] == '[') {
    while (!s.empty()) {
      const std::size_t close = s.find(']');
      if (s[0] != '[' || close == std::string_view::npos) return std::nullopt;
      const std::string_view segment = s.substr(1, close - 1);
      if (!IsFieldSegment(segment)) return std::nullopt;
      if (!out.empty()) out += '.';
      out += segment;
      s.remove_prefix(close + 1);
    }
    return out;
  }
  while (true) {
    const std::size_t dot = s.find('.');
    const std::string_view segment = s.substr(0, dot);
    if (!IsFieldSegment(segment)) return std::nullopt;
    out += segment;
    if (dot == std::string_view::npos) return out;
    out += '.';
    s.remove_prefix(dot + 1);
  }
}

std::string_view TypeName(GrokType type) {
  switch (type) {
    case GrokType::kString:
      return "string";
    case GrokType::kInt:
      return "int";
    case GrokType::kFloat:
      return "float";
  }
  return "?";
}

// The definitions of one expansion: the caller's first, then the standard set.
class Expander {
 public:
  explicit Expander(const std::map<std::string, std::string>& extra) : extra_(extra) {}

  // Appends the expansion of `text` to out_. `inside_field`: text is inside a field's capture,
  // so its own named captures do not capture.
  Status Expand(std::string_view text, bool inside_field);

  // Expands the definition `name` as a whole pattern (no capture around it).
  Status ExpandDefinition(const std::string& name, const std::string& definition) {
    stack_.push_back(name);
    Status status = Expand(definition, false);
    stack_.pop_back();
    return status;
  }

  GrokExpansion Take() && { return {std::move(out_), std::move(captures_)}; }
  // Every definition expanded, each once, the innermost first.
  const std::vector<std::string>& used() const { return used_; }

 private:
  const std::string* Lookup(std::string_view name) const {
    if (const auto it = extra_.find(std::string(name)); it != extra_.end()) return &it->second;
    const auto& standard = StandardGrokPatterns();
    if (const auto it = standard.find(name); it != standard.end()) return &it->second;
    return nullptr;
  }

  // "the expression" or `pattern "NAME"`: where the text being expanded comes from.
  std::string Where() const {
    return stack_.empty() ? "the expression" : "pattern " + QuoteForMessage(stack_.back());
  }

  Status AddCapture(const std::string& field, GrokType type) {
    for (const GrokCapture& c : captures_) {
      if (c.field == field && c.type != type) {
        return Invalid("grok: field " + QuoteForMessage(field) + " in " + Where() +
                       " has two types, " + std::string(TypeName(c.type)) + " and " +
                       std::string(TypeName(type)));
      }
    }
    captures_.push_back({field, type});
    return OkStatus();
  }

  Status Reference(std::string_view ref, bool inside_field);

  const std::map<std::string, std::string>& extra_;
  std::string out_;
  std::vector<GrokCapture> captures_;
  std::vector<std::string> stack_;  // the definitions being expanded, outermost first
  std::vector<std::string> used_;
};

// `ref` is what stands between "%{" and "}".
Status Expander::Reference(std::string_view ref, bool inside_field) {
  const auto malformed = [&](std::string_view why) {
    return Invalid("grok: %{" + ShortenForMessage(ref) + "} in " + Where() + ": " +
                   std::string(why));
  };
  const std::size_t colon = ref.find(':');
  const std::string_view name = ref.substr(0, colon);
  if (name.empty()) return malformed("expected %{NAME}, %{NAME:field} or %{NAME:field:type}");
  for (const char c : name) {
    if (!IsNameChar(c)) return malformed("a pattern name is letters, digits and '_'");
  }
  std::optional<std::string> field;
  GrokType type = GrokType::kString;
  if (colon != std::string_view::npos) {
    std::string_view rest = ref.substr(colon + 1);
    const std::size_t colon2 = rest.find(':');
    if (colon2 != std::string_view::npos) {
      const std::string_view type_name = rest.substr(colon2 + 1);
      if (type_name == "int") {
        type = GrokType::kInt;
      } else if (type_name == "float") {
        type = GrokType::kFloat;
      } else {
        return malformed("unknown type " + QuoteForMessage(type_name) + " (int or float)");
      }
      rest = rest.substr(0, colon2);
    }
    field = NormalizeField(rest);
    if (!field) {
      return malformed("bad field name " + QuoteForMessage(rest) +
                       ": letters, digits, '_', '@' and '-' in segments, as a.b or [a][b]");
    }
  }

  const std::string* definition = Lookup(name);
  if (definition == nullptr) {
    return Invalid("grok: unknown pattern " + QuoteForMessage(name) + " in " + Where());
  }
  for (std::size_t i = 0; i < stack_.size(); ++i) {
    if (stack_[i] != name) continue;
    std::string cycle;
    for (std::size_t j = i; j < stack_.size(); ++j) cycle += stack_[j] + " -> ";
    return Invalid("grok: recursion cycle in pattern " + QuoteForMessage(name) + ": " +
                   ShortenForMessage(cycle + std::string(name), 500));
  }
  if (stack_.size() >= kMaxDepth) {
    return Invalid("grok: patterns nested more than " + std::to_string(kMaxDepth) + " deep in " +
                   Where());
  }

  const bool capture = field.has_value() && !inside_field;
  if (capture) {
    RINGFLOW_RETURN_IF_ERROR(AddCapture(*field, type));
    out_ += '(';
  } else {
    out_ += "(?:";
  }
  stack_.emplace_back(name);
  Status status = Expand(*definition, inside_field || capture);
  stack_.pop_back();
  RINGFLOW_RETURN_IF_ERROR(status);
  out_ += ')';
  if (out_.size() > kMaxExpandedBytes) {
    return Invalid("grok: the expansion of " + Where() + " exceeds " +
                   std::to_string(kMaxExpandedBytes) + " bytes");
  }
  bool seen = false;
  for (const std::string& u : used_) seen = seen || u == name;
  if (!seen) used_.emplace_back(name);
  return OkStatus();
}

Status Expander::Expand(std::string_view text, bool inside_field) {
  // One entry per group opened in `text` and not yet closed: whether it captures a field.
  std::vector<bool> groups;
  std::size_t open_fields = 0;
  std::size_t i = 0;
  const std::size_t n = text.size();
  while (i < n) {
    const char c = text[i];
    if (c == '\\') {
      // An escape is copied whole, so that "\(" or "\%" is never read as syntax.
      const std::size_t len = i + 1 < n ? 2 : 1;
      out_.append(text.substr(i, len));
      i += len;
    } else if (c == '[') {
      // A character class is copied whole: "(", ")" and "%{" in it are literal. A ']' right
      // after '[' or '[^' is a member, not the end; "[:alpha:]" is one member.
      std::size_t j = i + 1;
      if (j < n && text[j] == '^') ++j;
      if (j < n && text[j] == ']') ++j;
      while (j < n && text[j] != ']') {
        if (text[j] == '\\') {
          j += 2;
        } else if (text[j] == '[' && j + 1 < n && text[j + 1] == ':') {
          const std::size_t end = text.find(":]", j + 2);
          j = end == std::string_view::npos ? j + 1 : end + 2;
        } else {
          ++j;
        }
      }
      j = j < n ? j + 1 : n;  // an unterminated class goes to RE2 as it is, for its message
      out_.append(text.substr(i, j - i));
      i = j;
    } else if (c == '(') {
      const std::string_view rest = text.substr(i);
      std::size_t name_at = 0;
      if (rest.starts_with("(?P<")) {
        name_at = 4;
      } else if (rest.starts_with("(?<") && !rest.starts_with("(?<=") &&
                 !rest.starts_with("(?<!")) {
        name_at = 3;
      }
      if (name_at != 0) {
        const std::size_t close = rest.find('>', name_at);
        if (close == std::string_view::npos) {
          return Invalid("grok: unterminated group name in " + Where());
        }
        const std::string_view raw = rest.substr(name_at, close - name_at);
        const std::optional<std::string> field = NormalizeField(raw);
        if (!field) {
          return Invalid("grok: bad field name " + QuoteForMessage(raw) + " in " + Where() +
                         ": letters, digits, '_', '@' and '-' in segments, as a.b or [a][b]");
        }
        const bool capture = !inside_field && open_fields == 0;
        if (capture) {
          RINGFLOW_RETURN_IF_ERROR(AddCapture(*field, GrokType::kString));
          out_ += '(';
          ++open_fields;
        } else {
          out_ += "(?:";
        }
        groups.push_back(capture);
        i += close + 1;
      } else if (rest.starts_with("(?")) {
        // Flags "(?i)" open no group; "(?i:" and "(?:" do. Anything else ("(?=", "(?>") goes to
        // RE2, which rejects it with its own message.
        std::size_t j = 2;
        while (j < rest.size() && rest[j] != ':' && rest[j] != ')' && rest[j] != '(') ++j;
        if (j < rest.size() && rest[j] == ')') {
          out_.append(rest.substr(0, j + 1));
          i += j + 1;
        } else {
          out_ += "(?";
          groups.push_back(false);
          i += 2;
        }
      } else {
        out_ += "(?:";  // an unnamed group captures nothing: only fields are groups
        groups.push_back(false);
        ++i;
      }
    } else if (c == ')') {
      if (!groups.empty()) {
        if (groups.back()) --open_fields;
        groups.pop_back();
      }
      out_ += ')';
      ++i;
    } else if (c == '%' && i + 1 < n && text[i + 1] == '{') {
      const std::size_t close = text.find('}', i + 2);
      if (close == std::string_view::npos) {
        return Invalid("grok: unterminated %{ in " + Where() +
                       " (write a literal \"%{\" as \"%\\{\")");
      }
      RINGFLOW_RETURN_IF_ERROR(
          Reference(text.substr(i + 2, close - i - 2), inside_field || open_fields > 0));
      i = close + 1;
    } else {
      out_ += c;
      ++i;
    }
  }
  return OkStatus();
}

RE2::Options CompileOptions() {
  RE2::Options options;
  options.set_log_errors(false);  // the error comes back in the Result, not on stderr
  // Latin-1 makes every byte one character, as in RegexParser: lines with invalid UTF-8 match.
  options.set_encoding(RE2::Options::EncodingLatin1);
  return options;
}

Status CheckAscii(std::string_view text, const std::string& where) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (static_cast<unsigned char>(text[i]) >= 0x80) {
      return Invalid("grok " + where + ": non-ASCII byte at offset " + std::to_string(i) +
                     " (matching is byte by byte: write bytes as \\xHH)");
    }
  }
  return OkStatus();
}

// The RE2 error of `pattern`, or nullopt when it compiles.
std::optional<std::string> CompileError(const std::string& pattern) {
  const RE2 re(pattern, CompileOptions());
  if (re.ok()) return std::nullopt;
  return re.error();
}

// Compiles definition `name` on its own; its RE2 error as a grok error.
Status CheckDefinition(const std::map<std::string, std::string>& definitions,
                       const std::string& name, const std::string& definition) {
  Expander expander(definitions);
  RINGFLOW_RETURN_IF_ERROR(expander.ExpandDefinition(name, definition));
  const std::string pattern = std::move(expander).Take().pattern;
  if (const std::optional<std::string> error = CompileError(pattern)) {
    return Invalid("grok pattern " + QuoteForMessage(name) + ": " + ShortenForMessage(*error, 500));
  }
  return OkStatus();
}

bool Convert(GrokType type, std::string_view s, Value& out) {
  if (type == GrokType::kString) {
    out = Value::String(s);
    return true;
  }
  // INT and NUMBER admit a '+', which ParseInt64 and ParseDouble do not.
  if (!s.empty() && s[0] == '+') {
    s.remove_prefix(1);
    if (!s.empty() && (s[0] == '-' || s[0] == '+')) return false;
  }
  if (type == GrokType::kInt) {
    const std::optional<int64_t> v = ParseInt64(s);
    if (!v) return false;
    out = Value::Int(*v);
    return true;
  }
  const std::optional<double> d = ParseDouble(s);  // refuses "inf", "nan" and hex
  if (!d) return false;
  out = Value::Double(*d);
  return true;
}

}  // namespace

const std::map<std::string, std::string, std::less<>>& StandardGrokPatterns() {
  static const auto* const patterns = [] {
    auto* map = new std::map<std::string, std::string, std::less<>>();
    std::string_view text = GrokPatternsText();
    while (!text.empty()) {
      const std::size_t eol = text.find('\n');
      const std::string_view line = text.substr(0, eol);
      text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
      if (line.empty() || line[0] == '#') continue;
      const std::size_t space = line.find(' ');
      (*map)[std::string(line.substr(0, space))] = std::string(line.substr(space + 1));
    }
    return map;
  }();
  return *patterns;
}

Result<GrokExpansion> ExpandGrok(std::string_view expression,
                                 const std::map<std::string, std::string>& extra_definitions) {
  Expander expander(extra_definitions);
  RINGFLOW_RETURN_IF_ERROR(expander.Expand(expression, false));
  return std::move(expander).Take();
}

struct GrokParser::Impl {
  struct Field {
    std::string name;  // field names are views into this
    GrokType type;
    std::string bad_reason;   // Record::error when the value does not convert
    std::vector<int> groups;  // the RE2 groups that capture it, in order
  };

  Impl(std::string p, const RE2::Options& options) : pattern(std::move(p)), re(pattern, options) {}

  // pattern before re: re is compiled from it.
  const std::string pattern;
  const RE2 re;
  // In the order each field first appears. Filled by Create, never changed after: views into the
  // names stay valid for the Impl's life.
  std::vector<Field> fields;
  int submatches = 0;  // 1 + the number of groups
};

Result<GrokParser> GrokParser::Create(std::string_view expression,
                                      const std::map<std::string, std::string>& definitions) {
  RINGFLOW_RETURN_IF_ERROR(CheckAscii(expression, "expression"));
  for (const auto& [name, definition] : definitions) {
    RINGFLOW_RETURN_IF_ERROR(CheckAscii(definition, "pattern " + QuoteForMessage(name)));
    bool valid_name = !name.empty();
    for (const char c : name) valid_name = valid_name && IsNameChar(c);
    if (!valid_name) {
      return Invalid("grok pattern " + QuoteForMessage(name) +
                     ": a pattern name is letters, digits and '_'");
    }
    RINGFLOW_RETURN_IF_ERROR(CheckDefinition(definitions, name, definition));
  }

  Expander expander(definitions);
  RINGFLOW_RETURN_IF_ERROR(expander.Expand(expression, false));
  const std::vector<std::string> used = expander.used();
  GrokExpansion expansion = std::move(expander).Take();
  if (expansion.captures.empty()) {
    return Invalid("grok expression has no field: name one with %{NAME:field} or (?<field>...)");
  }

  auto impl = std::make_shared<Impl>(std::move(expansion.pattern), CompileOptions());
  if (!impl->re.ok()) {
    // Name the innermost definition that fails on its own; else the expression is at fault.
    for (const std::string& name : used) {
      const auto it = definitions.find(name);
      const std::string& definition =
          it != definitions.end() ? it->second : StandardGrokPatterns().find(name)->second;
      RINGFLOW_RETURN_IF_ERROR(CheckDefinition(definitions, name, definition));
    }
    return Invalid("grok expression: " + ShortenForMessage(impl->re.error(), 500));
  }
  if (impl->re.NumberOfCapturingGroups() != static_cast<int>(expansion.captures.size())) {
    return Error(ErrorCode::kInternal, "grok: the expansion has groups that are not fields");
  }

  for (std::size_t g = 0; g < expansion.captures.size(); ++g) {
    const GrokCapture& capture = expansion.captures[g];
    Impl::Field* field = nullptr;
    for (Impl::Field& f : impl->fields) {
      if (f.name == capture.field) field = &f;
    }
    if (field == nullptr) {
      const char* what = capture.type == GrokType::kInt ? "is not an integer" : "is not a number";
      impl->fields.push_back(
          {capture.field, capture.type, "grok: field \"" + capture.field + "\" " + what, {}});
      field = &impl->fields.back();
    }
    field->groups.push_back(static_cast<int>(g) + 1);
  }
  impl->submatches = static_cast<int>(expansion.captures.size()) + 1;
  return GrokParser(std::move(impl));
}

std::string_view GrokParser::pattern() const {
  return impl_ == nullptr ? std::string_view() : std::string_view(impl_->pattern);
}

bool GrokParser::Parse(std::string_view line, flow::Record& out, flow::Arena& /*arena*/) const {
  out.raw = line;
  out.error = {};
  out.fields.clear();
  if (impl_ == nullptr) return Fail(out, "grok: no pattern");
  const Impl& impl = *impl_;

  const re2::StringPiece* submatches = internal::MatchWhole(impl.re, line, impl.submatches);
  if (submatches == nullptr) return Fail(out, "grok: no match");
  for (const Impl::Field& field : impl.fields) {
    for (const int g : field.groups) {
      const re2::StringPiece& m = submatches[g];
      if (m.data() == nullptr) continue;
      Value value;
      if (!Convert(field.type, std::string_view(m.data(), m.size()), value)) {
        return Fail(out, field.bad_reason);
      }
      out.fields.push_back({field.name, value});
      break;
    }
  }
  return true;
}

}  // namespace ringflow::stages
