// Format detection on lines in the layouts the software's own documentation shows: every
// format's lines are detected as that format and as no other, mixed or unknown files fall back
// to raw, and the parse stage gives the same answer for every batch of a file.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "stages/parse_apache_error.h"
#include "stages/parse_applog.h"
#include "stages/parse_cri.h"
#include "stages/parse_docker.h"
#include "stages/parse_json.h"
#include "stages/parse_nginx_error.h"
#include "stages/parse_stage.h"

namespace ringflow::stages {
namespace {

using Lines = std::vector<std::string>;

// Sample files, a few lines each, as the software writes them.
const std::map<std::string, Lines>& Samples() {
  static const auto* samples = new std::map<std::string, Lines>{
      {"access",
       {R"x(127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326 "http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)")x",
        R"(127.0.0.1 - - [10/Oct/2000:13:55:37 -0700] "GET /favicon.ico HTTP/1.0" 404 209)",
        R"(2001:db8::1 - - [10/Oct/2000:13:55:38 -0700] "-" 400 0 "-" "-")"}},
      {"apache_error",
       {"[Wed Oct 11 14:32:52 2000] [error] [client 127.0.0.1] client denied by server "
        "configuration: /export/home/live/ap/htdocs/test",
        "[Fri Sep 09 10:42:29.902022 2011] [core:error] [pid 35708:tid 4328636416] [client "
        "72.15.99.187] File does not exist: /usr/local/apache2/htdocs/favicon.ico",
        "[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok "
        "/etc/httpd/conf/workers2.properties"}},
      {"nginx_error",
       {"2026/12/05 21:27:01 [error] 1234#0: *5 open() \"/usr/share/nginx/html/x\" failed (2: No "
        "such file or directory), client: 10.0.0.1, server: localhost, request: \"GET /x "
        "HTTP/1.1\", host: \"localhost\"",
        "2026/12/05 21:27:02 [notice] 1#1: start worker processes",
        "2026/12/05 21:27:03 [warn] 1234#0: *9 an upstream response is buffered to a temporary "
        "file, client: 10.0.0.2, server: _, request: \"POST /api HTTP/1.1\", upstream: "
        "\"http://127.0.0.1:8080/api\", host: \"example.com\""}},
      {"syslog",
       {"Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186",
        "Dec 10 06:55:48 LabSZ sshd[24200]: Failed password for invalid user webmaster from "
        "173.234.31.186 port 38926 ssh2",
        "Dec  1 00:00:01 web-01 CRON[12]: (root) CMD (command -v debian-sa1 > /dev/null)",
        "Dec  1 00:00:02 web-01 kernel: [   12.345678] usb 1-1: new high-speed USB device"}},
      {"syslog5424",
       {"<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 "
        "iut=\"3\" eventSource=\"Application\" eventID=\"1011\"] An application event log entry",
        "<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - 'su root' failed for "
        "lonvick on /dev/pts/8"}},
      {"rsyslog_precise",
       {"2026-12-05T21:27:01.123456+00:00 web-01 sshd[24200]: Accepted publickey for root",
        "2026-12-05T21:27:02.000001+00:00 web-01 systemd[1]: Started Session 3 of user root."}},
      {"applog",
       {"2015-10-18 18:01:47,978 INFO [main] org.apache.hadoop.mapreduce.v2.app.MRAppMaster: "
        "Created MRAppMaster for application appattempt_1445144423722_0020_000001",
        "2015-10-18 18:01:48,963 INFO [main] org.apache.hadoop.mapreduce.v2.app.MRAppMaster: "
        "Executing with tokens:",
        "2015-10-18 18:01:50,353 WARN [main] org.apache.hadoop.util.NativeCodeLoader: Unable to "
        "load native-hadoop library for your platform"}},
      {"python_logging",
       {"2026-12-05 21:27:01,123 - simple_example - DEBUG - debug message",
        "2026-12-05 21:27:01,124 - simple_example - WARNING - warn message"}},
      {"logcat",
       {"03-17 16:13:38.811  1702  2395 D WindowManager: printFreezingDisplayLogs "
        "inTransaction=false",
        "03-17 16:13:38.819  1702  8671 D PowerManagerService: acquire lock=233570404",
        "03-17 16:13:38.820  1702  8671 I PowerManagerService: Waking up from sleep"}},
      {"glog",
       {"I1205 21:27:01.123456    1234 server.go:42] Serving on :8080",
        "W1205 21:27:02.000001    1234 client.go:97] retrying request",
        "E1205 21:27:03.500000    1234 client.go:101] giving up"}},
      {"cri",
       {"2026-12-05T21:27:01.123456789Z stdout F GET /healthz 200",
        "2026-12-05T21:27:02.000000001Z stderr P a partial line ",
        "2026-12-05T21:27:02.000000002Z stderr F and its end"}},
      {"docker",
       {R"({"log":"GET /healthz 200\n","stream":"stdout","time":"2026-12-05T21:27:01.123456789Z"})",
        R"({"log":"error: \"x\"\n","stream":"stderr","time":"2026-12-05T21:27:02.1Z"})"}},
      {"json",
       {R"({"level":"info","ts":1733433000.5,"caller":"main.go:12","msg":"started"})",
        R"({"level":"error","msg":"failed","error":"EOF"})"}},
      {"logfmt",
       {"time=2026-12-05T21:27:01Z level=info msg=\"user logged in\" user=42",
        "at=info method=GET path=/ host=example.com request_id=8601b555 fwd=\"204.204.204.204\" "
        "dyno=web.1 connect=1ms service=18ms status=200 bytes=13"}},
  };
  return *samples;
}

// The format each sample must be detected as.
std::string Expected(const std::string& sample) {
  if (sample == "syslog5424" || sample == "rsyslog_precise") return "syslog";
  if (sample == "python_logging") return "applog";
  return sample;
}

std::string Detect(const Lines& lines) {
  const std::vector<std::string_view> views(lines.begin(), lines.end());
  return std::string(LogFormatName(DetectLogFormat(views, TimeContext::Now()).format));
}

TEST(DetectTest, EveryFormatIsDetectedAsItself) {
  for (const auto& [name, lines] : Samples()) {
    EXPECT_EQ(Detect(lines), Expected(name)) << name;
    // Line by line too: each line alone is the same format.
    for (const std::string& line : lines) EXPECT_EQ(Detect({line}), Expected(name)) << line;
  }
}

TEST(DetectTest, EveryFormatsLinesParseUnderItsOwnParserOnly) {
  // Beyond the order: every sample's lines fail every other detected format's parser, except
  // where the order settles an overlap on purpose (docker's lines are JSON; anything whose
  // first word is key=value-like may be logfmt).
  const TimeContext time = TimeContext::Now();
  for (const auto& [name, lines] : Samples()) {
    for (const LogFormat other : DetectionOrder()) {
      const std::string other_name(LogFormatName(other));
      if (other_name == Expected(name)) continue;
      if (Expected(name) == "docker" && other_name == "json") continue;
      ParseStage stage(other, time);
      flow::RecordBatch batch;
      for (const std::string& line : lines) batch.records.emplace_back().raw = line;
      stage.Process(batch);
      std::size_t parsed = 0;
      for (const flow::Record& r : batch.records) parsed += r.ok() ? 1u : 0u;
      if (other == LogFormat::kLogfmt) {
        // logfmt accepts words; detection asks more of it (the first word a pair).
        EXPECT_NE(Detect(lines), "logfmt") << name;
        continue;
      }
      EXPECT_EQ(parsed, 0u) << name << " lines parse as " << other_name;
    }
  }
}

TEST(DetectTest, JsonAndDockerLinesBeginWithABraceAfterBlanks) {
  // Detection passes over a line for json and docker without parsing it when its first byte
  // after JSON's blanks is ASCII and not '{': both parsers must fail on every such line, here
  // each ASCII byte before valid objects of both layouts, after each blank.
  const std::vector<std::string> objects = {
      R"({"a":1})", R"({"log":"x\n","stream":"stdout","time":"2026-12-05T21:27:01.123456789Z"})",
      "{}", R"({ "a" : [1, {"b": 2}] })"};
  for (int c = 1; c < 0x80; ++c) {
    if (c == '{' || c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
    for (const std::string& object : objects) {
      for (const std::string_view blank : {"", " ", "\t", "\r", "\n", " \t"}) {
        for (const std::string& line : {std::string(blank) + static_cast<char>(c) + object,
                                        std::string(blank) + static_cast<char>(c)}) {
          flow::RecordBatch batch;
          flow::Record out;
          EXPECT_FALSE(ParseJsonLine(line, out, batch.arena)) << line;
          EXPECT_FALSE(ParseDockerLine(line, out, batch.arena, TimeContext::Now())) << line;
        }
      }
    }
  }
  // What the skip relies on also decides detection: such lines are never json or docker.
  EXPECT_EQ(Detect({R"(x{"a":1})", R"(x{"a":2})"}), "raw");
  EXPECT_EQ(Detect({R"( {"a":1})", R"({"a":2})"}), "json");
}

TEST(DetectTest, LinesThatDoNotStartAsAParserSaysFailInIt) {
  // Detection passes over a line for cri, applog, apache_error and nginx_error without parsing
  // it when the format's *LineMayStart says no: the parser must then fail on it. The lines: every
  // sample, and every sample with one of its first 8 bytes replaced by each ASCII byte.
  struct Prescreened {
    std::string name;
    bool (*may_start)(std::string_view);
    bool (*parse)(std::string_view, flow::Record&, flow::Arena&, const TimeContext&);
  };
  const Prescreened formats[] = {
      {"cri", CriLineMayStart, ParseCriLine},
      {"applog", ApplogLineMayStart, ParseApplogLine},
      {"apache_error", ApacheErrorLineMayStart, ParseApacheErrorLine},
      {"nginx_error", NginxErrorLineMayStart, ParseNginxErrorLine},
  };
  // Beside the samples, the application layouts they lack (Rails, Spark, HDFS, Go).
  const Lines more_applog = {
      "I, [2026-12-05T21:27:01.123456 #1234]  INFO -- : Started GET \"/\" for ::1",
      "15/09/01 21:38:20 INFO executor.Executor: Finished task 0.0 in stage 0.0",
      "081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 terminating",
      "2009/11/10 23:00:00 Hello, playground"};
  Lines lines;
  std::map<std::string, Lines> samples = Samples();
  samples["more_applog"] = more_applog;
  for (const auto& [name, sample] : samples) {
    for (const std::string& line : sample) {
      lines.push_back(line);
      for (std::size_t at = 0; at < 8 && at < line.size(); ++at) {
        for (int c = 1; c < 0x80; ++c) {
          std::string changed = line;
          changed[at] = static_cast<char>(c);
          lines.push_back(std::move(changed));
        }
      }
    }
  }
  const TimeContext time = TimeContext::Now();
  for (const Prescreened& f : formats) {
    std::size_t skipped = 0, parsed = 0;
    for (const std::string& line : lines) {
      flow::RecordBatch batch;
      flow::Record out;
      const bool ok = f.parse(line, out, batch.arena, time);
      parsed += ok ? 1u : 0u;
      if (f.may_start(line)) continue;
      ++skipped;
      EXPECT_FALSE(ok) << f.name << " parses a line its prescreen passes over: " << line;
    }
    // Not vacuous: the format's own lines pass the prescreen and parse, others are skipped.
    EXPECT_GT(parsed, 0u) << f.name;
    EXPECT_GT(skipped, lines.size() / 2) << f.name;
    for (const std::string& line : Samples().at(f.name)) EXPECT_TRUE(f.may_start(line)) << line;
  }
  // The other application layouts too.
  for (const std::string& line : Samples().at("python_logging")) {
    EXPECT_TRUE(ApplogLineMayStart(line)) << line;
  }
  for (const std::string& line : more_applog) {
    flow::RecordBatch batch;
    flow::Record out;
    EXPECT_TRUE(ApplogLineMayStart(line)) << line;
    EXPECT_TRUE(ParseApplogLine(line, out, batch.arena, time)) << line;
  }
}

TEST(DetectTest, MixedOrUnknownFilesAreRaw) {
  Lines mixed;
  for (const char* name : {"access", "syslog", "glog", "json", "logcat"}) {
    for (const std::string& line : Samples().at(name)) mixed.push_back(line);
  }
  EXPECT_EQ(Detect(mixed), "raw");
  EXPECT_EQ(Detect({"Hello world", "this is prose, not a log", "key: value"}), "raw");
  EXPECT_EQ(Detect({"#Software: Microsoft Internet Information Services 10.0",
                    "#Fields: date time s-ip cs-method", "2026-12-05 21:27:01 10.0.0.1 GET"}),
            "raw");
  // Nine tenths: one odd line among ten is tolerated, two are not.
  Lines access;
  for (int i = 0; i < 9; ++i) access.push_back(Samples().at("access")[0]);
  access.push_back("garbage");
  EXPECT_EQ(Detect(access), "access");
  access[8] = "more garbage";
  EXPECT_EQ(Detect(access), "raw");
}

TEST(DetectTest, ALog4jFileIsNeverAccess) {
  const Lines& log4j = Samples().at("applog");
  EXPECT_EQ(Detect(log4j), "applog");
  ParseStage stage(LogFormat::kAuto, TimeContext::Now());
  flow::RecordBatch batch;
  for (const std::string& line : log4j) batch.records.emplace_back().raw = line;
  stage.Process(batch);
  EXPECT_EQ(batch.format_hint, "applog");
  for (const flow::Record& r : batch.records) {
    ASSERT_TRUE(r.ok()) << r.error;
    const flow::Field* level = r.Find("level");
    ASSERT_NE(level, nullptr);
  }
}

}  // namespace
}  // namespace ringflow::stages
