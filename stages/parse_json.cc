#include "stages/parse_json.h"

#include <rapidjson/error/error.h>
#include <rapidjson/reader.h>

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "framework/core/number.h"
#include "framework/core/utf8.h"
#include "stages/internal/parse_util.h"

namespace ringflow::stages {
namespace {

using flow::Field;
using flow::Value;

// A bounded read-only stream over the line. RapidJSON's StringStream stops at the first NUL
// instead of at the end, and copies itself into locals while it scans strings (copyOptimization),
// which would make Tell() stale inside the handler; this one has no copy optimization, so Tell()
// is exact in every callback. Peek() yields '\0' at the end, which RapidJSON reads as "end of
// input"; a NUL byte inside the line reads the same, which ParseJsonLine catches by comparing
// Tell() with the line's size.
class LineStream {
 public:
  using Ch = char;

  LineStream(const char* begin, std::size_t size)
      : begin_(begin), cur_(begin), end_(begin + size) {}

  Ch Peek() const { return cur_ == end_ ? '\0' : *cur_; }
  Ch Take() { return cur_ == end_ ? '\0' : *cur_++; }
  std::size_t Tell() const { return static_cast<std::size_t>(cur_ - begin_); }

  // Output side, used only by in-situ parsing (not used here).
  Ch* PutBegin() {
    assert(false);
    return nullptr;
  }
  void Put(Ch) { assert(false); }
  void Flush() { assert(false); }
  std::size_t PutEnd(Ch*) {
    assert(false);
    return 0;
  }

