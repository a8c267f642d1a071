// parse_bench: single-threaded throughput of each line parser on an in-memory buffer of lines of
// its format, beside ParseRawLine (the ceiling: one field, no scanning) on the same bytes, and of
// the parse stage with format auto against the same stage with the format named, on record
// batches of about --batch-bytes, to show what detection costs. bench/run_parse_bench.sh
// generates the inputs (tests/testing/gen_corpus.py) and turns the output into a table.
//
// Each input is NAME=PATH, NAME a gen_corpus.py format (access, applog_zap, syslog_file, ...);
// the parser is that of the format NAME's lines are in. The file is read whole and split into
// lines before any timing; a case is timed --runs times after one untimed warm-up, the parser's
// and raw's runs interleaved so that a noisy machine disturbs both alike, and the median is
// printed. MB/s counts the input's bytes, newlines included, in units of 10^6 bytes.
// Output: one tab-separated row per case, after a header row. Exit 1 when a line does not parse
// (the inputs are generated to parse), or an input is unreadable.
//
// --tree NAME=DIR: the parse stage alone, auto against the format named, on every file under DIR
// as one batch of its own (as a tree of small files reaches the stage: each file detected on
// its own lines); prints the median seconds of both and what detection adds per file.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "framework/flow/record.h"
#include "framework/flow/stage.h"
#include "stages/grok.h"
#include "stages/log_time.h"
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
#include "stages/parse_stage.h"
#include "stages/parse_syslog.h"

namespace {

using namespace ringflow;
using Clock = std::chrono::steady_clock;

struct Args {
  std::vector<std::pair<std::string, std::string>> inputs;  // NAME, PATH
  std::vector<std::pair<std::string, std::string>> trees;   // NAME, DIR
  int runs = 5;
  std::size_t batch_bytes = 512 * 1024;
  bool stage = true;
};

[[noreturn]] void Usage(const std::string& why) {
  std::fprintf(stderr,
               "parse_bench: %s\nusage: parse_bench [--runs N] [--batch-bytes N] [--no-stage] "
               "[--tree NAME=DIR]... NAME=PATH...\n  NAME: a gen_corpus.py format (access, json, "
               "logfmt, syslog, "
               "syslog_file, apache_error, applog, applog_zap, logcat, glog, cri, docker, ...)\n",
               why.c_str());
  std::exit(2);
}

Args ParseArgs(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) Usage(k + " needs a value");
      return argv[++i];
    };
    if (k == "--runs") {
      a.runs = std::stoi(value());
    } else if (k == "--batch-bytes") {
      a.batch_bytes = std::stoul(value());
    } else if (k == "--no-stage") {
      a.stage = false;
    } else if (k == "--tree") {
      const std::string v = value();
      const auto eq = v.find('=');
      if (eq == std::string::npos) Usage("--tree needs NAME=DIR");
      a.trees.emplace_back(v.substr(0, eq), v.substr(eq + 1));
    } else if (const auto eq = k.find('='); eq != std::string::npos && k[0] != '-') {
      a.inputs.emplace_back(k.substr(0, eq), k.substr(eq + 1));
    } else {
      Usage("unknown argument " + k);
    }
  }
  if (a.inputs.empty() && a.trees.empty()) Usage("no input");
  if (a.runs < 1 || a.batch_bytes == 0) Usage("--runs and --batch-bytes must be positive");
  return a;
}

// The parse format of a gen_corpus.py format's lines: as its manifest_format (the name up to
// the first '_' for the variants of one format).
std::string FormatOf(const std::string& name) {
  if (name == "apache_error" || name == "nginx_error") return name;
  return name.substr(0, name.find('_'));
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

struct Input {
  std::string text;
  std::vector<std::string_view> lines;  // views into text, without the '\n'
};

std::optional<Input> Load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  Input input;
  input.text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  std::string_view rest = input.text;
  while (!rest.empty()) {
    const std::size_t nl = rest.find('\n');
    const std::size_t len = nl == std::string_view::npos ? rest.size() : nl;
    input.lines.push_back(rest.substr(0, len));
    rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
  }
  return input;
}

// One pass of `parse` over every line, the arena reset every `batch_bytes` of input as a parse
// stage's batch would be. Returns the seconds taken; sets `parsed` to the lines that parsed.
// `parse` is a callable (line, record, arena) -> bool, called directly (no indirection per line,
// as in the parse stage).
template <typename Parse>
double ParsePass(const Input& input, const Parse& parse, std::size_t batch_bytes,
                 std::size_t& parsed, std::string& first_error) {
  flow::Record record;
  flow::Arena arena;
  std::size_t ok = 0;
  std::size_t since_reset = 0;
  const auto t0 = Clock::now();
  for (const std::string_view line : input.lines) {
    if (parse(line, record, arena)) {
      ++ok;
    } else if (first_error.empty()) {
      first_error = std::string(record.error) + ": " + std::string(line.substr(0, 200));
    }
    since_reset += line.size() + 1;
    if (since_reset >= batch_bytes) {
      arena.Reset();
      since_reset = 0;
    }
  }
  const auto t1 = Clock::now();
  parsed = ok;
  return Seconds(t0, t1);
}

