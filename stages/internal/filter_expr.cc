#include "stages/internal/filter_expr.h"

#include <re2/re2.h>

#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "framework/core/number.h"

namespace ringflow::stages::internal {
namespace {

// Bounds the parser's and the evaluator's recursion (`not` and parentheses nest; `and` and `or`
// chains are flat n-ary nodes and do not).
constexpr int kMaxDepth = 100;

enum class NodeKind : uint8_t { kOr, kAnd, kNot, kTruthy, kCompare };
enum class FieldKind : uint8_t { kNamed, kRaw, kError };
// The first six order values (numbers or text); the others look at text only.
enum class Op : uint8_t {
  kEq,
  kNe,
  kLt,
  kLe,
  kGt,
  kGe,
  kContains,
  kStartsWith,
  kEndsWith,
  kMatches,
};
enum class LiteralKind : uint8_t { kNull, kBool, kNumber, kString };

struct Number {
  bool is_int = false;
  int64_t i = 0;
  double d = 0;
};

struct Literal {
  LiteralKind kind = LiteralKind::kNull;
  Number number;  // kNumber
  // What text comparisons use: kString unescaped, kNumber as written, kBool "true" / "false".
  std::string text;
};

struct Node {
  NodeKind kind = NodeKind::kTruthy;
  Op op = Op::kEq;
  FieldKind field_kind = FieldKind::kNamed;
  uint32_t first = 0;  // kOr, kAnd: first operand in FilterProgram::operands; kNot: the operand
  uint32_t count = 0;  // kOr, kAnd: number of operands
  std::string field;   // kTruthy, kCompare
  Literal literal;     // kCompare
  std::unique_ptr<const re2::RE2> regex;  // kCompare with kMatches
};

}  // namespace

struct FilterProgram {
  std::vector<Node> nodes;
  std::vector<uint32_t> operands;  // node indices; each kOr / kAnd node owns a contiguous run
  uint32_t root = 0;
};

namespace {

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
// Identifier bytes. Bytes >= 0x80 count as letters so that UTF-8 names need no quotes.
bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || IsDigit(c) || c == '_' || c == '.' ||
         c == '-' || c == '@' || static_cast<unsigned char>(c) >= 0x80;
}

// `word` equals `lower` (an ASCII lower-case keyword), ignoring case.
bool IsKeyword(std::string_view word, std::string_view lower) {
  if (word.size() != lower.size()) return false;
  for (std::size_t i = 0; i < word.size(); ++i) {
    char c = word[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != lower[i]) return false;
  }
  return true;
}

// A number as the grammar writes it, -?digits(.digits)?([eE][+-]?digits)?, taken whole: an
// integer that does not fit int64 becomes a double; a double out of range is not a number.
bool ParseNumber(std::string_view s, Number& out) {
  std::size_t i = 0;
  if (i < s.size() && s[i] == '-') ++i;
  const std::size_t digits = i;
  while (i < s.size() && IsDigit(s[i])) ++i;
  if (i == digits) return false;
  bool is_int = true;
  if (i < s.size() && s[i] == '.') {
    const std::size_t frac = ++i;
    while (i < s.size() && IsDigit(s[i])) ++i;
    if (i == frac) return false;
    is_int = false;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    const std::size_t exp = i;
    while (i < s.size() && IsDigit(s[i])) ++i;
    if (i == exp) return false;
    is_int = false;
  }
  if (i != s.size()) return false;
  if (is_int) {
    if (const std::optional<int64_t> v = ParseInt64(s)) {
      out = {true, *v, 0};
      return true;
    }
  }
  const std::optional<double> d = ParseDouble(s);
  if (!d) return false;
  out = {false, 0, *d};
  return true;
}

// `s` with control bytes as \xNN (EscapeControl), and with `quoted` also quotes and backslashes
// escaped.
std::string Escape(std::string_view s, bool quoted) {
  if (!quoted) return EscapeControl(s);
  std::string out;
  for (const char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return EscapeControl(out);
}

// `s` in double quotes, with quotes, backslashes and control bytes escaped, cut after
// kMaxQuotedBytes (a number or a word in a hostile expression may be megabytes long).
std::string Quote(std::string_view s) { return "\"" + ShortenForMessage(Escape(s, true)) + "\""; }

// A recursive-descent parser straight over the text: which token comes next depends on where
// it stands (`-x` is a field name where a field is expected, `-5` a number after an operator).
class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  Result<FilterProgram> Run() && {
    SkipSpace();
    if (AtEnd()) return Fail(pos_, "empty expression");
    RINGFLOW_ASSIGN_OR_RETURN(const uint32_t root, ParseOr(0));
    SkipSpace();
    if (!AtEnd()) {
      if (Peek() == ')') return Fail(pos_, "unmatched \")\"");
      return Fail(pos_, "unexpected " + Quote(TokenAt(pos_)));
    }
    program_.root = root;
    return std::move(program_);
  }

 private:
  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek(std::size_t ahead = 0) const {
    return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0';
  }
  bool Starts(std::string_view s) const { return text_.substr(pos_).starts_with(s); }
  void SkipSpace() {
    while (!AtEnd() && IsSpace(text_[pos_])) ++pos_;
  }
  // The identifier-like run at pos_ (possibly empty), not consumed.
  std::string_view Word() const {
    std::size_t end = pos_;
    while (end < text_.size() && IsNameChar(text_[end])) ++end;
    return text_.substr(pos_, end - pos_);
  }
  // For messages: the word at `pos`, else the one byte there.
  std::string_view TokenAt(std::size_t pos) const {
    std::size_t end = pos;
    while (end < text_.size() && end - pos < 32 && IsNameChar(text_[end])) ++end;
    if (end == pos && pos < text_.size()) ++end;
    return text_.substr(pos, end - pos);
  }
  std::string Found(std::size_t pos) const {
    return pos >= text_.size() ? std::string() : ", found " + Quote(TokenAt(pos));
  }
  static Error Fail(std::size_t pos, const std::string& message) {
    return Error(ErrorCode::kInvalidArgument, "column " + std::to_string(pos + 1) + ": " + message);
  }

  // The keyword `lower` or the symbol `symbol` at pos_: consumes it.
  bool Accept(std::string_view lower, std::string_view symbol) {
    SkipSpace();
    if (Starts(symbol)) {
      pos_ += symbol.size();
      return true;
    }
    if (IsKeyword(Word(), lower)) {
      pos_ += lower.size();
      return true;
    }
    return false;
  }

  uint32_t Add(Node node) {
    program_.nodes.push_back(std::move(node));
    return static_cast<uint32_t>(program_.nodes.size() - 1);
  }

  // An n-ary kOr / kAnd node over `operands` (or the single operand itself).
  uint32_t AddGroup(NodeKind kind, const std::vector<uint32_t>& operands) {
    if (operands.size() == 1) return operands[0];
    Node node;
    node.kind = kind;
    node.first = static_cast<uint32_t>(program_.operands.size());
    node.count = static_cast<uint32_t>(operands.size());
    program_.operands.insert(program_.operands.end(), operands.begin(), operands.end());
    return Add(std::move(node));
  }

  Result<uint32_t> ParseOr(int depth) {
    std::vector<uint32_t> operands;
    do {
      RINGFLOW_ASSIGN_OR_RETURN(const uint32_t operand, ParseAnd(depth));
      operands.push_back(operand);
    } while (Accept("or", "||"));
    return AddGroup(NodeKind::kOr, operands);
  }

  Result<uint32_t> ParseAnd(int depth) {
    std::vector<uint32_t> operands;
    do {
      RINGFLOW_ASSIGN_OR_RETURN(const uint32_t operand, ParseUnary(depth));
      operands.push_back(operand);
    } while (Accept("and", "&&"));
    return AddGroup(NodeKind::kAnd, operands);
  }

  Result<uint32_t> ParseUnary(int depth) {
    SkipSpace();
    const std::size_t start = pos_;
    const bool bang = Peek() == '!';
    if (bang || IsKeyword(Word(), "not")) {
      if (depth >= kMaxDepth) return Fail(start, "nested too deeply");
      pos_ += bang ? 1 : 3;
      RINGFLOW_ASSIGN_OR_RETURN(const uint32_t operand, ParseUnary(depth + 1));
      Node node;
      node.kind = NodeKind::kNot;
      node.first = operand;
      return Add(std::move(node));
    }
    if (Peek() == '(') {
      if (depth >= kMaxDepth) return Fail(start, "nested too deeply");
      ++pos_;
      RINGFLOW_ASSIGN_OR_RETURN(const uint32_t inner, ParseOr(depth + 1));
      SkipSpace();
      if (AtEnd()) {
        return Fail(pos_,
                    "expected \")\" to close the \"(\" at column " + std::to_string(start + 1));
      }
      if (Peek() != ')') return Fail(pos_, "unexpected " + Quote(TokenAt(pos_)));
      ++pos_;
      return inner;
    }
    return ParseCondition();
  }

  // A string in `quote`s at pos_ with \" \' \\ unescaped; any other backslash stays as it is
  // (so regular expressions like "\d+" need no doubling).
  Result<std::string> ParseQuoted() {
    const std::size_t start = pos_;
    const char quote = text_[pos_++];
    std::string out;
    while (!AtEnd()) {
      const char c = text_[pos_++];
      if (c == quote) return out;
      if (c == '\\' && !AtEnd()) {
        const char next = text_[pos_];
        if (next == '"' || next == '\'' || next == '\\') {
          out += next;
          ++pos_;
          continue;
        }
      }
      out += c;
    }
    return Fail(start, "unterminated string");
  }

  // FIELD, or FIELD OP LITERAL.
  Result<uint32_t> ParseCondition() {
    SkipSpace();
    const std::size_t field_pos = pos_;
    Node node;
    if (Peek() == '"') {
      RINGFLOW_ASSIGN_OR_RETURN(node.field, ParseQuoted());
      if (node.field.empty()) return Fail(field_pos, "empty field name");
    } else {
      const std::string_view word = Word();
      if (word.empty() || IsDigit(word[0]) || IsKeyword(word, "and") || IsKeyword(word, "or")) {
        return Fail(field_pos, "expected a field name, \"not\" or \"(\"" + Found(field_pos));
      }
      node.field = std::string(word);
      pos_ += word.size();
    }
    if (node.field == "_raw") node.field_kind = FieldKind::kRaw;
    if (node.field == "_error") node.field_kind = FieldKind::kError;

    SkipSpace();
    const std::size_t op_pos = pos_;
    static constexpr struct {
      std::string_view text;
      Op op;
      bool keyword;
    } kOps[] = {
        {"==", Op::kEq, false},
        {"!=", Op::kNe, false},
        {"<=", Op::kLe, false},
        {">=", Op::kGe, false},
        {"<", Op::kLt, false},
        {">", Op::kGt, false},
        {"contains", Op::kContains, true},
        {"startswith", Op::kStartsWith, true},
        {"endswith", Op::kEndsWith, true},
        {"matches", Op::kMatches, true},
    };
    std::string_view op_name;
    for (const auto& candidate : kOps) {
      if (candidate.keyword ? IsKeyword(Word(), candidate.text) : Starts(candidate.text)) {
        node.op = candidate.op;
        op_name = candidate.text;
        break;
      }
    }
    if (op_name.empty()) {
      if (Peek() == '=') return Fail(op_pos, "\"=\" is not an operator; use \"==\"");
      node.kind = NodeKind::kTruthy;  // a bare field; whatever follows is the caller's
      return Add(std::move(node));
    }
    pos_ += op_name.size();
    node.kind = NodeKind::kCompare;

    SkipSpace();
    const std::size_t value_pos = pos_;
    RINGFLOW_ASSIGN_OR_RETURN(node.literal, ParseLiteral(op_name));
    const LiteralKind kind = node.literal.kind;
    const bool text_op = node.op >= Op::kContains;
    if (node.op == Op::kMatches && kind != LiteralKind::kString) {
      return Fail(value_pos, "expected a string (a regular expression) after \"matches\"");
    }
    if ((kind == LiteralKind::kNull || kind == LiteralKind::kBool) && node.op != Op::kEq &&
        node.op != Op::kNe) {
      return Fail(value_pos, std::string(text_op ? "expected a string"
                                                 : "expected a number or a "
                                                   "string") +
                                 " after " + Quote(op_name));
    }
    if (node.op == Op::kMatches) {
      RE2::Options options;
      options.set_log_errors(false);  // the error comes back in the Result instead
      auto regex = std::make_unique<const RE2>(node.literal.text, options);
      if (!regex->ok())
        return Fail(value_pos,
                    "bad regular expression: " + ShortenForMessage(Escape(regex->error(), false)));
      node.regex = std::move(regex);
    }
    return Add(std::move(node));
  }

  Result<Literal> ParseLiteral(std::string_view op_name) {
    const std::size_t start = pos_;
    Literal literal;
    const char c = Peek();
    if (c == '"' || c == '\'') {
      literal.kind = LiteralKind::kString;
      RINGFLOW_ASSIGN_OR_RETURN(literal.text, ParseQuoted());
      return literal;
    }
    if (IsDigit(c) || (c == '-' && IsDigit(Peek(1)))) {
      // The longest run that can belong to a number; ParseNumber then wants all of it.
      std::size_t end = pos_ + 1;
      while (end < text_.size() &&
             (IsNameChar(text_[end]) || ((text_[end] == '+' || text_[end] == '-') &&
                                         (text_[end - 1] == 'e' || text_[end - 1] == 'E')))) {
        ++end;
      }
      const std::string_view written = text_.substr(pos_, end - pos_);
      if (!ParseNumber(written, literal.number)) return Fail(start, "bad number " + Quote(written));
      literal.kind = LiteralKind::kNumber;
      literal.text = std::string(written);
      pos_ = end;
      return literal;
    }
    const std::string_view word = Word();
    if (IsKeyword(word, "true") || IsKeyword(word, "false")) {
      literal.kind = LiteralKind::kBool;
      literal.text = IsKeyword(word, "true") ? "true" : "false";
    } else if (IsKeyword(word, "null")) {
      literal.kind = LiteralKind::kNull;
    } else {
      return Fail(start, "expected a value after " + Quote(op_name) + Found(start));
    }
    pos_ += word.size();
    return literal;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  FilterProgram program_;
};

// ---- Evaluation. Nothing here allocates: values are views, number text goes to the stack.

// Large enough for any int64 and for the shortest form of any double plus ".0".
constexpr std::size_t kTextBytes = 40;

// How a value reads as text: strings as they are, numbers in decimal (doubles as the JSON sink
// writes them, "2.0" not "2"), booleans "true" / "false". REQUIRES: not kNull.
std::string_view ValueText(const flow::Value& value, char (&buf)[kTextBytes]) {
  switch (value.type) {
    case flow::ValueType::kBool:
      return value.b ? "true" : "false";
    case flow::ValueType::kInt: {
      const std::to_chars_result r = std::to_chars(buf, buf + kTextBytes, value.i);
      return {buf, static_cast<std::size_t>(r.ptr - buf)};
    }
    case flow::ValueType::kDouble: {
      const std::to_chars_result r = std::to_chars(buf, buf + kTextBytes - 2, value.d);
      std::size_t n = static_cast<std::size_t>(r.ptr - buf);
      const std::string_view text(buf, n);
      if (std::isfinite(value.d) && text.find_first_of(".e") == std::string_view::npos) {
        buf[n++] = '.';
        buf[n++] = '0';
      }
      return {buf, n};
    }
    case flow::ValueType::kNull:
    case flow::ValueType::kString:
    case flow::ValueType::kRawJson:
      break;
  }
  return value.s;
}

bool AsNumber(const flow::Value& value, Number& out) {
  switch (value.type) {
    case flow::ValueType::kInt:
      out = {true, value.i, 0};
      return true;
    case flow::ValueType::kDouble:
      out = {false, 0, value.d};
      return true;
    case flow::ValueType::kString:
      return ParseNumber(value.s, out);
    default:
      return false;
  }
}

// -1, 0, 1; 2 when unordered (NaN).
int CompareNumbers(const Number& a, const Number& b) {
  if (a.is_int && b.is_int) return a.i < b.i ? -1 : (a.i > b.i ? 1 : 0);
  const double x = a.is_int ? static_cast<double>(a.i) : a.d;
  const double y = b.is_int ? static_cast<double>(b.i) : b.d;
  if (x < y) return -1;
  if (x > y) return 1;
  return x == y ? 0 : 2;
}

// REQUIRES: op is one of the six ordering operators; `order` from CompareNumbers.
bool Ordered(Op op, int order) {
  switch (op) {
    case Op::kEq:
      return order == 0;
    case Op::kNe:
      return order != 0;
    case Op::kLt:
      return order == -1;
    case Op::kLe:
      return order == -1 || order == 0;
    case Op::kGt:
      return order == 1;
    case Op::kGe:
      return order == 1 || order == 0;
    default:
      return false;
  }
}

bool Compare(const Node& node, const flow::Value& value) {
  const Literal& literal = node.literal;
  // The parser allows null and booleans with == and != only.
  if (literal.kind == LiteralKind::kNull) {
    return (value.type == flow::ValueType::kNull) == (node.op == Op::kEq);
  }
  if (value.type == flow::ValueType::kNull) return node.op == Op::kNe;
  if (literal.kind == LiteralKind::kNumber && node.op <= Op::kGe) {
    Number number;
    if (AsNumber(value, number)) return Ordered(node.op, CompareNumbers(number, literal.number));
  }
  char buf[kTextBytes];
  const std::string_view text = ValueText(value, buf);
  const std::string_view want = literal.text;
  switch (node.op) {
    case Op::kContains:
      return text.find(want) != std::string_view::npos;
    case Op::kStartsWith:
      return text.starts_with(want);
    case Op::kEndsWith:
      return text.ends_with(want);
    case Op::kMatches:
      return RE2::PartialMatch(re2::StringPiece(text.data(), text.size()), *node.regex);
    default: {
      const int c = text.compare(want);  // bytewise: char_traits<char> compares as unsigned
      return Ordered(node.op, c < 0 ? -1 : (c > 0 ? 1 : 0));
    }
  }
}

bool Truthy(const flow::Value& value) {
  switch (value.type) {
    case flow::ValueType::kNull:
      return false;
    case flow::ValueType::kBool:
      return value.b;
    case flow::ValueType::kInt:
      return value.i != 0;
    case flow::ValueType::kDouble:
      return value.d != 0;
    case flow::ValueType::kString:
    case flow::ValueType::kRawJson:
      return !value.s.empty();
  }
  return false;
}

// The value `node` names in `record`, or null when it has none. A failed record has only _raw
// and _error, whatever fields an earlier stage left behind.
const flow::Value* Lookup(const Node& node, const flow::Record& record, flow::Value& scratch) {
  switch (node.field_kind) {
    case FieldKind::kRaw:
      scratch = flow::Value::String(record.raw);
      return &scratch;
    case FieldKind::kError:
      scratch = flow::Value::String(record.error);
      return &scratch;
    case FieldKind::kNamed:
      break;
  }
  if (!record.ok()) return nullptr;
  const flow::Field* field = record.Find(node.field);
  return field != nullptr ? &field->value : nullptr;
}

bool Evaluate(const FilterProgram& program, uint32_t index, const flow::Record& record) {
  const Node& node = program.nodes[index];
  switch (node.kind) {
    case NodeKind::kOr:
      for (uint32_t k = 0; k < node.count; ++k) {
        if (Evaluate(program, program.operands[node.first + k], record)) return true;
      }
      return false;
    case NodeKind::kAnd:
      for (uint32_t k = 0; k < node.count; ++k) {
        if (!Evaluate(program, program.operands[node.first + k], record)) return false;
      }
      return true;
    case NodeKind::kNot:
      return !Evaluate(program, node.first, record);
    case NodeKind::kTruthy:
    case NodeKind::kCompare:
      break;
  }
  flow::Value scratch;
  const flow::Value* value = Lookup(node, record, scratch);
  if (value == nullptr) return false;  // a missing field satisfies no condition
  return node.kind == NodeKind::kTruthy ? Truthy(*value) : Compare(node, *value);
}

}  // namespace

Result<FilterExpr> FilterExpr::Parse(std::string_view text) {
  RINGFLOW_ASSIGN_OR_RETURN(FilterProgram program, Parser(text).Run());
  return FilterExpr(std::make_unique<const FilterProgram>(std::move(program)));
}

FilterExpr::FilterExpr(std::unique_ptr<const FilterProgram> program)
    : program_(std::move(program)) {}
FilterExpr::FilterExpr(FilterExpr&&) noexcept = default;
FilterExpr& FilterExpr::operator=(FilterExpr&&) noexcept = default;
FilterExpr::~FilterExpr() = default;

bool FilterExpr::Eval(const flow::Record& record) const {
  return Evaluate(*program_, program_->root, record);
}

}  // namespace ringflow::stages::internal