 private:
  const char* begin_;
  const char* cur_;
  const char* end_;
};

using Reader = rapidjson::GenericReader<rapidjson::UTF8<>, rapidjson::UTF8<>>;

// Iterative: nesting costs heap (8 bytes a level, bounded by kMaxJsonDepth) instead of C stack.
// Numbers as strings: the Handler converts each number's text with NumberValue below, the
// fast path's own conversion, so both paths agree by construction. RapidJSON's own conversion
// is not used: its full-precision path crashed (SIGSEGV) on a fraction with 348+ leading zeros
// and gave wrong values from 323 on (null, -2.1e+301 for 1e-331), and its normal precision is
// not correctly rounded. No kParseValidateEncodingFlag: IsValidUtf8 checks the whole line first,
// which is the same check (outside strings any non-ASCII byte is a syntax error anyway) at a
// fraction of the cost of RapidJSON's per-byte validation.
constexpr unsigned kParseFlags =
    rapidjson::kParseIterativeFlag | rapidjson::kParseNumbersAsStringsFlag;

// The reason of a line with a number beyond double range. RapidJSON's grammar itself refuses
// (with kParseErrorNumberTooBig, whatever the flags) an exponent above 308 plus the count of
// fraction digits, even for a zero ("0e400"), and an integer part of 309 digits from about
// 1.8e308 up; the fast path leaves any such number to it, so both paths still agree.
constexpr const char* kOutOfRange = "number out of range";

// Whether a number whose conversion was out of range (std::from_chars said ERANGE) is below
// the smallest subnormal rather than above the largest double: its first significant digit
// stands at 10^m with m < 0. `digits`: the text after the sign; `int_digits`: how many digits
// come before '.', 'e', 'E' or the end. Only called for a number with a nonzero digit (a zero
// never leaves double range).
bool Underflows(std::string_view digits, std::size_t int_digits) {
  // The exponent, saturated far beyond any line's digit count (lines are under 4 GiB).
  constexpr int64_t kSaturated = int64_t{1} << 40;
  int64_t exponent = 0;
  const std::size_t e = digits.find_first_of("eE", int_digits);
  if (e != std::string_view::npos) {
    std::size_t i = e + 1;
    const bool negative = digits[i] == '-';
    if (digits[i] == '-' || digits[i] == '+') ++i;
    for (; i < digits.size() && exponent < kSaturated; ++i) {
      exponent = exponent * 10 + (digits[i] - '0');
    }
    if (negative) exponent = -exponent;
  }
  int64_t magnitude;
  if (digits[0] != '0') {  // JSON has no leading zeros: the integer part is not 0
    magnitude = static_cast<int64_t>(int_digits) - 1;
  } else {  // "0.000ddd": 10^-(zeros + 1)
    const std::size_t zeros = digits.find_first_not_of('0', int_digits + 1) - (int_digits + 1);
    magnitude = -static_cast<int64_t>(zeros) - 1;
  }
  return magnitude + exponent < 0;
}

// The integer of `n` <= 18 digits at `digits` (always fits int64), negative when `minus`; "-0" is
// the double -0.0, as strtod reads it, so the sign is kept.
inline flow::Value SmallInteger(const char* digits, std::size_t n, bool minus) {
  int64_t v = 0;
  for (std::size_t i = 0; i < n; ++i) v = v * 10 + (digits[i] - '0');
  return minus && v == 0 ? flow::Value::Double(-0.0) : flow::Value::Int(minus ? -v : v);
}

// Clinger's fast path (fast_float's first step too, but without its general parsing, which cost
// more than the rest of a log line's parse): when the text's digits, at most 15, make an integer
// m < 2^53 and its decimal exponent e has |e| <= 22, m and 10^|e| are exact doubles, and one
// IEEE multiplication or division of exact operands is correctly rounded. False: not such a
// number (the caller then uses ParseDouble). REQUIRES: `text` is a number by JSON's grammar.
inline bool ExactSmallDecimal(std::string_view text, bool minus, double& out) {
  static constexpr double kPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                      1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                      1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
  const char* p = text.data() + (minus ? 1 : 0);
  const char* const end = text.data() + text.size();
  uint64_t m = 0;
  int digits = 0;
  int exponent = 0;
  for (; p != end && internal::IsDigit(*p); ++p) {
    if (++digits > 15) return false;
    m = m * 10 + static_cast<uint64_t>(*p - '0');
  }
  if (p != end && *p == '.') {
    for (++p; p != end && internal::IsDigit(*p); ++p) {
      if (++digits > 15) return false;
      m = m * 10 + static_cast<uint64_t>(*p - '0');
      --exponent;
    }
  }
  if (p != end) {  // 'e' or 'E'
    ++p;
    const bool negative = *p == '-';
    if (*p == '-' || *p == '+') ++p;
    if (end - p > 2) return false;  // |e| <= 99 is all this path can use
    int e = 0;
    for (; p != end; ++p) e = e * 10 + (*p - '0');
    exponent += negative ? -e : e;
  }
  if (exponent < -22 || exponent > 22) return false;
  const double v = exponent < 0 ? static_cast<double>(m) / kPow10[-exponent]
                                : static_cast<double>(m) * kPow10[exponent];
  out = minus ? -v : v;
  return true;
}

// NumberValue's uncommon cases, out of line: an integer of 19+ digits, a number beyond double
// range either way.
[[gnu::noinline]] bool UncommonNumberValue(std::string_view text, bool minus,
                                           std::size_t int_digits, bool integral,
                                           flow::Value& out) {
  if (integral) {
    if (const std::optional<int64_t> v = ParseInt64(text)) {
      out = flow::Value::Int(*v);
      return true;
    }
    // Beyond int64: a double, never a wrapped integer.
  }
  if (const std::optional<double> d = ParseDouble(text)) {
    out = flow::Value::Double(*d);
    return true;
  }
  // A number by JSON's grammar fails only out of range: from_chars reports both ends of the
  // range alike, while strtod returns 0 for an underflow (nonzero subnormals come back without
  // error).
  if (Underflows(text.substr(minus ? 1 : 0), int_digits)) {
    out = flow::Value::Double(minus ? -0.0 : 0.0);
    return true;
  }
  return false;
}

// The value of `text`, a number by JSON's grammar, that starts with '-' when `minus`, has
// `int_digits` digits before '.', 'e', 'E' or its end, and is `integral` when it has neither a
// fraction nor an exponent. An integer that fits int64 is kInt ("-0" excepted: the double -0.0,
// as strtod reads it, keeps the sign); anything else is kDouble, the correctly rounded double
// (std::from_chars, as strtod in the C locale), an underflow included (0, -0.0). Returns false
// when the number is beyond double range (rounds to infinity). Inline: it runs for every number
// of the fast path, where a call is a measurable share of the work.
inline bool NumberValue(std::string_view text, bool minus, std::size_t int_digits, bool integral,
                        flow::Value& out) {
  if (integral && int_digits <= 18) {
    out = SmallInteger(text.data() + (minus ? 1 : 0), int_digits, minus);
    return true;
  }
  if (!integral) {
    if (double d = 0; ExactSmallDecimal(text, minus, d)) {
      out = flow::Value::Double(d);
      return true;
    }
    if (const std::optional<double> d = ParseDouble(text)) {
      out = flow::Value::Double(*d);
      return true;
    }
  }
  return UncommonNumberValue(text, minus, int_digits, integral, out);
}

// The reader keeps its scratch stack (it unescapes every string there) between lines, so a line
// costs no allocation; after a huge string the stack is dropped rather than kept for the thread's
// lifetime.
constexpr std::size_t kMaxKeptStringBytes = std::size_t{1} << 20;

class Handler {
 public:
  // `has_escape`: the line holds a backslash.
  Handler(std::string_view line, bool has_escape, const LineStream& stream, flow::Arena& arena,
          flow::FieldList& fields)
      : line_(line), stream_(stream), arena_(arena), fields_(fields), has_escape_(has_escape) {}