void PrintRow(const std::string& input, const std::string& what, const Input& in,
              std::size_t parsed, double median_s, double raw_median_s, double min_s, double max_s,
              const std::string& note) {
  const double mb = static_cast<double>(in.text.size()) / 1e6;
  std::printf("%s\t%s\t%zu\t%zu\t%zu\t%.1f\t%.1f\t%.1f\t%.1f\t%s\n", input.c_str(), what.c_str(),
              in.text.size(), in.lines.size(), parsed, mb / median_s,
              raw_median_s > 0 ? mb / raw_median_s : 0.0, mb / max_s, mb / min_s, note.c_str());
  std::fflush(stdout);
}

// Times `parse` and ParseRawLine on the same input, runs interleaved. Returns false when a line
// did not parse.
template <typename Parse>
bool BenchParser(const std::string& name, const std::string& what, const Input& in,
                 const Parse& parse, const Args& args) {
  const auto raw = [](std::string_view line, flow::Record& out, flow::Arena& arena) {
    return stages::ParseRawLine(line, out, arena);
  };
  std::vector<double> times, raw_times;
  std::size_t parsed = 0, raw_parsed = 0;
  std::string error, raw_error;
  ParsePass(in, parse, args.batch_bytes, parsed, error);  // warm-up
  for (int r = 0; r < args.runs; ++r) {
    times.push_back(ParsePass(in, parse, args.batch_bytes, parsed, error));
    raw_times.push_back(ParsePass(in, raw, args.batch_bytes, raw_parsed, raw_error));
  }
  PrintRow(name, what, in, parsed, Median(times), Median(raw_times),
           *std::min_element(times.begin(), times.end()),
           *std::max_element(times.begin(), times.end()), error.empty() ? "" : "failed: " + error);
  return parsed == in.lines.size();
}

// The input as record batches of about `batch_bytes` each, the file's head shared by the
// batches after the first, as the line framer hands them to a parse stage.
std::vector<flow::RecordBatch> MakeBatches(const Input& in, std::size_t batch_bytes) {
  std::vector<flow::RecordBatch> batches;
  std::size_t bytes = batch_bytes;
  for (const std::string_view line : in.lines) {
    if (bytes >= batch_bytes) {
      batches.emplace_back();
      bytes = 0;
    }
    batches.back().records.emplace_back().raw = line;
    bytes += line.size() + 1;
  }
  if (batches.empty()) return batches;
  auto head = std::make_shared<flow::FileHead>();
  std::vector<std::size_t> at;
  flow::FileHead::ForEach(batches[0].records, [&](std::size_t i) { at.push_back(i); });
  for (const std::size_t i : at) head->text += batches[0].records[i].raw;
  std::size_t offset = 0;
  for (const std::size_t i : at) {
    const std::size_t n = batches[0].records[i].raw.size();
    head->lines.push_back(std::string_view(head->text).substr(offset, n));
    offset += n;
  }
  for (std::size_t b = 1; b < batches.size(); ++b) batches[b].head = head;
  for (std::size_t b = 0; b < batches.size(); ++b) batches[b].seq = b;
  return batches;
}

// One pass of `stage` over fresh batches of the input (made untimed, as the line framer would
// hand them over: records with no fields yet, an empty arena).
double StagePass(const stages::ParseStage& stage, const Input& in, std::size_t batch_bytes,
                 std::size_t& parsed, std::string& hint) {
  std::vector<flow::RecordBatch> batches = MakeBatches(in, batch_bytes);
  const auto t0 = Clock::now();
  for (flow::RecordBatch& batch : batches) stage.Process(batch);
  const auto t1 = Clock::now();
  parsed = 0;
  hint.clear();
  for (const flow::RecordBatch& batch : batches) {
    for (const flow::Record& r : batch.records) parsed += r.ok() ? 1U : 0U;
    // Every batch of a file must be parsed the same way.
    if (hint.empty()) {
      hint = batch.format_hint;
    } else if (hint != batch.format_hint) {
      hint = "mixed";
    }
  }
  return Seconds(t0, t1);
}

