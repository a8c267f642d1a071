#include "stages/parse_stage.h"

#include <array>
#include <cmath>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "stages/parse_access.h"
#include "stages/parse_apache_error.h"
#include "stages/parse_applog.h"
#include "stages/parse_cri.h"
#include "stages/parse_docker.h"
#include "stages/parse_glog.h"
#include "stages/parse_json.h"
#include "stages/parse_logcat.h"
#include "stages/parse_logfmt.h"
#include "stages/parse_nginx_error.h"
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
    {LogFormat::kAuto, "auto"},
    {LogFormat::kAccess, "access"},
    {LogFormat::kApacheError, "apache_error"},
    {LogFormat::kNginxError, "nginx_error"},
    {LogFormat::kSyslog, "syslog"},
    {LogFormat::kApplog, "applog"},
    {LogFormat::kLogcat, "logcat"},
    {LogFormat::kGlog, "glog"},
    {LogFormat::kCri, "cri"},
    {LogFormat::kDocker, "docker"},
    {LogFormat::kJson, "json"},
    {LogFormat::kLogfmt, "logfmt"},
    {LogFormat::kGrok, "grok"},
    {LogFormat::kRegex, "regex"},
    {LogFormat::kRaw, "raw"},
};

// A line is parsed into a per-thread record first and its fields then copied into the batch's
// memory at their exact number: a batch's fields are most of its memory, and reserving a
// typical count (12) took 576 bytes a line whatever the format, 5 times the input for syslog
// lines, and as many cache lines to touch. Says whether the line parsed.
template <typename Parse>
bool ParseOne(flow::RecordBatch& batch, flow::Record& record, Parse& parse) {
  thread_local flow::Record scratch;  // its fields keep their capacity from line to line
  scratch.fields.clear();
  scratch.error = {};
  const bool ok = parse(record.raw, scratch, batch.arena);
  record.fields.assign(scratch.fields.begin(), scratch.fields.end());
  record.error = scratch.error;
  // A line with a great many fields (a huge JSON object) leaves no lasting capacity behind.
  if (scratch.fields.capacity() > 4096) flow::FieldList().swap(scratch.fields);
  return ok;
}

// Parses every record of the batch that is not in `done` (ascending indices of records parsed
// already) and does not carry an error from an earlier stage. One loop per format rather than
// a switch per line.
template <typename Parse>
void ParseAll(flow::RecordBatch& batch, Parse parse, std::span<const uint32_t> done) {
  auto next = done.begin();
  for (std::size_t i = 0; i < batch.records.size(); ++i) {
    if (next != done.end() && *next == i) {
      ++next;
      continue;
    }
    flow::Record& record = batch.records[i];
    if (record.ok()) ParseOne(batch, record, parse);
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
               "unknown format " + QuoteForMessage(name) + "; known: " + known);
}

std::string_view LogFormatName(LogFormat format) {
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
  if (options.format == LogFormat::kGrok) {
    if (options.pattern.empty()) {
      return Error(ErrorCode::kInvalidArgument, "format grok needs a pattern");
    }
    if (!options.types.empty()) {
      return Error(ErrorCode::kInvalidArgument,
                   "types are not for format grok (write %{NAME:field:int} instead)");
    }
    std::map<std::string, std::string> definitions;
    for (const std::string& item : options.definitions) {
      const std::size_t space = item.find(' ');
      if (space == 0 || space == std::string::npos || space + 1 == item.size()) {
        return Error(ErrorCode::kInvalidArgument,
                     "definition " + QuoteForMessage(item) + " is not \"NAME REGEX\"");
      }
      definitions[item.substr(0, space)] = item.substr(space + 1);
    }
    RINGFLOW_ASSIGN_OR_RETURN(GrokParser parser, GrokParser::Create(options.pattern, definitions));
    return std::make_unique<ParseStage>(std::move(parser));
  }
  if (!options.definitions.empty()) {
    return Error(ErrorCode::kInvalidArgument, "definitions are only for format grok, not " +
                                                  std::string(LogFormatName(options.format)));
  }
  if (!options.pattern.empty() || !options.types.empty()) {
    return Error(ErrorCode::kInvalidArgument, "pattern and types are only for format regex, not " +
                                                  std::string(LogFormatName(options.format)));
  }
  if (options.time.fixed_year < 0 || options.time.fixed_year > 9999) {
    return Error(ErrorCode::kInvalidArgument,
                 "year " + std::to_string(options.time.fixed_year) + " is not in 1..9999");
  }
  return std::make_unique<ParseStage>(options.format, options.time);
}

