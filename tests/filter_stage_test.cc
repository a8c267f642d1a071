// Tests for the `filter` stage: every operator on every value type, numeric against text
// comparison, precedence, parentheses and not, missing fields, quoted names, _raw and _error,
// regular expressions, every error message with its column, the registry entry, and Process
// keeping the order of the records it keeps.
#include "stages/filter_stage.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tests/testing/test_util.h"

namespace ringflow::stages {
namespace {

using flow::Field;
using flow::Record;
using flow::Value;

// A parsed record: `fields` name static strings, so the record needs no batch.
Record Rec(std::vector<Field> fields, std::string_view raw = "line") {
  Record record;
  record.raw = raw;
  record.fields.assign(fields.begin(), fields.end());
  return record;
}

// A record that failed to parse.
Record Failed(std::string_view raw, std::string_view error) {
  Record record;
  record.raw = raw;
  record.error = error;
  return record;
}

// Whether `where` holds for `record`; a `where` that does not parse fails the test.
bool Holds(std::string_view where, const Record& record) {
  auto stage = FilterStage::Create(where);
  EXPECT_TRUE(stage.ok()) << where << ": " << (stage.ok() ? "" : stage.error().message());
  return stage.ok() && (*stage)->Matches(record);
}

// The error message of an expression that must not parse.
std::string ErrorOf(std::string_view where) {
  auto stage = FilterStage::Create(where);
  if (stage.ok()) return "(parsed)";
  EXPECT_EQ(stage.error().code(), ErrorCode::kInvalidArgument) << where;
  EXPECT_EQ(stage.error().message().find('\n'), std::string::npos) << where;
  return stage.error().message();
}

const Record& Access() {
  static const Record record = Rec({{"method", Value::String("GET")},
                                    {"path", Value::String("/api/users.json")},
                                    {"status", Value::Int(200)},
                                    {"bytes", Value::Int(5120)},
                                    {"latency", Value::Double(0.25)},
                                    {"ratio", Value::Double(2.0)},
                                    {"delta", Value::Int(-3)},
                                    {"cached", Value::Bool(false)},
                                    {"tls", Value::Bool(true)},
                                    {"referer", Value::Null()},
                                    {"empty", Value::String("")},
                                    {"zero", Value::Int(0)},
                                    {"dzero", Value::Double(0.0)},
                                    {"szero", Value::String("0")},
                                    {"tags", Value::RawJson("[\"a\",\"b\"]")}},
                                   "GET /api/users.json 200");
  return record;
}

TEST(FilterStageTest, EqualityOnIntegers) {
  const Record& r = Access();
  EXPECT_TRUE(Holds("status == 200", r));
  EXPECT_FALSE(Holds("status == 404", r));
  EXPECT_TRUE(Holds("status != 404", r));
  EXPECT_FALSE(Holds("status != 200", r));
  EXPECT_TRUE(Holds("status==200", r));  // no blanks needed
  EXPECT_TRUE(Holds("delta == -3", r));
  EXPECT_TRUE(Holds("zero == 0", r));
}

TEST(FilterStageTest, OrderingOperatorsOnBoundaries) {
  const Record& r = Access();
  EXPECT_TRUE(Holds("status < 201", r));
  EXPECT_FALSE(Holds("status < 200", r));
  EXPECT_TRUE(Holds("status <= 200", r));
  EXPECT_FALSE(Holds("status <= 199", r));
  EXPECT_TRUE(Holds("status > 199", r));
  EXPECT_FALSE(Holds("status > 200", r));
  EXPECT_TRUE(Holds("status >= 200", r));
  EXPECT_FALSE(Holds("status >= 201", r));
  EXPECT_TRUE(Holds("delta < -2", r));
  EXPECT_FALSE(Holds("delta < -3", r));
}

TEST(FilterStageTest, DoublesAndMixedNumbers) {
  const Record& r = Access();
  EXPECT_TRUE(Holds("latency == 0.25", r));
  EXPECT_TRUE(Holds("latency > 0.2", r));
  EXPECT_FALSE(Holds("latency >= 0.3", r));
  EXPECT_TRUE(Holds("latency < 1", r));      // double field, integer literal
  EXPECT_TRUE(Holds("status == 200.0", r));  // integer field, decimal literal
  EXPECT_TRUE(Holds("status < 200.5", r));
  EXPECT_TRUE(Holds("ratio == 2", r));
  EXPECT_TRUE(Holds("latency == 2.5e-1", r));
  EXPECT_TRUE(Holds("bytes == 5.12E3", r));
  EXPECT_TRUE(Holds("dzero == 0", r));
}

TEST(FilterStageTest, Int64LimitsAndHugeLiterals) {
  const Record r = Rec({{"max", Value::Int(INT64_MAX)}, {"min", Value::Int(INT64_MIN)}});
  EXPECT_TRUE(Holds("max == 9223372036854775807", r));
  EXPECT_TRUE(Holds("max > 9223372036854775806", r));  // exact, not through double
  EXPECT_TRUE(Holds("min == -9223372036854775808", r));
  EXPECT_TRUE(Holds("min < -9223372036854775807", r));
  // Beyond int64: a double literal.
  EXPECT_TRUE(Holds("max < 99999999999999999999", r));
  EXPECT_TRUE(Holds("min > -99999999999999999999", r));
}

TEST(FilterStageTest, StringFieldsThatReadAsNumbersCompareAsNumbers) {
  // As logfmt gives status="500": a string.
  const Record r = Rec({{"status", Value::String("500")},
                        {"size", Value::String("10")},
                        {"padded", Value::String("007")},
                        {"frac", Value::String("1.10")},
                        {"neg", Value::String("-2.5e1")},
                        {"almost", Value::String("10 ")},
                        {"word", Value::String("abc")}});
  EXPECT_TRUE(Holds("status == 500", r));
  EXPECT_TRUE(Holds("status >= 500", r));
  EXPECT_TRUE(Holds("status == 500.0", r));
  EXPECT_TRUE(Holds("size > 9", r));  // as text "10" < "9"
  EXPECT_TRUE(Holds("padded == 7", r));
  EXPECT_TRUE(Holds("frac == 1.1", r));  // as text "1.10" != "1.1"
  EXPECT_TRUE(Holds("frac < 1.9", r));
  EXPECT_TRUE(Holds("neg == -25", r));
  // Not wholly a number: compared as text with the literal as written.
  EXPECT_FALSE(Holds("almost == 10", r));
  EXPECT_TRUE(Holds("almost > 10", r));  // "10 " > "10"
  EXPECT_TRUE(Holds("word > 5", r));     // 'a' > '5'
  EXPECT_FALSE(Holds("word == 5", r));
  EXPECT_TRUE(Holds("word != 5", r));
  // A string literal is always text, even when it looks like a number.
  EXPECT_TRUE(Holds("size < \"9\"", r));
  EXPECT_FALSE(Holds("padded == \"7\"", r));
}

TEST(FilterStageTest, TypedNumbersAgainstStringLiteralsCompareDecimalText) {
  const Record& r = Access();
  EXPECT_TRUE(Holds("status == \"200\"", r));
  EXPECT_FALSE(Holds("status == \"200.0\"", r));
  EXPECT_TRUE(Holds("status < \"3\"", r));    // "200" < "3" as text
  EXPECT_TRUE(Holds("ratio == \"2.0\"", r));  // as the JSON sink writes 2.0
  EXPECT_TRUE(Holds("latency == \"0.25\"", r));
  EXPECT_TRUE(Holds("delta == \"-3\"", r));
  EXPECT_TRUE(Holds("status startswith \"2\"", r));
  EXPECT_TRUE(Holds("bytes contains \"12\"", r));
  EXPECT_TRUE(Holds("bytes endswith 20", r));  // a numeric literal as written
  EXPECT_TRUE(Holds("status matches \"^2\\d\\d$\"", r));
  EXPECT_FALSE(Holds("status matches \"^5\"", r));
}

TEST(FilterStageTest, StringsCompareBytewise) {
  const Record r = Rec({{"method", Value::String("GET")},
                        {"lower", Value::String("abc")},
                        {"accent", Value::String("\xc3\xa9t\xc3\xa9")}});
  EXPECT_TRUE(Holds("method == \"GET\"", r));
  EXPECT_FALSE(Holds("method == \"get\"", r));
  EXPECT_TRUE(Holds("method != \"POST\"", r));
  EXPECT_TRUE(Holds("method < \"a\"", r));  // upper case sorts first
  EXPECT_TRUE(Holds("lower > \"ab\"", r));
  EXPECT_TRUE(Holds("lower >= \"abc\"", r));
  EXPECT_TRUE(Holds("lower <= \"abc\"", r));
  EXPECT_FALSE(Holds("lower < \"abc\"", r));
  EXPECT_TRUE(Holds("accent > \"zzz\"", r));  // bytes >= 0x80 after ASCII: unsigned
  EXPECT_TRUE(Holds("accent == '\xc3\xa9t\xc3\xa9'", r));
}

TEST(FilterStageTest, ContainsStartsWithEndsWith) {
  const Record& r = Access();
  EXPECT_TRUE(Holds("path contains \"users\"", r));
  EXPECT_FALSE(Holds("path contains \"Users\"", r));
  EXPECT_TRUE(Holds("path contains \"\"", r));
  EXPECT_TRUE(Holds("path startswith \"/api/\"", r));
  EXPECT_FALSE(Holds("path startswith \"api\"", r));
  EXPECT_TRUE(Holds("path endswith \".json\"", r));
  EXPECT_FALSE(Holds("path endswith \".xml\"", r));
  EXPECT_TRUE(Holds("tls contains \"ru\"", r));     // booleans read "true" / "false"
  EXPECT_TRUE(Holds("tags contains '\"b\"'", r));   // raw JSON: its text
  EXPECT_FALSE(Holds("referer contains \"\"", r));  // null has no text
}

TEST(FilterStageTest, MatchesIsAnRe2PartialMatchCompiledOnce) {
  const Record& r = Access();
  EXPECT_TRUE(Holds("path matches \"users\"", r));  // unanchored
  EXPECT_FALSE(Holds("path matches \"^users\"", r));
  EXPECT_TRUE(Holds("path matches \"^/api/[a-z]+\\.json$\"", r));
  EXPECT_TRUE(Holds("path matches '(?i)USERS'", r));
  EXPECT_FALSE(Holds("path matches 'USERS'", r));
  EXPECT_TRUE(Holds("path matches \"/\\w+/\"", r));      // \w kept: no doubling needed
  EXPECT_TRUE(Holds("path matches \"\\\\.json$\"", r));  // \\ in the expression: one backslash
  EXPECT_TRUE(Holds("method matches \"^(GET|HEAD)$\"", r));
  EXPECT_TRUE(Holds("latency matches \"^0\\.25$\"", r));

  ASSERT_OK_AND_ASSIGN(auto stage, FilterStage::Create("path matches \"[0-9]{3}\""));
  for (int i = 0; i < 3; ++i) {  // the same compiled pattern every time
    EXPECT_TRUE(stage->Matches(Rec({{"path", Value::String("/a/404")}})));
    EXPECT_FALSE(stage->Matches(Rec({{"path", Value::String("/a/40")}})));
  }
}

TEST(FilterStageTest, BareFieldIsPresentAndTruthy) {
  const Record& r = Access();
  EXPECT_TRUE(Holds("method", r));
  EXPECT_TRUE(Holds("status", r));
  EXPECT_TRUE(Holds("tls", r));
  EXPECT_TRUE(Holds("latency", r));
  EXPECT_TRUE(Holds("tags", r));
  EXPECT_TRUE(Holds("szero", r));  // the string "0" is not empty
  EXPECT_FALSE(Holds("cached", r));
  EXPECT_FALSE(Holds("referer", r));
  EXPECT_FALSE(Holds("empty", r));
  EXPECT_FALSE(Holds("zero", r));
  EXPECT_FALSE(Holds("dzero", r));
  EXPECT_FALSE(Holds("missing", r));
  EXPECT_TRUE(Holds("not missing", r));
}

TEST(FilterStageTest, NullAndBooleans) {
  const Record& r = Access();
  EXPECT_TRUE(Holds("referer == null", r));
  EXPECT_FALSE(Holds("referer != null", r));
  EXPECT_TRUE(Holds("method != null", r));
  EXPECT_FALSE(Holds("missing == null", r));  // missing is not null
  EXPECT_FALSE(Holds("missing != null", r));
  EXPECT_FALSE(Holds("referer == 5", r));
  EXPECT_TRUE(Holds("referer != 5", r));
  EXPECT_FALSE(Holds("referer == \"\"", r));
  EXPECT_FALSE(Holds("referer < 5", r));
  EXPECT_FALSE(Holds("referer >= \"\"", r));
  EXPECT_FALSE(Holds("referer matches \"\"", r));
  EXPECT_TRUE(Holds("tls == true", r));
  EXPECT_FALSE(Holds("tls == false", r));
  EXPECT_TRUE(Holds("cached == false", r));
  EXPECT_TRUE(Holds("cached != true", r));
  EXPECT_FALSE(Holds("zero == false", r));  // 0 is a number, not false
  // A string "true" reads the same as the boolean.
  EXPECT_TRUE(Holds("flag == true", Rec({{"flag", Value::String("true")}})));
}

TEST(FilterStageTest, AConditionOnAMissingFieldIsFalse) {
  const Record& r = Access();
  for (const char* where :
       {"nope == 1", "nope != 1", "nope < 1", "nope <= 1", "nope > 1", "nope >= 1", "nope == \"\"",
        "nope != \"x\"", "nope contains \"\"", "nope startswith \"\"", "nope endswith \"\"",
        "nope matches \"\"", "nope == true", "nope != false", "nope"}) {
    EXPECT_FALSE(Holds(where, r)) << where;
  }
  EXPECT_TRUE(Holds("not nope == 200", r));
  EXPECT_TRUE(Holds("not status == 200", Rec({{"level", Value::String("info")}})));
  EXPECT_FALSE(Holds("not status == 200", r));
}

TEST(FilterStageTest, DuplicateFieldsUseTheFirst) {
  const Record r = Rec({{"k", Value::Int(1)}, {"k", Value::Int(2)}});
  EXPECT_TRUE(Holds("k == 1", r));
  EXPECT_FALSE(Holds("k == 2", r));
}

TEST(FilterStageTest, AndBindsTighterThanOr) {
  const Record r = Rec({{"t", Value::Bool(true)}, {"f", Value::Bool(false)}});
  // t or (f and f): true; (t or f) and f would be false.
  EXPECT_TRUE(Holds("t or f and f", r));
  EXPECT_TRUE(Holds("t || f && f", r));
  // (f and f) or t
  EXPECT_TRUE(Holds("f and f or t", r));
  EXPECT_FALSE(Holds("f and t or f", r));
  EXPECT_TRUE(Holds("f or f or f or t", r));
  EXPECT_FALSE(Holds("t and t and t and f", r));
  EXPECT_TRUE(Holds("t and t and t and t", r));
}

TEST(FilterStageTest, ParenthesesGroup) {
  const Record r = Rec({{"t", Value::Bool(true)}, {"f", Value::Bool(false)}});
  EXPECT_FALSE(Holds("(t or f) and f", r));
  EXPECT_TRUE(Holds("(f and f) or t", r));
  EXPECT_TRUE(Holds("f or (t and (f or t))", r));
  EXPECT_FALSE(Holds("f or (t and (f or f))", r));
  EXPECT_TRUE(Holds("((((t))))", r));
  EXPECT_TRUE(Holds(" ( t ) ", r));
}

TEST(FilterStageTest, NotAppliesToTheNextOperand) {
  const Record r = Rec({{"t", Value::Bool(true)}, {"f", Value::Bool(false)}, {"n", Value::Int(1)}});
  EXPECT_TRUE(Holds("not f", r));
  EXPECT_TRUE(Holds("!f", r));
  EXPECT_FALSE(Holds("! t", r));
  EXPECT_TRUE(Holds("not not t", r));
  EXPECT_TRUE(Holds("!!t", r));
  EXPECT_TRUE(Holds("not(t and f)", r));
  EXPECT_FALSE(Holds("not n == 1", r));  // not (n == 1)
  EXPECT_TRUE(Holds("not n == 2", r));
  EXPECT_TRUE(Holds("not f and t", r));  // (not f) and t
  EXPECT_FALSE(Holds("not t or f", r));  // (not t) or f
  EXPECT_FALSE(Holds("!(n != 2)", r));
}

TEST(FilterStageTest, KeywordsIgnoreCase) {
  const Record& r = Access();
  EXPECT_TRUE(Holds("status == 200 AND method == \"GET\"", r));
  EXPECT_TRUE(Holds("status == 1 Or method == \"GET\"", r));
  EXPECT_TRUE(Holds("NOT status == 1", r));
  EXPECT_TRUE(Holds("path CONTAINS \"api\"", r));
  EXPECT_TRUE(Holds("path StartsWith \"/\"", r));
  EXPECT_TRUE(Holds("path ENDSWITH \"n\"", r));
  EXPECT_TRUE(Holds("path Matches \"a\"", r));
  EXPECT_TRUE(Holds("tls == TRUE and cached == False and referer == NULL", r));
  // Words that only begin like keywords are field names.
  const Record names =
      Rec({{"order", Value::Int(1)}, {"android", Value::Int(2)}, {"notes", Value::Int(3)}});
  EXPECT_TRUE(Holds("order == 1 and android == 2 and notes == 3", names));
}

TEST(FilterStageTest, FieldNamesPlainAndQuoted) {
  const Record r = Rec({{"@timestamp", Value::String("2024")},
                        {"http.status", Value::Int(503)},
                        {"x-request-id", Value::String("abc")},
                        {"_private", Value::Int(1)},
                        {"user agent", Value::String("curl/8.0")},
                        {"and", Value::Int(7)},
                        {"a\"b", Value::Int(9)},
                        {"caf\xc3\xa9", Value::Int(4)},
                        {"-x", Value::Int(5)}});
  EXPECT_TRUE(Holds("@timestamp == \"2024\"", r));
  EXPECT_TRUE(Holds("http.status >= 500", r));
  EXPECT_TRUE(Holds("x-request-id == \"abc\"", r));
  EXPECT_TRUE(Holds("_private", r));
  EXPECT_TRUE(Holds("\"user agent\" startswith \"curl/\"", r));
  EXPECT_TRUE(Holds("\"and\" == 7", r));
  EXPECT_TRUE(Holds("\"a\\\"b\" == 9", r));
  EXPECT_TRUE(Holds("\"http.status\" == 503", r));
  EXPECT_TRUE(Holds("caf\xc3\xa9 == 4", r));
  EXPECT_TRUE(Holds("-x == 5", r));  // where a field is expected, -x is a name
}

TEST(FilterStageTest, StringLiteralEscapes) {
  const Record r = Rec({{"q", Value::String("say \"hi\"")},
                        {"s", Value::String("it's")},
                        {"b", Value::String("a\\b")}});
  EXPECT_TRUE(Holds("q == \"say \\\"hi\\\"\"", r));
  EXPECT_TRUE(Holds("q == 'say \"hi\"'", r));
  EXPECT_TRUE(Holds("s == \"it's\"", r));
  EXPECT_TRUE(Holds("s == 'it\\'s'", r));
  EXPECT_TRUE(Holds("b == \"a\\\\b\"", r));  // \\ is one backslash
  EXPECT_TRUE(Holds("b == \"a\\b\"", r));    // an unknown escape keeps its backslash
}

TEST(FilterStageTest, RawAndErrorOnParsedRecords) {
  const Record& r = Access();
  EXPECT_TRUE(Holds("_raw startswith \"GET \"", r));
  EXPECT_TRUE(Holds("_raw contains \"200\"", r));
  EXPECT_TRUE(Holds("_raw", r));
  EXPECT_FALSE(Holds("_error", r));
  EXPECT_TRUE(Holds("_error == \"\"", r));
  EXPECT_TRUE(Holds("not _error", r));
  EXPECT_TRUE(Holds("\"_raw\" endswith \"200\"", r));  // quoted: still the line
  // A field called _raw is shadowed by the line.
  EXPECT_FALSE(Holds("_raw == \"field\"", Rec({{"_raw", Value::String("field")}}, "the line")));
}

TEST(FilterStageTest, FailedRecordsHaveOnlyRawAndError) {
  Record failed = Failed("GET /x \"unterminated", "unterminated quote");
  EXPECT_TRUE(Holds("_error", failed));
  EXPECT_TRUE(Holds("_error == \"unterminated quote\"", failed));
  EXPECT_TRUE(Holds("_error contains \"quote\"", failed));
  EXPECT_TRUE(Holds("_raw startswith \"GET\"", failed));
  EXPECT_FALSE(Holds("status == 200", failed));
  EXPECT_TRUE(Holds("_error or status >= 500", failed));
  // Even with fields an earlier stage left behind, a failed record shows none.
  failed.fields.push_back({"status", Value::Int(500)});
  EXPECT_FALSE(Holds("status", failed));
  EXPECT_FALSE(Holds("status >= 500", failed));
  EXPECT_TRUE(Holds("not status == 500", failed));
}

TEST(FilterStageTest, LongChainsAndDeepNesting) {
  std::string chain = "n == 0";
  for (int i = 1; i < 5000; ++i) chain += " or n == " + std::to_string(i);
  EXPECT_TRUE(Holds(chain, Rec({{"n", Value::Int(4999)}})));
  EXPECT_FALSE(Holds(chain, Rec({{"n", Value::Int(5000)}})));

  const std::string deep = std::string(100, '(') + "t" + std::string(100, ')');
  EXPECT_TRUE(Holds(deep, Rec({{"t", Value::Bool(true)}})));
  const std::string nots = std::string(100, '!') + "t";
  EXPECT_TRUE(Holds(nots, Rec({{"t", Value::Bool(true)}})));
}

struct ErrorCase {
  const char* where;
  const char* message;
};

TEST(FilterStageTest, ErrorsNameTheColumn) {
  const ErrorCase cases[] = {
      {"status >=", "where: column 10: expected a value after \">=\""},
      {"status >=   ", "where: column 13: expected a value after \">=\""},
      {"status >= abc", "where: column 11: expected a value after \">=\", found \"abc\""},
      {"path contains", "where: column 14: expected a value after \"contains\""},
      {"", "where: column 1: empty expression"},
      {"   ", "where: column 4: empty expression"},
      {"status == 200 and", "where: column 18: expected a field name, \"not\" or \"(\""},
      {"status == 200 or )",
       "where: column 18: expected a field name, \"not\" or \"(\", found \")\""},
      {"a and or b", "where: column 7: expected a field name, \"not\" or \"(\", found \"or\""},
      {"5 == x", "where: column 1: expected a field name, \"not\" or \"(\", found \"5\""},
      {"== 5", "where: column 1: expected a field name, \"not\" or \"(\", found \"=\""},
      {"not", "where: column 4: expected a field name, \"not\" or \"(\""},
      {"(status == 200", "where: column 15: expected \")\" to close the \"(\" at column 1"},
      {"a and (b or (c)", "where: column 16: expected \")\" to close the \"(\" at column 7"},
      {"(a b)", "where: column 4: unexpected \"b\""},
      {"status == 200)", "where: column 14: unmatched \")\""},
      {"status == 200 level", "where: column 15: unexpected \"level\""},
      {"a == 1 & b", "where: column 8: unexpected \"&\""},
      {"a == 1 | b", "where: column 8: unexpected \"|\""},
      {"a == 1 \x01", "where: column 8: unexpected \"\\x01\""},
      {"a \"b\"", "where: column 3: unexpected \"\\\"\""},
      {"status = 200", "where: column 8: \"=\" is not an operator; use \"==\""},
      {"msg == \"abc", "where: column 8: unterminated string"},
      {"msg == 'abc\\'", "where: column 8: unterminated string"},
      {"\"abc == 1", "where: column 1: unterminated string"},
      {"\"\" == 1", "where: column 1: empty field name"},
      {"x == 12abc", "where: column 6: bad number \"12abc\""},
      {"x == 1.", "where: column 6: bad number \"1.\""},
      {"x == 1.2.3", "where: column 6: bad number \"1.2.3\""},
      {"x == 1e", "where: column 6: bad number \"1e\""},
      {"x == 1e999", "where: column 6: bad number \"1e999\""},
      {"x == -", "where: column 6: expected a value after \"==\", found \"-\""},
      {"x == abc", "where: column 6: expected a value after \"==\", found \"abc\""},
      {"x < true", "where: column 5: expected a number or a string after \"<\""},
      {"x >= null", "where: column 6: expected a number or a string after \">=\""},
      {"x contains null", "where: column 12: expected a string after \"contains\""},
      {"x startswith false", "where: column 14: expected a string after \"startswith\""},
      {"x matches 5",
       "where: column 11: expected a string (a regular expression) after \"matches\""},
      {"x matches \"(a\"", "where: column 11: bad regular expression: missing ): (a"},
      {"x matches \"(\n\"", "where: column 11: bad regular expression: missing ): (\\x0a"},
      {"x == 1 and y MATCHES '[z'", "where: column 22: bad regular expression: missing ]: [z"},
  };
  for (const ErrorCase& c : cases) EXPECT_EQ(ErrorOf(c.where), c.message) << c.where;
}

TEST(FilterStageTest, NestingIsBounded) {
  const std::string parens = std::string(101, '(') + "t" + std::string(101, ')');
  EXPECT_EQ(ErrorOf(parens), "where: column 101: nested too deeply");
  const std::string nots = std::string(101, '!') + "t";
  EXPECT_EQ(ErrorOf(nots), "where: column 101: nested too deeply");
}

flow::RecordBatch StatusBatch(const std::vector<int64_t>& statuses) {
  // Raw lines "r0", "r1", ...: static strings so the records need no arena.
  static const char* const kRaw[] = {"r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7"};
  flow::RecordBatch batch;
  batch.seq = 42;
  batch.file_id = 7;
  for (std::size_t i = 0; i < statuses.size(); ++i) {
    batch.records.push_back(Rec({{"status", Value::Int(statuses[i])}}, kRaw[i]));
  }
  return batch;
}

std::vector<std::string> Raws(const flow::RecordBatch& batch) {
  std::vector<std::string> out;
  for (const Record& r : batch.records) out.emplace_back(r.raw);
  return out;
}

TEST(FilterStageTest, ProcessKeepsMatchingRecordsInOrder) {
  ASSERT_OK_AND_ASSIGN(auto stage, FilterStage::Create("status >= 500"));
  flow::RecordBatch batch = StatusBatch({200, 500, 404, 503, 200, 502, 301, 599});
  batch.records.push_back(Failed("r8", "bad line"));
  batch.end = true;
  stage->Process(batch);
  EXPECT_EQ(Raws(batch), (std::vector<std::string>{"r1", "r3", "r5", "r7"}));
  for (const Record& r : batch.records) EXPECT_GE(r.Find("status")->value.i, 500);
  EXPECT_EQ(batch.seq, 42u);
  EXPECT_EQ(batch.file_id, 7u);
  EXPECT_TRUE(batch.end);
}

TEST(FilterStageTest, ProcessKeepsFailedRecordsWhenAsked) {
  ASSERT_OK_AND_ASSIGN(auto stage, FilterStage::Create("_error || status >= 500"));
  flow::RecordBatch batch = StatusBatch({200, 500});
  batch.records.insert(batch.records.begin() + 1, Failed("bad", "no status"));
  stage->Process(batch);
  EXPECT_EQ(Raws(batch), (std::vector<std::string>{"bad", "r1"}));
}

TEST(FilterStageTest, ProcessAllOrNothing) {
  ASSERT_OK_AND_ASSIGN(auto all, FilterStage::Create("status"));
  flow::RecordBatch batch = StatusBatch({1, 2, 3});
  all->Process(batch);
  EXPECT_EQ(Raws(batch), (std::vector<std::string>{"r0", "r1", "r2"}));

  ASSERT_OK_AND_ASSIGN(auto none, FilterStage::Create("status > 3"));
  none->Process(batch);
  EXPECT_TRUE(batch.records.empty());
  none->Process(batch);  // an empty batch stays empty
  EXPECT_TRUE(batch.records.empty());
}

TEST(FilterStageTest, CreateKeepsTheExpressionText) {
  ASSERT_OK_AND_ASSIGN(auto stage, FilterStage::Create(" status == 1 "));
  EXPECT_EQ(stage->where(), " status == 1 ");
}

TEST(FilterStageTest, SpecDescribesTheWhereParam) {
  const config::TypeSpec spec = FilterSpec();
  EXPECT_EQ(spec.type, "filter");
  EXPECT_TRUE(spec.takes_input);
  EXPECT_FALSE(spec.multiple_inputs);
  ASSERT_EQ(spec.params.size(), 1u);
  EXPECT_EQ(spec.params[0].name, "where");
  EXPECT_EQ(spec.params[0].type, config::ParamType::kString);
  EXPECT_TRUE(spec.params[0].required);
  EXPECT_NE(spec.params[0].help.find("Example: "), std::string::npos);
  config::TypeCatalog catalog;
  ASSERT_OK(catalog.Add(FilterSpec()));
  EXPECT_NE(config::DescribeCatalog(catalog).find("where (string; required)"), std::string::npos);
}

TEST(FilterStageTest, MakeFromConfig) {
  config::StageConfig config;
  config.name = "errors";
  config.type = "filter";
  config.json_path = "stages[2]";
  config.params["where"] = std::string("status >= 500");
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<flow::TransformStage> stage, MakeFilterStage(config));
  flow::RecordBatch batch = StatusBatch({500, 200});
  stage->Process(batch);
  EXPECT_EQ(Raws(batch), (std::vector<std::string>{"r0"}));

  config.params["where"] = std::string("status >=");
  auto bad = MakeFilterStage(config);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(bad.error().message(), "where: column 10: expected a value after \">=\"");

  config.params.erase("where");
  EXPECT_FALSE(MakeFilterStage(config).ok());
}

}  // namespace
}  // namespace ringflow::stages
