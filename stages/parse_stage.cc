#include "stages/parse_stage.h"

#include <ctime>
#include <memory>
#include <string>
#include <utility>

#include "stages/parse_access.h"
#include "stages/parse_json.h"
#include "stages/parse_logfmt.h"
#include "stages/parse_raw.h"
#include "stages/parse_regex.h"
#include "stages/parse_syslog.h"

namespace ringflow::stages {
namespace {

struct FormatName {
  LogFormat format;
  std::string_view name;
};

constexpr FormatName kFormats[] = {
    {LogFormat::kAccess, "access"}, {LogFormat::kJson, "json"},   {LogFormat::kSyslog, "syslog"},
    {LogFormat::kLogfmt, "logfmt"}, {LogFormat::kRegex, "regex"}, {LogFormat::kRaw, "raw"},
};

// One loop per format rather than a switch per line. A line is parsed into a per-thread record
// first and its fields then copied into the batch's memory at their exact number: a batch's
// fields are most of its memory, and reserving a typical count (12) took 576 bytes a line
// whatever the format, 5 times the input for syslog lines, and as many cache lines to touch.
template <typename Parse>
void ParseAll(flow::RecordBatch& batch, Parse parse) {
  thread_local flow::Record scratch;  // its fields keep their capacity from line to line
  for (flow::Record& record : batch.records) {
    if (!record.ok()) continue;
    scratch.fields.clear();
    scratch.error = {};
    parse(record.raw, scratch, batch.arena);
    record.fields.assign(scratch.fields.begin(), scratch.fields.end());
    record.error = scratch.error;
  }
  // A line with a great many fields (a huge JSON object) leaves no lasting capacity behind.
  if (scratch.fields.capacity() > 4096) flow::FieldList().swap(scratch.fields);
}

// The format a batch's format_hint names, if it is one DetectLogFormat answers (a hint is a
// guess from the lines' shape: never regex, which needs a pattern); kAuto otherwise.
LogFormat FormatOfHint(std::string_view hint) {
  for (const FormatName& f : kFormats) {
    if (f.name == hint) return f.format == LogFormat::kRegex ? LogFormat::kAuto : f.format;
  }
  return LogFormat::kAuto;
}

int CurrentYear() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  return tm.tm_year + 1900;
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
               "unknown format " + QuoteForMessage(name) + "; known: " + known);
}

std::string_view LogFormatName(LogFormat format) {
  if (format == LogFormat::kAuto) return "auto";
  for (const FormatName& f : kFormats) {
    if (f.format == format) return f.name;
  }
  return "unknown";
}

Result<std::unique_ptr<ParseStage>> ParseStage::Create(const ParseOptions& options) {
  if (options.format == LogFormat::kRegex) {
    if (options.pattern.empty()) {
      return Error(ErrorCode::kInvalidArgument, "format regex needs a pattern");
    }
    RINGFLOW_ASSIGN_OR_RETURN(RegexParser parser,
                              RegexParser::Create(options.pattern, options.types));
    return std::make_unique<ParseStage>(std::move(parser));
  }
  if (!options.pattern.empty() || !options.types.empty()) {
    return Error(ErrorCode::kInvalidArgument, "pattern and types are only for format regex, not " +
                                                  std::string(LogFormatName(options.format)));
  }
  if ((options.format == LogFormat::kSyslog || options.format == LogFormat::kAuto) &&
      (options.syslog_year < 1 || options.syslog_year > 9999)) {
    return Error(ErrorCode::kInvalidArgument,
                 "syslog year " + std::to_string(options.syslog_year) + " is not in 1..9999");
  }
  return std::make_unique<ParseStage>(options.format, options.syslog_year);
}

ParseStage::ParseStage(LogFormat format, int syslog_year)
    : format_(format), syslog_year_(syslog_year) {}

ParseStage::ParseStage(RegexParser parser)
    : format_(LogFormat::kRegex), syslog_year_(0), regex_(std::move(parser)) {}