ParseStage::ParseStage(LogFormat format, const TimeContext& time) : format_(format), time_(time) {}

ParseStage::ParseStage(LogFormat format, int year)
    : ParseStage(format, [year] {
        TimeContext time = TimeContext::Now();
        time.fixed_year = year;
        return time;
      }()) {}

ParseStage::ParseStage(RegexParser parser)
    : format_(LogFormat::kRegex), time_(TimeContext::Now()), regex_(std::move(parser)) {}

ParseStage::ParseStage(GrokParser parser)
    : format_(LogFormat::kGrok), time_(TimeContext::Now()), grok_(std::move(parser)) {}

std::span<const LogFormat> DetectionOrder() {
  // Where two formats could both take a line, the narrower one comes first: Docker's JSON
  // lines before JSON; CRI (an RFC 3339 time, a stream, P or F) and application logs (a time
  // and a level word) before syslog, whose high-precision lines would otherwise take the stream
  // or the level for a host name; logfmt last, as key=value pairs turn up inside other formats'
  // messages. Formats that no other takes are in between, the common ones first (every format
  // before the one chosen is tried on the file's head).
  static constexpr LogFormat kOrder[] = {
      LogFormat::kDocker, LogFormat::kJson,   LogFormat::kAccess,      LogFormat::kCri,
      LogFormat::kApplog, LogFormat::kSyslog, LogFormat::kApacheError, LogFormat::kNginxError,
      LogFormat::kLogcat, LogFormat::kGlog,   LogFormat::kLogfmt};
  return kOrder;
}

