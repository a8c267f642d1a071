#include "stages/grok.h"

#include <re2/re2.h>

#include <cstddef>
#include <cstdint>
#include <memory>
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

// ---------------------------------------------------------------------------------------------
// Matching in pieces.
//
// RE2 finds where a pattern matches with its DFA, fast, but it extracts submatches with the DFA's
// slower siblings, and for a program as large as %{COMBINEDAPACHELOG}'s (IPv6 and host names)
// only with the NFA, which steps every live thread over every byte. So the expanded pattern's
// top-level concatenation is cut into pieces, one per field (with the fixed text after it), each
// a small RE2 of its own, and a line is matched piece after piece: each piece's leftmost-first
// match anchored where the one before ended, the last anchored at both ends too.
//
// Why that gives RE2's own submatches whenever the chain reaches the end of the line: for a
// concatenation XY matched whole, RE2 (like Perl) takes the first path in priority order, and
// every path of X is tried, with every way of going on in Y, before the next path of X. If X's
// first path (X's leftmost-first match, ending at p) can be followed by a Y that matches the
// rest, that is the chosen path; the chain's rest reaching the end is such a Y. By induction the
// cut points are the chosen path's, and within a piece the chosen path is the piece's first path
// over that span, which is what the piece's own match reports. When the chain stops short (a
// piece does not match, or the last does not end the line), the whole pattern is matched as
// before; a line that does not match at all fails there.
//
// A piece whose one field is all there is besides fixed-width text (`\[(...)\] "`), or whose
// field is the second branch after a literal (`(?:-|(...)) `), needs only the DFA: the field is
// the match minus the fixed widths, and absent when it is the literal (the literal's branch comes
// first).

// One element of a concatenation in the expanded pattern, with its quantifier.
struct Atom {
  std::string_view text;
  int captures = 0;            // capturing groups in it
  bool capture_group = false;  // "(...)"
  bool plain_group = false;    // "(?:...)", no flags
  bool sets_flags = false;     // "(?i)": changes the rest of its sequence
  bool quantified = false;
  int width = -1;                               // bytes it always matches (unquantified), or -1
  int literal = -1;                             // the byte it matches when it is one literal byte
  std::vector<std::vector<Atom>> alternatives;  // a group's content, split at its '|'
};

bool IsHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// Reads the expanded pattern (which RE2 has accepted, and which has no named groups) back into
// atoms. Any syntax it does not know makes it give up: the pattern is then matched whole.
class AtomParser {
 public:
  explicit AtomParser(std::string_view pattern) : s_(pattern) {}

  std::optional<std::vector<std::vector<Atom>>> Parse() {
    std::vector<std::vector<Atom>> top;
    if (!Alternatives(top, 0) || i_ != s_.size()) return std::nullopt;
    return top;
  }

 private:
  bool Alternatives(std::vector<std::vector<Atom>>& out, int depth) {
    if (depth > 200) return false;
    out.emplace_back();
    while (i_ < s_.size() && s_[i_] != ')') {
      if (s_[i_] == '|') {
        ++i_;
        out.emplace_back();
        continue;
      }
      Atom atom;
      if (!One(atom, depth)) return false;
      out.back().push_back(std::move(atom));
    }
    return true;
  }

  bool One(Atom& atom, int depth) {
    const std::size_t start = i_;
    const char c = s_[i_];
    if (c == '(') {
      if (s_.substr(i_).starts_with("(?:")) {
        atom.plain_group = true;
        i_ += 3;
      } else if (s_.substr(i_).starts_with("(?")) {
        std::size_t j = i_ + 2;
        while (j < s_.size() &&
               (s_[j] == '-' || (s_[j] >= 'a' && s_[j] <= 'z') || (s_[j] >= 'A' && s_[j] <= 'Z'))) {
          ++j;
        }
        if (j >= s_.size() || (s_[j] != ')' && s_[j] != ':')) return false;
        if (s_[j] == ')') {
          atom.sets_flags = true;
          atom.width = 0;
          i_ = j + 1;
          atom.text = s_.substr(start, i_ - start);
          return true;
        }
        i_ = j + 1;
      } else {
        atom.capture_group = true;
        atom.captures = 1;
        ++i_;
      }
      if (!Alternatives(atom.alternatives, depth + 1)) return false;
      if (i_ >= s_.size() || s_[i_] != ')') return false;
      ++i_;
      for (const auto& alternative : atom.alternatives) {
        for (const Atom& a : alternative) atom.captures += a.captures;
      }
    } else if (c == '[') {
      std::size_t j = i_ + 1;
      if (j < s_.size() && s_[j] == '^') ++j;
      if (j < s_.size() && s_[j] == ']') ++j;
      while (j < s_.size() && s_[j] != ']') {
        if (s_[j] == '\\') {
          j += 2;
        } else if (s_[j] == '[' && j + 1 < s_.size() && s_[j + 1] == ':') {
          const std::size_t end = s_.find(":]", j + 2);
          if (end == std::string_view::npos) return false;
          j = end + 2;
        } else {
          ++j;
        }
      }
      if (j >= s_.size()) return false;
      i_ = j + 1;
      atom.width = 1;
    } else if (c == '\\') {
      if (!Escape(atom)) return false;
    } else if (c == '*' || c == '+' || c == '?' || c == '|' || c == ')') {
      return false;
    } else {
      ++i_;
      if (c == '.') {
        atom.width = 1;
      } else if (c == '^' || c == '$') {
        atom.width = 0;
      } else {
        atom.width = 1;
        atom.literal = static_cast<unsigned char>(c);
      }
    }
    // Quantifiers: "*", "+", "?", "{n}", "{n,}", "{n,m}", each maybe followed by '?'.
    while (i_ < s_.size()) {
      const char q = s_[i_];
      if (q == '*' || q == '+' || q == '?') {
        ++i_;
      } else if (q == '{' && RepeatEnd() != 0) {
        i_ = RepeatEnd();
      } else {
        break;
      }
      atom.quantified = true;
      if (i_ < s_.size() && s_[i_] == '?') ++i_;
    }
    if (atom.quantified) {
      atom.width = -1;
      atom.literal = -1;
    }
    atom.text = s_.substr(start, i_ - start);
    return true;
  }