LogFormat DetectLogFormat(std::span<const flow::Record> lines) {
  constexpr std::size_t kLook = 16;
  std::size_t votes[static_cast<std::size_t>(LogFormat::kAuto)] = {};
  std::size_t seen = 0;
  for (const flow::Record& r : lines) {
    if (seen == kLook) break;
    if (!r.ok()) continue;
    std::string_view line = r.raw;
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    if (line.empty()) continue;
    ++seen;
    LogFormat guess = LogFormat::kRaw;
    if (line.front() == '{') {
      guess = LogFormat::kJson;
    } else if (line.front() == '<' && line.size() > 2 && line[1] >= '0' && line[1] <= '9') {
      guess = LogFormat::kSyslog;
    } else {
      // access: "host ident user [time] ..."; logfmt: "key=value ...".
      std::size_t i = 0, words = 0;
      while (words < 3 && i < line.size()) {
        const std::size_t space = line.find(' ', i);
        if (space == std::string_view::npos || space == i) break;
        ++words;
        i = space + 1;
      }
      const std::size_t eq = line.find('=');
      const std::size_t space = line.find(' ');
      if (words == 3 && i < line.size() && line[i] == '[') {
        guess = LogFormat::kAccess;
      } else if (eq != std::string_view::npos && eq > 0 && eq < space) {
        guess = LogFormat::kLogfmt;
      }
    }
    ++votes[static_cast<std::size_t>(guess)];
  }
  LogFormat best = LogFormat::kRaw;
  std::size_t most = 0;
  for (LogFormat f :
       {LogFormat::kJson, LogFormat::kSyslog, LogFormat::kAccess, LogFormat::kLogfmt}) {
    if (votes[static_cast<std::size_t>(f)] > most) {
      most = votes[static_cast<std::size_t>(f)];
      best = f;
    }
  }
  return 2 * most > seen ? best : LogFormat::kRaw;
}

void ParseStage::Process(flow::RecordBatch& batch) const {
  LogFormat format = format_;
  if (format == LogFormat::kAuto) {
    // The framer's guess for the whole file when there is one (so a file is parsed one way);
    // otherwise this batch's own first lines decide.
    format = FormatOfHint(batch.format_hint);
    if (format == LogFormat::kAuto) format = DetectLogFormat(batch.records);
  }
  switch (format) {
    case LogFormat::kAuto:  // DetectLogFormat never answers kAuto
      return;
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
    case LogFormat::kRegex:
      if (regex_.has_value()) {
        ParseAll(batch,
                 [&parser = *regex_](std::string_view line, flow::Record& out, flow::Arena& arena) {
                   return parser.Parse(line, out, arena);
                 });
      } else {
        ParseAll(batch, [](std::string_view line, flow::Record& out, flow::Arena&) {
          out.raw = line;
          out.fields.clear();
          out.error = "regex: no pattern";
        });
      }
      return;
    case LogFormat::kRaw:
      ParseAll(batch, ParseRawLine);
      return;
  }
}

Status RegisterParse(run::StageRegistry& registry) {
  return registry.RegisterTransform(
      {"parse",
       "parses each line into typed fields; a line that does not parse is kept with "
       "\"_error\" and \"_raw\"",
       {{"format",
         config::ParamType::kEnum,
         false,
         {"access", "json", "syslog", "logfmt", "regex", "raw"},
         "access: nginx/Apache combined; json: one object per line; syslog: RFC 3164 or 5424; "
         "logfmt: key=value pairs; regex: the named groups of \"pattern\"; raw: the line as "
         "\"message\". Absent: detected for each file from its first lines (json, syslog, "
         "access, logfmt, else raw)",
         "",
         INT64_MIN,
         INT64_MAX},
        {"year",
         config::ParamType::kInt,
         false,
         {},
         "the year of RFC 3164 syslog times (they carry none); 0: the current year",
         "0",
         0,
         9999},
        {"pattern",
         config::ParamType::kString,
         false,
         {},
         "format regex: an RE2 pattern that must match the whole line; each named group "
         "(?P<name>...) becomes a field (left out when it did not take part); matching is byte by "
         "byte, so the pattern must be ASCII (write other bytes as \\xHH)",
         "",
         INT64_MIN,
         INT64_MAX},
        {"types",
         config::ParamType::kStringList,
         false,
         {},
         "format regex: \"group=type\" items, type int, double, bool or string (the default); a "
         "value that does not convert fails the line",
         "",
         INT64_MIN,
         INT64_MAX}}},
      [](const config::StageConfig& c) -> Result<std::unique_ptr<flow::TransformStage>> {
        ParseOptions options;
        options.format = LogFormat::kAuto;
        if (const std::string* format = c.GetString("format")) {
          RINGFLOW_ASSIGN_OR_RETURN(options.format, ParseLogFormat(*format));
        }
        const int year = static_cast<int>(c.GetInt("year").value_or(0));
        options.syslog_year = year == 0 ? CurrentYear() : year;
        if (const std::string* p = c.GetString("pattern")) options.pattern = *p;
        if (const std::vector<std::string>* t = c.GetStringList("types")) options.types = *t;
        RINGFLOW_ASSIGN_OR_RETURN(std::unique_ptr<ParseStage> stage, ParseStage::Create(options));
        return std::unique_ptr<flow::TransformStage>(std::move(stage));
      });
}

}  // namespace ringflow::stages