  const char* error() const { return error_; }
  std::size_t longest_string() const { return longest_string_; }

  bool Null() { return AddScalar(Value::Null()); }
  bool Bool(bool b) { return AddScalar(Value::Bool(b)); }
  // With kParseNumbersAsStringsFlag every number comes to RawNumber as its text; the reader
  // still needs the typed callbacks to compile.
  bool Int(int) { return Fail("not valid JSON"); }
  bool Uint(unsigned) { return Fail("not valid JSON"); }
  bool Int64(int64_t) { return Fail("not valid JSON"); }
  bool Uint64(uint64_t) { return Fail("not valid JSON"); }
  bool Double(double) { return Fail("not valid JSON"); }
  // `s`: the number's text as RapidJSON checked it (JSON's grammar), copied to its stack. A
  // nested number is converted too, for its range only: a line holds no number beyond double
  // range, wherever it stands.
  bool RawNumber(const char* s, rapidjson::SizeType n, bool) {
    if (n > longest_string_) longest_string_ = n;  // the copy grew the reader's stack as much
    if (depth_ == 0) return Fail("not a JSON object");
    const bool minus = s[0] == '-';
    std::size_t int_end = minus ? 1 : 0;
    while (int_end < n && internal::IsDigit(s[int_end])) ++int_end;
    Value value;
    if (!NumberValue({s, n}, minus, int_end - (minus ? 1 : 0), int_end == n, value)) {
      return Fail(kOutOfRange);
    }
    return AddScalar(value);
  }

  bool String(const char* s, rapidjson::SizeType n, bool) {
    if (!CheckString(s, n)) return false;
    if (depth_ != 1) return depth_ > 1 || Fail("not a JSON object");
    fields_.push_back({key_, Value::String(Text(s, n))});
    return true;
  }
  bool Key(const char* s, rapidjson::SizeType n, bool) {
    if (!CheckString(s, n)) return false;
    if (depth_ == 1) key_ = Text(s, n);
    return true;
  }

  bool StartObject() { return Open(); }
  bool StartArray() { return depth_ == 0 ? Fail("not a JSON object") : Open(); }
  bool EndObject(rapidjson::SizeType) { return Close(); }
  bool EndArray(rapidjson::SizeType) { return Close(); }

 private:
  bool Fail(const char* reason) {
    error_ = reason;
    return false;
  }

  bool AddScalar(Value value) {
    if (depth_ == 1) {
      fields_.push_back({key_, value});
      return true;
    }
    return depth_ > 1 || Fail("not a JSON object");
  }

  // The iterative reader calls StartObject/StartArray before it takes the '{' or '[' and
  // EndObject/EndArray before it takes the '}' or ']', so Tell() is the bracket's own offset.
  bool Open() {
    if (depth_ == kMaxJsonDepth) return Fail("JSON nested too deeply");
    if (depth_ == 1) nested_start_ = stream_.Tell();
    ++depth_;
    return true;
  }
  bool Close() {
    --depth_;
    if (depth_ == 1) {
      const std::size_t end = stream_.Tell() + 1;
      assert(line_[nested_start_] == '{' || line_[nested_start_] == '[');
      assert(line_[end - 1] == '}' || line_[end - 1] == ']');
      fields_.push_back({key_, Value::RawJson(line_.substr(nested_start_, end - nested_start_))});
    }
    return true;
  }