namespace {

// A parser that completes times from a TimeContext, as a (line, out, arena) callable.
template <bool (*Parse)(std::string_view, flow::Record&, flow::Arena&, const TimeContext&)>
struct WithTime {
  const TimeContext& time;
  bool operator()(std::string_view line, flow::Record& out, flow::Arena& arena) const {
    return Parse(line, out, arena, time);
  }
};

// How many of `n` lines must parse for a format to be chosen.
std::size_t Needed(std::size_t n) {
  return static_cast<std::size_t>(std::ceil(kDetectionShare * static_cast<double>(n) - 1e-9));
}

// Tries the formats of DetectionOrder on n lines, most specific first: try_format(format,
// may_fail) parses the lines in `format` and says how many parsed, giving up once more than
// may_fail lines failed. Stops at the first format that reaches the share.
template <typename TryFormat>
Detection Choose(std::size_t n, TryFormat try_format) {
  Detection d;
  d.lines = n;
  if (n == 0) return d;
  const std::size_t needed = Needed(n);
  for (const LogFormat format : DetectionOrder()) {
    const std::size_t parsed = try_format(format, n - needed);
    if (parsed >= needed) {
      d.format = format;
      d.parsed = parsed;
      return d;
    }
    if (parsed > d.best_parsed) {
      d.best = format;
      d.best_parsed = parsed;
    }
  }
  // None reached the share. The count of a format given up early is short, so when some format
  // parsed a line before it was given up, every format is counted again to the end and the note
  // names the closest one with its true count. (Text that no format parses, the common case
  // here, costs no second pass; the price is that a file whose first tenth is not its format
  // may be read as raw without a note.)
  if (d.best_parsed > 0) {
    d.best_parsed = 0;
    for (const LogFormat format : DetectionOrder()) {
      const std::size_t parsed = try_format(format, n);
      if (parsed > d.best_parsed) {
        d.best = format;
        d.best_parsed = parsed;
      }
    }
  }
  d.parsed = n;  // raw takes every line
  return d;
}

// Whether `format` surely fails on `line`, told from its first bytes, so that detection passes
// over the line without running the parser: a JSON or Docker line is an object, so its first
// byte after JSON's blanks is '{' (a first byte past ASCII, a byte order mark, ..., is left to
// the parser); CRI, application, Apache and nginx error lines open as their parsers'
// *LineMayStart say. The formats ahead of a file's own in the detection order are tried on its
// first lines and fail there: this check is what most of those failures cost.
bool SurelyFails(LogFormat format, std::string_view line) {
  switch (format) {
    case LogFormat::kJson:
    case LogFormat::kDocker: {
      std::size_t i = 0;
      while (i < line.size() &&
             (line[i] == ' ' || line[i] == '\t' || line[i] == '\r' || line[i] == '\n')) {
        ++i;
      }
      return i < line.size() && static_cast<unsigned char>(line[i]) < 0x80 && line[i] != '{';
    }
    case LogFormat::kCri:
      return !CriLineMayStart(line);
    case LogFormat::kApplog:
      return !ApplogLineMayStart(line);
    case LogFormat::kApacheError:
      return !ApacheErrorLineMayStart(line);
    case LogFormat::kNginxError:
      return !NginxErrorLineMayStart(line);
    default:
      return false;
  }
}

// Whether a line that parsed in `format` counts for it in detection. logfmt takes any words
// (a word without '=' is a flag), so a line counts as logfmt only when its first word and at
// least half of them are key=value pairs: prose is not logfmt.
bool Counts(LogFormat format, const flow::Record& parsed) {
  if (format != LogFormat::kLogfmt) return true;
  std::size_t pairs = 0;
  for (const flow::Field& f : parsed.fields) {
    // Names view the line: a pair's name is followed by '='.
    const char* after = f.name.data() + f.name.size();
    if (after < parsed.raw.data() + parsed.raw.size() && *after == '=') {
      ++pairs;
    } else if (pairs == 0) {
      return false;
    }
  }
  return 2 * pairs >= parsed.fields.size();
}

// Whether `line` counts for `format` in detection: not passed over by SurelyFails, parsed into
// `out` (cleared first) and counted by Counts.
template <typename Parse>
bool CountsAs(LogFormat format, Parse& parse, std::string_view line, flow::Record& out,
              flow::Arena& arena) {
  if (SurelyFails(format, line)) return false;
  out.fields.clear();
  out.error = {};
  return parse(line, out, arena) && Counts(format, out);
}

// "format not recognised (best: syslog, 40 of 64 lines; 90% needed): read as raw", for a file
// some format came close to: a log whose format changed, or that a parser misreads, rather than
// text that is no log (which the summary counts among the raw files without a note each).
std::string_view NoteOf(const Detection& d, flow::Arena& arena) {
  if (d.best_parsed == 0) return {};
  return arena.Copy("format not recognised (best: " + std::string(LogFormatName(d.best)) + ", " +
                    std::to_string(d.best_parsed) + " of " + std::to_string(d.lines) + " lines; " +
                    std::to_string(static_cast<int>(kDetectionShare * 100)) +
                    "% needed): read as raw");
}

}  // namespace

template <typename F>
decltype(auto) ParseStage::WithParser(LogFormat format, F&& f) const {
  switch (format) {
    case LogFormat::kAccess:
      return f(ParseAccessLine);
    case LogFormat::kJson:
      return f(ParseJsonLine);
    case LogFormat::kSyslog:
      return f(WithTime<ParseSyslogLine>{time_});
    case LogFormat::kLogfmt:
      return f(ParseLogfmtLine);
    case LogFormat::kApacheError:
      return f(WithTime<ParseApacheErrorLine>{time_});
    case LogFormat::kNginxError:
      return f(WithTime<ParseNginxErrorLine>{time_});
    case LogFormat::kApplog:
      return f(WithTime<ParseApplogLine>{time_});
    case LogFormat::kLogcat:
      return f(WithTime<ParseLogcatLine>{time_});
    case LogFormat::kGlog:
      return f(WithTime<ParseGlogLine>{time_});
    case LogFormat::kCri:
      return f(WithTime<ParseCriLine>{time_});
    case LogFormat::kDocker:
      return f(WithTime<ParseDockerLine>{time_});
    case LogFormat::kRegex:
      if (regex_.has_value()) {
        return f([&parser = *regex_](std::string_view line, flow::Record& out, flow::Arena& arena) {
          return parser.Parse(line, out, arena);
        });
      }
      return f([](std::string_view line, flow::Record& out, flow::Arena&) {
        out.raw = line;
        out.fields.clear();
        out.error = "regex: no pattern";
        return false;
      });
    case LogFormat::kGrok:
      if (grok_.has_value()) {
        return f([&parser = *grok_](std::string_view line, flow::Record& out, flow::Arena& arena) {
          return parser.Parse(line, out, arena);
        });
      }
      return f([](std::string_view line, flow::Record& out, flow::Arena&) {
        out.raw = line;
        out.fields.clear();
        out.error = "grok: no pattern";
        return false;
      });
    case LogFormat::kRaw:
    case LogFormat::kAuto:  // never asked for: a format is decided before parsing
      break;
  }
  return f(ParseRawLine);
}

