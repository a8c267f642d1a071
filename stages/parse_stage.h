// ParseStage: the transform that parses every record's raw line into typed fields with one of
// the line parsers (access, json, syslog, logfmt, regex, raw). Field values are views into the
// line or into the batch's arena, so they live as long as the batch; with regex, field names
// point into the stage's RegexParser, so the stage must outlive the batches it parsed.
// Immutable after construction: Process may run concurrently on different batches.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "framework/core/result.h"
#include "framework/flow/stage.h"
#include "framework/run/registry.h"
#include "stages/parse_regex.h"

namespace ringflow::stages {

// kAuto is no name of its own: a parse stage without "format" detects it (DetectLogFormat).
enum class LogFormat { kAccess, kJson, kSyslog, kLogfmt, kRegex, kRaw, kAuto };

// "access", "json", "syslog", "logfmt", "regex" or "raw" (exact, lower case). Any other name is
// kInvalidArgument: `unknown format "x"; known: access, json, syslog, logfmt, regex, raw`.
Result<LogFormat> ParseLogFormat(std::string_view name);

// The name ParseLogFormat accepts for `format` ("auto" for kAuto), in static storage (a
// RecordBatch::format_hint may hold it).
std::string_view LogFormatName(LogFormat format);

// The format most of the first 16 parseable lines of `lines` look like: json (starts with '{'),
// syslog ("<PRI>"), access (three words, then '['), logfmt (starts with key=); raw when none of
// these wins or there are no lines. A guess from the shape, not a parse: cheap, and the parser
// then reports the lines that do not fit as errors.
LogFormat DetectLogFormat(std::span<const flow::Record> lines);

// What ParseStage::Create needs: the format and what some formats take.
struct ParseOptions {
  LogFormat format = LogFormat::kRaw;
  // kAuto: each batch is parsed in the format its framer guessed for the file
  // (RecordBatch::format_hint, the name of a format DetectLogFormat answers, which LinesStage
  // sets from the file's first lines), or, without such a guess, as DetectLogFormat says of the
  // batch's own first lines.
  // kSyslog (and kAuto): the year given to RFC 3164 timestamps (which have none), 1 to 9999.
  int syslog_year = 1970;
  // kRegex (required, and only there): the RE2 pattern and the "group=type" items; see
  // RegexParser::Create.
  std::string pattern;
  std::vector<std::string> types;
};

class ParseStage final : public flow::TransformStage {
 public:
  // A stage for `options.format`. Errors (kInvalidArgument): kRegex without a pattern, a
  // pattern or types with another format, a syslog_year outside 1..9999 with kSyslog, and every
  // error of RegexParser::Create.
  static Result<std::unique_ptr<ParseStage>> Create(const ParseOptions& options);

  // `syslog_year` is the year given to RFC 3164 timestamps (which have none); it is used only
  // by kSyslog. REQUIRES: 1 <= syslog_year <= 9999 (else every BSD syslog line fails in-band).
  // kRegex needs a pattern, which this constructor has not: such a stage fails every line
  // in-band with "regex: no pattern" (use Create or the RegexParser constructor instead).
  ParseStage(LogFormat format, int syslog_year);

  // A kRegex stage that parses with `parser` (which it keeps, so record field names stay valid
  // as long as the stage lives).
  explicit ParseStage(RegexParser parser);

  // Replaces every record's fields with what the parser finds in its raw text. A line that does
  // not parse keeps raw, gets no fields and carries the parser's reason in Record::error; a
  // record that already carries an error (from an earlier stage) is left as it is. Record::raw
  // and Record::truncated are kept either way.
  void Process(flow::RecordBatch& batch) const override;

  LogFormat format() const { return format_; }

 private:
  const LogFormat format_;
  const int syslog_year_;
  const std::optional<RegexParser> regex_;  // set for kRegex when built with a parser
};

// Registers the "parse" transform (format absent: kAuto; year 0: the current year). Errors as
// run::StageRegistry::RegisterTransform.
Status RegisterParse(run::StageRegistry& registry);

}  // namespace ringflow::stages