  // At a '{': the index after "{n}", "{n,}" or "{n,m}", or 0 when it is a literal '{'.
  std::size_t RepeatEnd() const {
    std::size_t j = i_ + 1;
    const auto digits = [&] {
      const std::size_t from = j;
      while (j < s_.size() && s_[j] >= '0' && s_[j] <= '9') ++j;
      return j > from;
    };
    if (!digits()) return 0;
    if (j < s_.size() && s_[j] == ',') {
      ++j;
      digits();
    }
    return j < s_.size() && s_[j] == '}' ? j + 1 : 0;
  }

  bool Escape(Atom& atom) {
    if (i_ + 1 >= s_.size()) return false;
    const char e = s_[i_ + 1];
    i_ += 2;
    switch (e) {
      case 'd':
      case 'D':
      case 'w':
      case 'W':
      case 's':
      case 'S':
      case 'C':
        atom.width = 1;
        return true;
      case 'b':
      case 'B':
      case 'A':
      case 'z':
        atom.width = 0;
        return true;
      case 'n':
      case 't':
      case 'r':
      case 'f':
      case 'v':
      case 'a':
        atom.width = 1;
        return true;
      case 'x':
        if (i_ + 1 < s_.size() && IsHex(s_[i_]) && IsHex(s_[i_ + 1])) {
          i_ += 2;
          atom.width = 1;
          return true;
        }
        return false;
      default:
        break;
    }
    const auto u = static_cast<unsigned char>(e);
    if (u < 0x80 && u >= 0x20 && !IsNameChar(e)) {
      atom.width = 1;  // an escaped punctuation character stands for itself
      atom.literal = u;
      return true;
    }
    return false;  // \p, \Q, octal and the rest: not read here
  }

  std::string_view s_;
  std::size_t i_ = 0;
};

// The atoms of `seq`, with unquantified "(?:...)" groups that hold one alternative replaced by
// their content. False when a "(?flags)" would leak out of its group.
bool Flatten(const std::vector<Atom>& seq, std::vector<const Atom*>& out) {
  for (const Atom& atom : seq) {
    if (atom.sets_flags) return false;
    if (atom.plain_group && !atom.quantified && atom.alternatives.size() == 1) {
      if (!Flatten(atom.alternatives[0], out)) return false;
    } else {
      out.push_back(&atom);
    }
  }
  return true;
}

// The literal bytes `seq` is, or nullopt when it is anything else.
std::optional<std::string> LiteralOf(const std::vector<Atom>& seq) {
  std::string out;
  for (const Atom& atom : seq) {
    if (atom.literal < 0) return std::nullopt;
    out += static_cast<char>(atom.literal);
  }
  return out;
}

// A piece of the expanded pattern, matched on its own (see above).
struct Piece {
  std::unique_ptr<const RE2> re;
  int first_group = 0;  // the pattern's group number of its first group
  int groups = 0;
  bool span = false;  // its one group is its match less `prefix` and `suffix` bytes
  std::size_t prefix = 0;
  std::size_t suffix = 0;
  std::optional<std::string> absent_if;  // span: the match of the literal branch before it
};