  // The line was validated as UTF-8, but RapidJSON turns a lone low-surrogate escape
  // ("\udc00") into the UTF-8 encoding of a surrogate (ED B0..BF xx). Raw input cannot hold such
  // a sequence (validation rejects ED A0..BF), so any ED A0..BF here came from an escape; a line
  // without a backslash (most of them) needs no look.
  bool CheckString(const char* s, std::size_t n) {
    if (n > longest_string_) longest_string_ = n;
    if (!has_escape_) return true;
    for (std::size_t i = 0; i + 1 < n; ++i) {
      if (s[i] == '\xed' && static_cast<unsigned char>(s[i + 1]) >= 0xa0) {
        return Fail("invalid \\u escape (lone surrogate)");
      }
    }
    return true;
  }

  // The unescaped string `s` (in the reader's scratch stack) as a lasting view. The handler runs
  // right after the closing quote was taken, so the source text ends at Tell() - 1. When those
  // source bytes equal the unescaped ones the view is into the line; otherwise the string goes to
  // the arena. In a line without a backslash (most of them) no string has an escape, so the source
  // bytes are the string; otherwise comparing bytes rather than guessing from lengths keeps this
  // exact whatever the escapes were.
  std::string_view Text(const char* s, std::size_t n) {
    const std::size_t end = stream_.Tell() - 1;
    assert(n < end);  // the opening quote is in the line too
    if (!has_escape_ || std::memcmp(line_.data() + end - n, s, n) == 0) {
      return line_.substr(end - n, n);
    }
    return arena_.Copy({s, n});
  }

  std::string_view line_;
  const LineStream& stream_;
  flow::Arena& arena_;
  flow::FieldList& fields_;
  const bool has_escape_;  // the line holds a backslash
  const char* error_ = nullptr;
  std::string_view key_;
  int depth_ = 0;  // 1 inside the top-level object
  std::size_t nested_start_ = 0;
  std::size_t longest_string_ = 0;
};

// The fast path for the common line: an object whose strings hold no escape (the caller checked
// that the line has no backslash) and no control character, and whose numbers convert exactly.
// It declines (returns false; `fields` is then cleared and the line goes to RapidJSON) at
// anything else: an error, an escape, a number beyond double range or that RapidJSON's grammar
// might refuse, deep nesting. So it only has to be right about the lines it accepts, and for those
// it gives what the Handler above gives: views into the line, numbers through NumberValue, kRawJson
// with the exact text of a nested value. It exists because RapidJSON copies every string into its
// stack first, a large share of a run over JSON logs.
class FastJson {
 public:
  FastJson(std::string_view line, flow::FieldList& fields)
      : p_(line.data()), end_(line.data() + line.size()), fields_(fields) {}

  bool Parse() {
    Ws();
    if (!Take('{')) return false;
    Ws();
    if (!Take('}')) {
      for (;;) {
        std::string_view key;
        if (!String(&key)) return false;
        Ws();
        if (!Take(':')) return false;
        Ws();
        if (!Member(key)) return false;
        Ws();
        if (Take('}')) break;
        if (!Take(',')) return false;
        Ws();
      }
    }
    Ws();
    return p_ == end_;
  }

 private:
  // Deeper values are left to RapidJSON (which enforces kMaxJsonDepth).
  static constexpr int kMaxDepth = 32;