// The parse stage with the format named and with auto, runs interleaved. Returns false when
// a line did not parse or auto chose another format.
bool BenchStage(const std::string& name, const Input& in, stages::LogFormat format,
                const Args& args) {
  const stages::TimeContext time = stages::TimeContext::Now();
  const stages::ParseStage named(format, time);
  const stages::ParseStage automatic(stages::LogFormat::kAuto, time);
  const std::vector<flow::RecordBatch> batches = MakeBatches(in, args.batch_bytes);
  std::vector<double> t_named, t_auto;
  std::size_t p_named = 0, p_auto = 0;
  std::string h_named, h_auto;
  StagePass(named, in, args.batch_bytes, p_named, h_named);  // warm-up
  StagePass(automatic, in, args.batch_bytes, p_auto, h_auto);
  for (int r = 0; r < args.runs; ++r) {
    t_named.push_back(StagePass(named, in, args.batch_bytes, p_named, h_named));
    t_auto.push_back(StagePass(automatic, in, args.batch_bytes, p_auto, h_auto));
  }
  const std::string want(stages::LogFormatName(format));
  const std::string batches_note = std::to_string(batches.size()) + " batches";
  PrintRow(name, "stage " + want, in, p_named, Median(t_named), 0,
           *std::min_element(t_named.begin(), t_named.end()),
           *std::max_element(t_named.begin(), t_named.end()), batches_note);
  // Detection alone, as the auto stage runs it once per batch on the file's head: a figure
  // that the machine's noise disturbs less than the difference of two stage timings.
  std::vector<double> t_detect;
  if (batches.size() > 1) {
    const std::span<const std::string_view> head = batches[1].head->lines;
    for (int r = 0; r < args.runs; ++r) {
      std::size_t chosen = 0;
      const auto t0 = Clock::now();
      for (std::size_t b = 0; b < batches.size(); ++b) {
        chosen += stages::DetectLogFormat(head, time).format == format ? 1U : 0U;
      }
      t_detect.push_back(Seconds(t0, Clock::now()));
      if (chosen != batches.size()) h_auto = "another format";
    }
  }
  const double cost = (Median(t_auto) / Median(t_named) - 1) * 100;
  const double detect_share = t_detect.empty() ? 0 : Median(t_detect) / Median(t_named) * 100;
  const double detect_us =
      t_detect.empty() ? 0 : Median(t_detect) / static_cast<double>(batches.size()) * 1e6;
  char note[200];
  std::snprintf(note, sizeof note,
                "detected %s; %+.1f%% time vs stage %s; detection alone %.0f us per batch = "
                "%.1f%% of it",
                h_auto.c_str(), cost, want.c_str(), detect_us, detect_share);
  PrintRow(name, "stage auto", in, p_auto, Median(t_auto), 0,
           *std::min_element(t_auto.begin(), t_auto.end()),
           *std::max_element(t_auto.begin(), t_auto.end()), note);
  return p_named == in.lines.size() && p_auto == in.lines.size() && h_auto == want;
}