// The pieces of `pattern`, or none when it is matched whole: it has a '|' at the top, one field,
// or syntax the atom parser does not read.
std::vector<Piece> SplitIntoPieces(const std::string& pattern, int groups) {
  AtomParser parser(pattern);
  const std::optional<std::vector<std::vector<Atom>>> top = parser.Parse();
  if (!top || top->size() != 1) return {};
  std::vector<const Atom*> flat;
  if (!Flatten((*top)[0], flat)) return {};
  // Each cut starts at an atom with a field, except the first, which starts the pattern.
  std::vector<std::vector<const Atom*>> cuts(1);
  int captures = 0;
  for (const Atom* atom : flat) {
    if (atom->captures > 0 && captures > 0) {
      cuts.emplace_back();
      captures = 0;
    }
    cuts.back().push_back(atom);
    captures += atom->captures;
  }
  if (cuts.size() < 2) return {};

  std::vector<Piece> pieces;
  int next_group = 1;
  for (const std::vector<const Atom*>& cut : cuts) {
    Piece piece;
    std::string text;
    for (const Atom* atom : cut) {
      text += atom->text;
      piece.groups += atom->captures;
    }
    piece.re = std::make_unique<const RE2>(text, CompileOptions());
    if (!piece.re->ok() || piece.re->NumberOfCapturingGroups() != piece.groups) return {};
    piece.first_group = next_group;
    next_group += piece.groups;

    // The span form: one atom with the field, fixed widths around it.
    const Atom* field = nullptr;
    std::size_t before = 0;
    std::size_t after = 0;
    bool fixed = true;
    for (const Atom* atom : cut) {
      if (atom->captures > 0) {
        field = atom;
      } else if (atom->width < 0) {
        fixed = false;
      } else {
        (field == nullptr ? before : after) += static_cast<std::size_t>(atom->width);
      }
    }
    if (fixed && piece.groups == 1 && !field->quantified) {
      if (field->capture_group) {
        piece.span = true;
      } else if (field->plain_group && field->alternatives.size() == 2 &&
                 field->alternatives[1].size() == 1 && field->alternatives[1][0].capture_group &&
                 !field->alternatives[1][0].quantified) {
        piece.absent_if = LiteralOf(field->alternatives[0]);
        piece.span = piece.absent_if.has_value();
      }
      piece.prefix = before;
      piece.suffix = after;
    }
    pieces.push_back(std::move(piece));
  }
  if (next_group - 1 != groups) return {};
  return pieces;
}

// Matches `text` piece after piece, filling groups[1..] as RE2 would for the whole pattern.
// False when the chain does not reach the end of the text (then groups are unspecified).
bool MatchPieces(const std::vector<Piece>& pieces, re2::StringPiece text,
                 re2::StringPiece* groups) {
  const std::size_t n = text.size();
  std::size_t pos = 0;
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    const Piece& piece = pieces[i];
    const RE2::Anchor anchor = i + 1 == pieces.size() ? RE2::ANCHOR_BOTH : RE2::ANCHOR_START;
    re2::StringPiece whole;
    if (piece.span) {
      if (!piece.re->Match(text, pos, n, anchor, &whole, 1)) return false;
      re2::StringPiece value(whole.data() + piece.prefix,
                             whole.size() - piece.prefix - piece.suffix);
      if (piece.absent_if && value == *piece.absent_if) value = re2::StringPiece();
      groups[piece.first_group] = value;
    } else {
      // The piece's whole match lands in the slot before its first group: the previous piece's
      // last group (or the pattern's whole match), put back after.
      re2::StringPiece* out = groups + piece.first_group - 1;
      const re2::StringPiece kept = out[0];
      if (!piece.re->Match(text, pos, n, anchor, out, piece.groups + 1)) return false;
      whole = out[0];
      out[0] = kept;
    }
    pos = static_cast<std::size_t>(whole.data() + whole.size() - text.data());
  }
  groups[0] = text;
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
  // The pattern cut into pieces, tried first; empty when the pattern is only matched whole.
  std::vector<Piece> pieces;
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
  impl->pieces = SplitIntoPieces(impl->pattern, impl->submatches - 1);
  return GrokParser(std::move(impl));
}

std::size_t GrokParser::pieces() const { return impl_ == nullptr ? 0 : impl_->pieces.size(); }

std::string_view GrokParser::pattern() const {
  return impl_ == nullptr ? std::string_view() : std::string_view(impl_->pattern);
}

bool GrokParser::Parse(std::string_view line, flow::Record& out, flow::Arena& /*arena*/) const {
  out.raw = line;
  out.error = {};
  out.fields.clear();
  if (impl_ == nullptr) return Fail(out, "grok: no pattern");
  const Impl& impl = *impl_;

  const re2::StringPiece* submatches = nullptr;
  if (!impl.pieces.empty()) {
    // Grows once per thread to the most groups it was asked for.
    thread_local std::vector<re2::StringPiece> groups;
    const auto n = static_cast<std::size_t>(impl.submatches);
    if (groups.size() < n) groups.resize(n);
    const re2::StringPiece text =
        line.data() != nullptr ? re2::StringPiece(line.data(), line.size()) : re2::StringPiece("");
    if (MatchPieces(impl.pieces, text, groups.data())) submatches = groups.data();
  }
  if (submatches == nullptr) submatches = internal::MatchWhole(impl.re, line, impl.submatches);
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