  bool Take(char c) {
    if (p_ == end_ || *p_ != c) return false;
    ++p_;
    return true;
  }
  void Ws() {
    while (p_ != end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\n' || *p_ == '\r')) ++p_;
  }
  bool Literal(std::string_view word) {
    if (static_cast<std::size_t>(end_ - p_) < word.size() ||
        std::memcmp(p_, word.data(), word.size()) != 0) {
      return false;
    }
    p_ += word.size();
    return true;
  }

  // The first '"' or byte below 0x20 in [q, end), or end.
  static const char* FindQuoteOrControl(const char* q, const char* end) {
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i max_control = _mm_set1_epi8(0x1f);
    for (; end - q >= 16; q += 16) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(q));
      // max(v, 0x1f) == 0x1f exactly for the bytes 0x00..0x1f (unsigned).
      const __m128i stop = _mm_or_si128(_mm_cmpeq_epi8(v, quote),
                                        _mm_cmpeq_epi8(_mm_max_epu8(v, max_control), max_control));
      const auto mask = static_cast<unsigned>(_mm_movemask_epi8(stop));
      if (mask != 0) return q + __builtin_ctz(mask);
    }
#endif
    while (q != end && *q != '"' && static_cast<unsigned char>(*q) >= 0x20) ++q;
    return q;
  }

  // At '"': a string up to the next '"' with no byte below 0x20 on the way.
  bool String(std::string_view* out) {
    if (!Take('"')) return false;
    const char* const q = FindQuoteOrControl(p_, end_);
    if (q == end_ || *q != '"') return false;
    if (out != nullptr) *out = std::string_view(p_, static_cast<std::size_t>(q - p_));
    p_ = q + 1;
    return true;
  }

  // A number by JSON's grammar, converted by NumberValue as the Handler does. `out` null: only
  // checked, its range included (a nested value). Declines a number beyond double range (the
  // Handler gives the reason) and the ones RapidJSON's grammar refuses (kOutOfRange).
  bool Number(flow::Value* out) {
    const char* const start = p_;
    const bool minus = Take('-');
    const char* const digits = p_;
    if (Take('0')) {
    } else if (p_ != end_ && *p_ != '0' && internal::IsDigit(*p_)) {
      SkipDigits();
    } else {
      return false;
    }
    const std::size_t int_digits = static_cast<std::size_t>(p_ - digits);
    bool integral = true;
    if (Take('.')) {
      integral = false;
      if (!SkipDigits()) return false;
    }
    if (p_ != end_ && (*p_ == 'e' || *p_ == 'E')) {
      integral = false;
      ++p_;
      const bool negative = p_ != end_ && *p_ == '-';
      if (p_ != end_ && (*p_ == '+' || *p_ == '-')) ++p_;
      const char* exponent = p_;
      if (!SkipDigits()) return false;
      if (!negative) {  // RapidJSON refuses some exponents above 308, a zero's too ("0e400")
        while (*exponent == '0' && exponent + 1 != p_) ++exponent;
        if (p_ - exponent > 3 || (p_ - exponent == 3 && std::memcmp(exponent, "308", 3) > 0)) {
          return false;
        }
      }
    }
    if (integral && int_digits <= 18) {  // the common case first: it fits int64
      if (out != nullptr) *out = SmallInteger(digits, int_digits, minus);
      return true;
    }
    if (int_digits > 308) return false;  // RapidJSON refuses some from about 1.8e308 up
    flow::Value unused;
    return NumberValue(std::string_view(start, static_cast<std::size_t>(p_ - start)), minus,
                       int_digits, integral, out != nullptr ? *out : unused);
  }
  // Skips digits; false when there were none.
  bool SkipDigits() {
    const char* const first = p_;
    while (p_ != end_ && internal::IsDigit(*p_)) ++p_;
    return p_ != first;
  }

  // A top-level member's value, added to the fields. Inner below checks the same grammar
  // without a Value: one function for both, with a null `out`, is slower on JSON logs.
  bool Member(std::string_view key) {
    if (p_ == end_) return false;
    flow::Value value;
    switch (*p_) {
      case '"': {
        std::string_view text;
        if (!String(&text)) return false;
        value = flow::Value::String(text);
        break;
      }
      case '{':
      case '[': {
        const char* const open = p_;
        if (!Nested(2)) return false;
        value = flow::Value::RawJson(std::string_view(open, static_cast<std::size_t>(p_ - open)));
        break;
      }
      case 't':
        if (!Literal("true")) return false;
        value = flow::Value::Bool(true);
        break;
      case 'f':
        if (!Literal("false")) return false;
        value = flow::Value::Bool(false);
        break;
      case 'n':
        if (!Literal("null")) return false;
        break;
      default:
        if (!Number(&value)) return false;
    }
    fields_.push_back({key, value});
    return true;
  }