Detection DetectLogFormat(std::span<const std::string_view> lines, const TimeContext& time) {
  const ParseStage stage(LogFormat::kAuto, time);
  return stage.Detect(lines);
}

Detection ParseStage::Detect(std::span<const std::string_view> lines) const {
  flow::RecordBatch scratch(4096);
  flow::Record& record = scratch.records.emplace_back();
  return Choose(lines.size(), [&](LogFormat format, std::size_t may_fail) {
    return WithParser(format, [&](auto parse) {
      std::size_t parsed = 0, failed = 0;
      for (const std::string_view line : lines) {
        if (CountsAs(format, parse, line, record, scratch.arena)) {
          ++parsed;
        } else if (++failed > may_fail) {
          break;
        }
      }
      return parsed;
    });
  });
}

void ParseStage::Process(flow::RecordBatch& batch) const {
  if (format_ != LogFormat::kAuto) {
    WithParser(format_, [&](auto parse) { ParseAll(batch, parse, {}); });
    batch.format_hint = LogFormatName(format_);
    return;
  }
  Detection d;
  std::span<const uint32_t> done;  // head lines of this batch already parsed in d.format
  std::array<uint32_t, flow::FileHead::kLines> head_at;
  if (batch.head) {
    // The file's later batches: the head's detection, worked out by the first of them.
    flow::FileHead::Memo memo;
    if (batch.head->Recall(this, memo)) {
      d.format = static_cast<LogFormat>(memo[0] & 0xffffffffu);
      d.best = static_cast<LogFormat>(memo[0] >> 32);
      d.lines = memo[1];
      d.parsed = memo[2];
      d.best_parsed = memo[3];
    } else {
      d = Detect(batch.head->lines);
      batch.head->Remember(
          this, {static_cast<uint64_t>(d.format) | static_cast<uint64_t>(d.best) << 32, d.lines,
                 d.parsed, d.best_parsed});
    }
  } else {
    // The head is this batch's own first lines: the parses of the format chosen are kept.
    std::size_t head_lines = 0;
    flow::FileHead::ForEach(
        batch.records, [&](std::size_t i) { head_at[head_lines++] = static_cast<uint32_t>(i); });
    const std::span<const uint32_t> head(head_at.data(), head_lines);
    // A try parses into `trial`, so a line that fails leaves the batch's record as it was; what
    // parses is kept in the record, for the winner's parses to stay. The winner's failures
    // (the last format tried) are parsed again below, to carry their reasons.
    thread_local flow::Record trial;
    thread_local std::vector<uint32_t> failures;
    d = Choose(head.size(), [&](LogFormat format, std::size_t may_fail) {
      failures.clear();
      return WithParser(format, [&](auto parse) {
        std::size_t parsed = 0;
        for (const uint32_t i : head) {
          flow::Record& record = batch.records[i];
          if (CountsAs(format, parse, record.raw, trial, batch.arena)) {
            record.fields.assign(trial.fields.begin(), trial.fields.end());
            ++parsed;
          } else {
            failures.push_back(i);
            if (failures.size() > may_fail) break;
          }
        }
        return parsed;
      });
    });
    if (d.format != LogFormat::kRaw) {
      done = head;
      WithParser(d.format, [&](auto parse) {
        for (const uint32_t i : failures) ParseOne(batch, batch.records[i], parse);
      });
    }
  }
  WithParser(d.format, [&](auto parse) { ParseAll(batch, parse, done); });
  // A file without head lines (empty, or blank lines only) has no format to speak of.
  batch.format_hint = d.lines == 0 ? std::string_view() : LogFormatName(d.format);
  if (d.lines > 0 && d.format == LogFormat::kRaw) batch.format_note = NoteOf(d, batch.arena);
}

