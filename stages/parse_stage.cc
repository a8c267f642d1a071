#include "stages/parse_stage.h"

#include <string>

#include "stages/parse_access.h"
#include "stages/parse_json.h"
#include "stages/parse_logfmt.h"
#include "stages/parse_raw.h"
#include "stages/parse_syslog.h"

namespace ringflow::stages {
namespace {

struct FormatName {
  LogFormat format;
  std::string_view name;
};

constexpr FormatName kFormats[] = {
    {LogFormat::kAccess, "access"}, {LogFormat::kJson, "json"}, {LogFormat::kSyslog, "syslog"},
    {LogFormat::kLogfmt, "logfmt"}, {LogFormat::kRaw, "raw"},
};

// One loop per format rather than a switch per line.
template <typename Parse>
void ParseAll(flow::RecordBatch& batch, Parse parse) {
  for (flow::Record& record : batch.records) {
    if (!record.ok()) continue;
    // The parsers promise to leave `truncated` alone; keeping it here does not depend on that.
    const bool truncated = record.truncated;
    parse(record.raw, record, batch.arena);
    record.truncated = truncated;
  }
}

}  // namespace

Result<LogFormat> ParseLogFormat(std::string_view name) {
  for (const FormatName& f : kFormats) {
    if (f.name == name) return f.format;
  }
  std::string known;
  for (const FormatName& f : kFormats) {
    if (!known.empty()) known += ", ";
    known += f.name;
  }
  return Error(ErrorCode::kInvalidArgument,
               "unknown format \"" + std::string(name) + "\"; known: " + known);
}

std::string_view LogFormatName(LogFormat format) {
  for (const FormatName& f : kFormats) {
    if (f.format == format) return f.name;
  }
  return "unknown";
}

ParseStage::ParseStage(LogFormat format, int syslog_year)
    : format_(format), syslog_year_(syslog_year) {}

void ParseStage::Process(flow::RecordBatch& batch) const {
  switch (format_) {
    case LogFormat::kAccess:
      ParseAll(batch, ParseAccessLine);
      return;
    case LogFormat::kJson:
      ParseAll(batch, ParseJsonLine);
      return;
    case LogFormat::kSyslog:
      ParseAll(batch,
               [year = syslog_year_](std::string_view line, flow::Record& out, flow::Arena& arena) {
                 return ParseSyslogLine(line, out, arena, year);
               });
      return;
    case LogFormat::kLogfmt:
      ParseAll(batch, ParseLogfmtLine);
      return;
    case LogFormat::kRaw:
      ParseAll(batch, ParseRawLine);
      return;
  }
}

}  // namespace ringflow::stages
