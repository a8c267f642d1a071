// ParseStage: the transform that parses every record's raw line into typed fields with one of
// the line parsers (access, json, syslog, logfmt, raw). Field values are views into the line or
// into the batch's arena, so they live as long as the batch. Immutable after construction:
// Process may run concurrently on different batches.
#pragma once

#include <string_view>

#include "framework/core/result.h"
#include "framework/flow/stage.h"

namespace ringflow::stages {

enum class LogFormat { kAccess, kJson, kSyslog, kLogfmt, kRaw };

// "access", "json", "syslog", "logfmt" or "raw" (exact, lower case). Any other name is
// kInvalidArgument: `unknown format "x"; known: access, json, syslog, logfmt, raw`.
Result<LogFormat> ParseLogFormat(std::string_view name);

// The name ParseLogFormat accepts for `format`.
std::string_view LogFormatName(LogFormat format);

class ParseStage final : public flow::TransformStage {
 public:
  // `syslog_year` is the year given to RFC 3164 timestamps (which have none); it is used only
  // by kSyslog. REQUIRES: 1 <= syslog_year <= 9999 (else every BSD syslog line fails in-band).
  ParseStage(LogFormat format, int syslog_year);

  // Replaces every record's fields with what the parser finds in its raw text. A line that does
  // not parse keeps raw, gets no fields and carries the parser's reason in Record::error; a
  // record that already carries an error (from an earlier stage) is left as it is. Record::raw
  // and Record::truncated are kept either way.
  void Process(flow::RecordBatch& batch) const override;

  LogFormat format() const { return format_; }

 private:
  const LogFormat format_;
  const int syslog_year_;
};

}  // namespace ringflow::stages