Status RegisterParse(run::StageRegistry& registry) {
  return registry.RegisterTransform(
      {"parse",
       "parses each line into typed fields; a line that does not parse is kept with "
       "\"_error\" and \"_raw\"",
       {{"format",
         config::ParamType::kEnum,
         false,
         {"auto", "access", "apache_error", "nginx_error", "syslog", "applog", "logcat", "glog",
          "cri", "docker", "json", "logfmt", "grok", "regex", "raw"},
         "auto (the default): for each file, the first format (most specific first) under which "
         "90% of its first 64 non-blank lines parse, else raw with a note; access: nginx/Apache "
         "combined or common; apache_error, nginx_error: their error logs; syslog: RFC 5424, RFC "
         "3164 and rsyslog's files; applog: application logs (log4j, logback, Python logging, Go, "
         "zap, Rails, Spring Boot, Hadoop); logcat: Android; glog: glog and klog; cri: "
         "Kubernetes container logs; docker: Docker's json-file; json: one object per line; "
         "logfmt: key=value pairs; grok: the grok expression \"pattern\"; regex: the named "
         "groups of \"pattern\"; raw: the line as "
         "\"message\"",
         "",
         INT64_MIN,
         INT64_MAX},
        {"year",
         config::ParamType::kInt,
         false,
         {},
         "the year of times written without one (RFC 3164 syslog); 0: the year that does not "
         "put the time more than a day into the future (December lines read in January are "
         "last year's)",
         "0",
         0,
         9999},
        {"timezone",
         config::ParamType::kString,
         false,
         {},
         "the offset written after times that state no zone (\"+hh:mm\", \"-hh:mm\", \"Z\" or "
         "\"UTC\"); absent: such times are written without one",
         "",
         INT64_MIN,
         INT64_MAX},
        {"pattern",
         config::ParamType::kString,
         false,
         {},
         "format regex: an RE2 pattern that must match the whole line; each named group "
         "(?P<name>...) becomes a field (left out when it did not take part); matching is byte by "
         "byte, so the pattern must be ASCII (write other bytes as \\xHH). format grok: a grok "
         "expression that must match the whole line, e.g. \"%{COMBINEDAPACHELOG}\" or "
         "\"%{IP:client} %{WORD:method} %{NUMBER:took:float}\" (Logstash's standard patterns)",
         "",
         INT64_MIN,
         INT64_MAX},
        {"definitions",
         config::ParamType::kStringList,
         false,
         {},
         "format grok: more patterns, \"NAME REGEX\" items (e.g. \"QUEUE [a-z]+-\\\\d+\"), for "
         "%{NAME} in \"pattern\" and in each other; a name of the standard set is replaced",
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
        options.time.fixed_year = static_cast<int>(c.GetInt("year").value_or(0));
        if (const std::string* zone = c.GetString("timezone")) {
          RINGFLOW_ASSIGN_OR_RETURN(options.time.zone, ParseZoneOffset(*zone));
        }
        if (const std::string* p = c.GetString("pattern")) options.pattern = *p;
        if (const std::vector<std::string>* t = c.GetStringList("types")) options.types = *t;
        if (const std::vector<std::string>* d = c.GetStringList("definitions")) {
          options.definitions = *d;
        }
        RINGFLOW_ASSIGN_OR_RETURN(std::unique_ptr<ParseStage> stage, ParseStage::Create(options));
        return std::unique_ptr<flow::TransformStage>(std::move(stage));
      });
}

}  // namespace ringflow::stages