  // At '{' or '[' at nesting `depth` (the top-level object is 1): checks it through its closing
  // bracket.
  bool Nested(int depth) {
    if (depth > kMaxDepth) return false;
    const bool object = *p_ == '{';
    const char close = object ? '}' : ']';
    ++p_;
    Ws();
    if (Take(close)) return true;
    for (;;) {
      if (object) {
        if (!String(nullptr)) return false;
        Ws();
        if (!Take(':')) return false;
        Ws();
      }
      if (!Inner(depth)) return false;
      Ws();
      if (Take(close)) return true;
      if (!Take(',')) return false;
      Ws();
    }
  }
  bool Inner(int depth) {
    if (p_ == end_) return false;
    switch (*p_) {
      case '"':
        return String(nullptr);
      case '{':
      case '[':
        return Nested(depth + 1);
      case 't':
        return Literal("true");
      case 'f':
        return Literal("false");
      case 'n':
        return Literal("null");
      default:
        return Number(nullptr);
    }
  }

  const char* p_;
  const char* const end_;
  flow::FieldList& fields_;
};

const char* Reason(rapidjson::ParseErrorCode code, std::string_view line) {
  switch (code) {
    case rapidjson::kParseErrorDocumentEmpty:  // also what the iterative reader says to "}"
      return line.find_first_not_of(" \t\r\n") == std::string_view::npos ? "empty line"
                                                                         : "not valid JSON";
    case rapidjson::kParseErrorDocumentRootNotSingular:
      return "characters after the JSON object";
    case rapidjson::kParseErrorStringUnicodeEscapeInvalidHex:
    case rapidjson::kParseErrorStringUnicodeSurrogateInvalid:
      return "invalid \\u escape";
    case rapidjson::kParseErrorNumberTooBig:
      return "number out of range";
    default:
      return "not valid JSON";
  }
}

bool HasBackslash(std::string_view line) {
  return std::memchr(line.data(), '\\', line.size()) != nullptr;
}

// The checks both paths make first; false: out.error says why.
bool CheckLine(std::string_view line, flow::Record& out) {
  out.raw = line;
  out.fields.clear();
  out.error = {};
  if (line.size() >= std::numeric_limits<rapidjson::SizeType>::max()) {
    out.error = "line too long for the JSON parser";
    return false;
  }
  if (!IsValidUtf8(line)) {
    out.error = "invalid UTF-8";
    return false;
  }
  return true;
}

// `has_escape`: the line holds a backslash.
bool ParseWithRapidJson(std::string_view line, bool has_escape, flow::Record& out,
                        flow::Arena& arena) {
  thread_local std::optional<Reader> reader;
  if (!reader) reader.emplace();

  LineStream stream(line.data(), line.size());
  Handler handler(line, has_escape, stream, arena, out.fields);
  const rapidjson::ParseResult result = reader->Parse<kParseFlags>(stream, handler);
  if (handler.longest_string() > kMaxKeptStringBytes) reader.reset();

  const char* error = nullptr;
  if (result.IsError()) {
    error = handler.error() != nullptr ? handler.error() : Reason(result.Code(), line);
  } else if (stream.Tell() != line.size()) {
    error = "characters after the JSON object";  // a NUL byte, which the reader took for the end
  }
  if (error != nullptr) {
    out.fields.clear();
    out.error = error;
    return false;
  }
  return true;
}

}  // namespace

bool ParseJsonLine(std::string_view line, flow::Record& out, flow::Arena& arena) {
  if (!CheckLine(line, out)) return false;
  const bool has_escape = HasBackslash(line);
  if (!has_escape) {
    if (FastJson(line, out.fields).Parse()) return true;
    out.fields.clear();
  }
  return ParseWithRapidJson(line, has_escape, out, arena);
}

namespace internal {

bool ParseJsonLineWithRapidJson(std::string_view line, flow::Record& out, flow::Arena& arena) {
  return CheckLine(line, out) && ParseWithRapidJson(line, HasBackslash(line), out, arena);
}

}  // namespace internal
}  // namespace ringflow::stages
