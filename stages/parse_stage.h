// ParseStage: the transform that parses every record's raw line into typed fields with one of
// the line parsers (one per LogFormat), or with the one detected for each file. Field values are
// views into the line or into the batch's arena, so they live as long as the batch; with regex,
// field names point into the stage's RegexParser, so the stage must outlive the batches it parsed.
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
#include "stages/grok.h"
#include "stages/log_time.h"
#include "stages/parse_regex.h"

namespace ringflow::stages {

// The formats a parse stage reads; kAuto (the default) detects one per file.
enum class LogFormat {
  kAccess,
  kJson,
  kSyslog,
  kLogfmt,
  kRegex,
  kRaw,
  kAuto,
  kApacheError,
  kNginxError,
  kApplog,
  kLogcat,
  kGlog,
  kCri,
  kDocker,
  kGrok,
};

// The name of a format, exact and lower case: "auto", "access", "apache_error", "nginx_error",
// "syslog", "applog", "logcat", "glog", "cri", "docker", "json", "logfmt", "grok", "regex", "raw".
// Any other name is kInvalidArgument: `unknown format "x"; known: auto, access, ...`.
Result<LogFormat> ParseLogFormat(std::string_view name);

// The name ParseLogFormat accepts for `format` ("auto" for kAuto), in static storage (a
// RecordBatch::format_hint may hold it).
std::string_view LogFormatName(LogFormat format);

// What format detection decided from a file's head lines.
struct Detection {
  // The first format, in order of specificity, under which at least 90% of the lines parse
  // (kDetectionShare); kRaw when none does, or when there are no lines.
  LogFormat format = LogFormat::kRaw;
  std::size_t lines = 0;   // lines looked at
  std::size_t parsed = 0;  // of them, lines that parse under `format` (all of them for kRaw)
  // When no format reached the share: the one under which most lines parsed (kRaw if none
  // parsed any) and how many.
  LogFormat best = LogFormat::kRaw;
  std::size_t best_parsed = 0;
};

// The share of a file's head lines that must parse under a format for detection to choose it.
inline constexpr double kDetectionShare = 0.9;

// The formats detection tries, most specific first: one that accepts only what it can parse
// comes before one that accepts more (raw, which accepts anything, is what is left).
std::span<const LogFormat> DetectionOrder();

// Detects the format of `lines` (a file's head: see flow::FileHead), parsing them under each
// format of DetectionOrder until one reaches kDetectionShare. Times that a line leaves
// incomplete are completed from `time`, as the parse stage would (an impossible date fails).
Detection DetectLogFormat(std::span<const std::string_view> lines, const TimeContext& time);

// What ParseStage::Create needs: the format and what some formats take.
struct ParseOptions {
  LogFormat format = LogFormat::kRaw;
  // How the parsers complete times (a year-less time's year, a zone-less time's offset).
  TimeContext time = TimeContext::Now();
  // kRegex (required, and only there): the RE2 pattern and the "group=type" items; see
  // RegexParser::Create. kGrok: the grok expression (required) and pattern definitions
  // ("NAME REGEX" items, which may use each other and the standard set); see GrokParser.
  std::string pattern;
  std::vector<std::string> types;
  std::vector<std::string> definitions;
};

class ParseStage final : public flow::TransformStage {
 public:
  // A stage for `options.format`. Errors (kInvalidArgument): kRegex without a pattern, a
  // pattern or types with another format, a fixed year outside 1..9999, and every error of
  // RegexParser::Create.
  static Result<std::unique_ptr<ParseStage>> Create(const ParseOptions& options);

  // A stage for `format` whose year-less times take `time`'s year rule (or fixed year). kRegex
  // needs a pattern, which this constructor has not: such a stage fails every line in-band
  // with "regex: no pattern" (use Create or the RegexParser constructor instead).
  ParseStage(LogFormat format, const TimeContext& time);
  // The same with a fixed year for year-less times. REQUIRES: 1 <= year <= 9999.
  ParseStage(LogFormat format, int year);

  // A kRegex stage that parses with `parser` (which it keeps, so record field names stay valid
  // as long as the stage lives).
  explicit ParseStage(RegexParser parser);
  // A kGrok stage that parses with `parser` (kept, as above).
  explicit ParseStage(GrokParser parser);

  // Replaces every record's fields with what the parser finds in its raw text. A line that does
  // not parse keeps raw, gets no fields and carries the parser's reason in Record::error; a
  // record that already carries an error (from an earlier stage) is left as it is. Record::raw
  // and Record::truncated are kept either way. Sets batch.format_hint to the format used.
  // kAuto: the format is DetectLogFormat's answer for the file's head (batch.head, or, without
  // one, this batch's own first lines, whose parses are then kept), so every batch of a file is
  // parsed one way; a file no format fits is read as raw, with batch.format_note saying which
  // format came closest when one parsed some of its head (none for plain text).
  void Process(flow::RecordBatch& batch) const override;

  LogFormat format() const { return format_; }

 private:
  friend Detection DetectLogFormat(std::span<const std::string_view>, const TimeContext&);
  // Calls f(parse) with the line parser of `format`, a callable (line, out, arena) -> bool.
  template <typename F>
  decltype(auto) WithParser(LogFormat format, F&& f) const;
  Detection Detect(std::span<const std::string_view> lines) const;

  const LogFormat format_;
  const TimeContext time_;
  const std::optional<RegexParser> regex_;  // set for kRegex when built with a parser
  const std::optional<GrokParser> grok_;    // set for kGrok
};

// Registers the "parse" transform (format absent: kAuto; year 0: the year rule). Errors as
// run::StageRegistry::RegisterTransform.
Status RegisterParse(run::StageRegistry& registry);

}  // namespace ringflow::stages