// The parse stage with the format named and with auto on every file under `dir`, each file one
// batch, the runs interleaved. Returns false when a file is unreadable, a line did not parse or
// auto chose another format for a file.
bool BenchTree(const std::string& name, const std::string& dir, stages::LogFormat format,
               const Args& args) {
  std::vector<std::string> paths;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file()) paths.push_back(it->path().string());
  }
  if (ec || paths.empty()) {
    std::fprintf(stderr, "parse_bench: cannot read the files under %s\n", dir.c_str());
    return false;
  }
  std::sort(paths.begin(), paths.end());
  std::vector<Input> files;
  std::size_t bytes = 0, lines = 0;
  for (const std::string& path : paths) {
    std::optional<Input> in = Load(path);
    if (!in) {
      std::fprintf(stderr, "parse_bench: cannot read %s\n", path.c_str());
      return false;
    }
    bytes += in->text.size();
    lines += in->lines.size();
    files.push_back(std::move(*in));
  }
  const stages::TimeContext time = stages::TimeContext::Now();
  const stages::ParseStage named(format, time);
  const stages::ParseStage automatic(stages::LogFormat::kAuto, time);
  const std::string want(stages::LogFormatName(format));
  bool ok = true;
  // One pass of `stage` over the files, each a fresh batch made untimed right before the stage
  // takes it, its bytes read once (as the line framer has just read them): only Process is
  // timed, on warm memory, as in a run.
  auto pass = [&](const stages::ParseStage& stage) {
    double s = 0;
    std::size_t newlines = 0;
    for (const Input& in : files) {
      std::vector<flow::RecordBatch> one = MakeBatches(in, SIZE_MAX);
      if (one.empty()) continue;
      newlines += static_cast<std::size_t>(std::count(in.text.begin(), in.text.end(), '\n'));
      flow::RecordBatch& batch = one[0];
      const auto t0 = Clock::now();
      stage.Process(batch);
      s += Seconds(t0, Clock::now());
      if (batch.format_hint != want) ok = false;
      for (const flow::Record& r : batch.records) ok = ok && r.ok();
    }
    if (newlines + files.size() < lines) ok = false;  // keeps the reads
    return s;
  };
  pass(named);  // warm-up
  pass(automatic);
  std::vector<double> t_named, t_auto, t_diff;
  for (int r = 0; r < args.runs; ++r) {
    t_named.push_back(pass(named));
    t_auto.push_back(pass(automatic));
    t_diff.push_back(t_auto.back() - t_named.back());
  }
  const double per_file_us = Median(t_diff) / static_cast<double>(files.size()) * 1e6;
  std::printf(
      "tree\t%s\tfiles %zu, %zu bytes, %zu lines\tnamed %.4f s\tauto %.4f s\t"
      "auto adds %.3f us per file (median of the %d rounds' differences)\t%s\n",
      name.c_str(), files.size(), bytes, lines, Median(t_named), Median(t_auto), per_file_us,
      args.runs, ok ? "" : "failed: a line did not parse or auto differs");
  std::fflush(stdout);
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  const Args args = ParseArgs(argc, argv);
  const stages::TimeContext time = stages::TimeContext::Now();
  auto grok = stages::GrokParser::Create("%{COMBINEDAPACHELOG}", {});
  if (!grok.ok()) {
    std::fprintf(stderr, "parse_bench: grok: %s\n", grok.error().message().c_str());
    return 1;
  }
  const stages::GrokParser& grok_parser = *grok;

  bool all_ok = true;
  for (const auto& [name, dir] : args.trees) {
    const auto log_format = stages::ParseLogFormat(FormatOf(name));
    if (!log_format.ok()) Usage("no parser for tree " + name);
    all_ok &= BenchTree(name, dir, *log_format, args);
  }
  if (args.inputs.empty()) return all_ok ? 0 : 1;
  std::printf("input\tparser\tbytes\tlines\tparsed\tMBps\traw_MBps\tMBps_min\tMBps_max\tnote\n");
  for (const auto& [name, path] : args.inputs) {
    const std::string format = FormatOf(name);
    const auto log_format = stages::ParseLogFormat(format);
    if (!log_format.ok() || *log_format == stages::LogFormat::kRaw ||
        *log_format == stages::LogFormat::kRegex || *log_format == stages::LogFormat::kGrok ||
        *log_format == stages::LogFormat::kAuto) {
      Usage("no parser for input " + name);
    }
    const std::optional<Input> in = Load(path);
    if (!in) {
      std::fprintf(stderr, "parse_bench: cannot read %s\n", path.c_str());
      return 1;
    }
    // A parser with the time context, as the parse stage calls it.
    auto timed = [&time](auto f) {
      return [f, &time](std::string_view line, flow::Record& out, flow::Arena& arena) {
        return f(line, out, arena, time);
      };
    };
    auto plain = [](auto f) {
      return [f](std::string_view line, flow::Record& out, flow::Arena& arena) {
        return f(line, out, arena);
      };
    };
    auto bench = [&](const auto& parse) { return BenchParser(name, format, *in, parse, args); };
    switch (*log_format) {
      case stages::LogFormat::kAccess:
        all_ok &= bench(plain(stages::ParseAccessLine));
        all_ok &= BenchParser(
            name, "grok %{COMBINEDAPACHELOG}", *in,
            [&grok_parser](std::string_view line, flow::Record& out, flow::Arena& arena) {
              return grok_parser.Parse(line, out, arena);
            },
            args);
        break;
      case stages::LogFormat::kJson:
        all_ok &= bench(plain(stages::ParseJsonLine));
        break;
      case stages::LogFormat::kLogfmt:
        all_ok &= bench(plain(stages::ParseLogfmtLine));
        break;
      case stages::LogFormat::kSyslog:
        all_ok &= bench(timed(stages::ParseSyslogLine));
        break;
      case stages::LogFormat::kApacheError:
        all_ok &= bench(timed(stages::ParseApacheErrorLine));
        break;
      case stages::LogFormat::kNginxError:
        all_ok &= bench(timed(stages::ParseNginxErrorLine));
        break;
      case stages::LogFormat::kApplog:
        all_ok &= bench(timed(stages::ParseApplogLine));
        break;
      case stages::LogFormat::kLogcat:
        all_ok &= bench(timed(stages::ParseLogcatLine));
        break;
      case stages::LogFormat::kGlog:
        all_ok &= bench(timed(stages::ParseGlogLine));
        break;
      case stages::LogFormat::kCri:
        all_ok &= bench(timed(stages::ParseCriLine));
        break;
      case stages::LogFormat::kDocker:
        all_ok &= bench(timed(stages::ParseDockerLine));
        break;
      default:
        break;
    }
    if (args.stage) all_ok &= BenchStage(name, *in, *log_format, args);
  }
  return all_ok ? 0 : 1;
}
