// Tests for the application-log parser: exact fields for each layout, in the shapes the
// software's documentation shows (log4j/logback, Spring Boot, ZooKeeper, Python logging, zap,
// Ruby Logger, Hadoop/Spark, HDFS, Go's log), odd corners (padding, missing parts), impossible
// dates and truncated lines as errors, and lines of the other formats refused.
#include "stages/parse_applog.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "framework/flow/record.h"
#include "tests/testing/parse_test_util.h"

namespace ringflow::stages {
namespace {

using testing::Fields;
using testing::Parsed;
using testing::Strings;

// Parses `line` and checks what every parser promises: raw is the line, ok() agrees, a failed
// record has no fields.
Parsed Parse(std::string_view line, const TimeContext& time = TimeContext()) {
  flow::Record r;
  flow::Arena arena;
  const bool ok = ParseApplogLine(line, r, arena, time);
  EXPECT_EQ(r.raw.data(), line.data());
  EXPECT_EQ(r.raw.size(), line.size());
  EXPECT_EQ(ok, r.ok());
  if (!ok) {
    EXPECT_TRUE(r.fields.empty()) << "fields left on a failed record";
  }
  return {ok, Fields(r), std::string(r.error)};
}

Strings ParseOk(std::string_view line, const TimeContext& time = TimeContext()) {
  const Parsed p = Parse(line, time);
  EXPECT_TRUE(p.ok) << line << ": " << p.error;
  return p.fields;
}

TEST(ParseApplogTest, Log4jHadoopLayoutWithThread) {
  EXPECT_EQ(ParseOk("2015-10-18 18:01:47,978 INFO [main] "
                    "org.apache.hadoop.mapreduce.v2.app.MRAppMaster: Created MRAppMaster for "
                    "application appattempt_1445144423722_0020_000001"),
            (Strings{"time=s:2015-10-18T18:01:47.978", "level=s:info", "thread=s:main",
                     "logger=s:org.apache.hadoop.mapreduce.v2.app.MRAppMaster",
                     "message=s:Created MRAppMaster for application "
                     "appattempt_1445144423722_0020_000001"}));
  // Multi-word-ish thread names, the level padded by %-5p.
  EXPECT_EQ(
      ParseOk("2015-10-18 18:01:52,232 WARN  [pool-1-thread-3] "
              "org.apache.hadoop.ipc.Client: Address change detected"),
      (Strings{"time=s:2015-10-18T18:01:52.232", "level=s:warn", "thread=s:pool-1-thread-3",
               "logger=s:org.apache.hadoop.ipc.Client", "message=s:Address change detected"}));
  // No thread: Hadoop's daemon layout "%d{ISO8601} %p %c: %m%n".
  EXPECT_EQ(ParseOk("2026-12-05 21:27:01,123 ERROR org.apache.hadoop.hdfs.server.datanode."
                    "DataNode: IOException in offerService"),
            (Strings{"time=s:2026-12-05T21:27:01.123", "level=s:error",
                     "logger=s:org.apache.hadoop.hdfs.server.datanode.DataNode",
                     "message=s:IOException in offerService"}));
  // Nested brackets in a thread name.
  EXPECT_EQ(ParseOk("2026-12-05 21:27:01,123 DEBUG [Thread[main,5,main]] a.B: x"),
            (Strings{"time=s:2026-12-05T21:27:01.123", "level=s:debug",
                     "thread=s:Thread[main,5,main]", "logger=s:a.B", "message=s:x"}));
}

TEST(ParseApplogTest, LogbackThreadBeforeLevel) {
  // logback's "%d{yyyy-MM-dd HH:mm:ss.SSS} [%thread] %-5level %logger{36} - %msg%n".
  EXPECT_EQ(ParseOk("2026-12-05 21:27:01.123 [main] INFO  com.example.App - Started in 1.2 s"),
            (Strings{"time=s:2026-12-05T21:27:01.123", "level=s:info", "thread=s:main",
                     "logger=s:com.example.App", "message=s:Started in 1.2 s"}));
  EXPECT_EQ(ParseOk("2026-12-05T21:27:01.123+01:00 [http-nio-8080-exec-1] WARN c.e.Web - slow"),
            (Strings{"time=s:2026-12-05T21:27:01.123+01:00", "level=s:warn",
                     "thread=s:http-nio-8080-exec-1", "logger=s:c.e.Web", "message=s:slow"}));
  // A bracketed level.
  EXPECT_EQ(ParseOk("2026-12-05 21:27:01,123 [WARNING] app.db: pool exhausted"),
            (Strings{"time=s:2026-12-05T21:27:01.123", "level=s:warn", "logger=s:app.db",
                     "message=s:pool exhausted"}));
  // Padding inside a bracketed level.
  EXPECT_EQ(ParseOk("2026-12-05 21:27:01,123 [INFO ] a.B - started"),
            (Strings{"time=s:2026-12-05T21:27:01.123", "level=s:info", "logger=s:a.B",
                     "message=s:started"}));
  EXPECT_EQ(ParseOk("2026-12-05 21:27:01,123 [ WARN] [worker 2] a.B: x"),
            (Strings{"time=s:2026-12-05T21:27:01.123", "level=s:warn", "thread=s:worker 2",
                     "logger=s:a.B", "message=s:x"}));
  // No logger: the rest is the message.
  EXPECT_EQ(ParseOk("2026-12-05 21:27:01 INFO Starting server on port 8080"),
            (Strings{"time=s:2026-12-05T21:27:01", "level=s:info",
                     "message=s:Starting server on port 8080"}));
}

TEST(ParseApplogTest, SpringBootDefaults) {
  // Boot 1.x/2.x: "%d{yyyy-MM-dd HH:mm:ss.SSS} %5p ${PID} --- [%15.15t] %-40.40logger{39} : %m".
  EXPECT_EQ(ParseOk("2014-03-05 10:57:51.112  INFO 45469 --- [           main] "
                    "org.apache.catalina.core.StandardEngine  : Starting Servlet Engine: "
                    "Apache Tomcat/7.0.52"),
            (Strings{"time=s:2014-03-05T10:57:51.112", "level=s:info", "pid=i:45469",
                     "thread=s:main", "logger=s:org.apache.catalina.core.StandardEngine",
                     "message=s:Starting Servlet Engine: Apache Tomcat/7.0.52"}));
  EXPECT_EQ(ParseOk("2014-03-05 10:57:51.253  INFO 45469 --- [ost-startStop-1] "
                    "o.a.c.c.C.[Tomcat].[localhost].[/]       : Initializing Spring embedded "
                    "WebApplicationContext"),
            (Strings{"time=s:2014-03-05T10:57:51.253", "level=s:info", "pid=i:45469",
                     "thread=s:ost-startStop-1", "logger=s:o.a.c.c.C.[Tomcat].[localhost].[/]",
                     "message=s:Initializing Spring embedded WebApplicationContext"}));
  // Boot 3: ISO time with an offset, the application name before the thread.
  EXPECT_EQ(ParseOk("2025-05-10T01:34:33.608Z  INFO 88909 --- [myapp] [           main] "
                    "o.s.b.d.f.logexample.MyApplication       : Starting MyApplication using Java "
                    "17.0.15 with PID 88909"),
            (Strings{"time=s:2025-05-10T01:34:33.608Z", "level=s:info", "pid=i:88909",
                     "app=s:myapp", "thread=s:main", "logger=s:o.s.b.d.f.logexample.MyApplication",
                     "message=s:Starting MyApplication using Java 17.0.15 with PID 88909"}));
  EXPECT_EQ(ParseOk("2023-11-23T13:39:52.622+01:00 ERROR 35705 --- [myapp] [           main] "
                    "[803B448A0489F84084905D3093480352-3425F23BB2432450] o.s.b.App : boom"),
            (Strings{"time=s:2023-11-23T13:39:52.622+01:00", "level=s:error", "pid=i:35705",
                     "app=s:myapp", "thread=s:main",
                     "correlation=s:803B448A0489F84084905D3093480352-3425F23BB2432450",
                     "logger=s:o.s.b.App", "message=s:boom"}));
  // No PID ("${PID:- }") and a blank correlation bracket.
  EXPECT_EQ(ParseOk("2023-11-23 13:39:52.622 DEBUG   --- [main] [                    ] o.s.X : m"),
            (Strings{"time=s:2023-11-23T13:39:52.622", "level=s:debug", "thread=s:main",
                     "logger=s:o.s.X", "message=s:m"}));
  EXPECT_FALSE(Parse("2023-11-23 13:39:52.622  INFO 1 --- o.s.X : m").ok);
  EXPECT_FALSE(Parse("2023-11-23 13:39:52.622  INFO 1 --- [main o.s.X : m").ok);
}

TEST(ParseApplogTest, ZooKeeperLayouts) {
  // "%d{ISO8601} [myid:%X{myid}] - %-5p [%t:%C{1}@%L] - %m%n"
  EXPECT_EQ(ParseOk("2026-12-05 21:27:01,123 [myid:1] - INFO  "
                    "[QuorumPeer[myid=1](plain=0.0.0.0:2181):QuorumPeer@1424] - LOOKING"),
            (Strings{"time=s:2026-12-05T21:27:01.123", "level=s:info",
                     "thread=s:QuorumPeer[myid=1](plain=0.0.0.0:2181)", "context=s:myid:1",
                     "logger=s:QuorumPeer", "line=i:1424", "message=s:LOOKING"}));
  // The older "%d{ISO8601} - %-5p [%t:%C{1}@%L] - %m%n".
  EXPECT_EQ(ParseOk("2012-07-11 19:40:46,523 - WARN  [main:QuorumPeerConfig@90] - Reading "
                    "configuration from: /etc/zookeeper/zoo.cfg"),
            (Strings{"time=s:2012-07-11T19:40:46.523", "level=s:warn", "thread=s:main",
                     "logger=s:QuorumPeerConfig", "line=i:90",
                     "message=s:Reading configuration from: /etc/zookeeper/zoo.cfg"}));
}

TEST(ParseApplogTest, PythonLogging) {
  // The cookbook's "%(asctime)s - %(name)s - %(levelname)s - %(message)s".
  EXPECT_EQ(ParseOk("2026-12-05 21:27:01,123 - simple_example - WARNING - warn message"),
            (Strings{"time=s:2026-12-05T21:27:01.123", "level=s:warn", "logger=s:simple_example",
                     "message=s:warn message"}));
  EXPECT_EQ(ParseOk("2026-12-05 21:27:01,123 - app.db - CRITICAL - "),
            (Strings{"time=s:2026-12-05T21:27:01.123", "level=s:critical", "logger=s:app.db",
                     "message=s:"}));
  // "%(asctime)s - %(levelname)s - %(message)s".
  EXPECT_EQ(
      ParseOk("2026-12-05 21:27:01,123 - ERROR - it broke - twice"),
      (Strings{"time=s:2026-12-05T21:27:01.123", "level=s:error", "message=s:it broke - twice"}));
  // basicConfig's default "%(levelname)s:%(name)s:%(message)s" has no time: not accepted.
  EXPECT_FALSE(Parse("WARNING:root:Watch out!").ok);
  EXPECT_FALSE(Parse("2026-12-05 21:27:01,123 - app.db - NOTALEVEL - x").ok);
  EXPECT_FALSE(Parse("2026-12-05 21:27:01,123 - app.db - INFO: x").ok);
}

TEST(ParseApplogTest, ZapConsoleEncoder) {
  // Development config: ISO8601 time, capital level, logger, caller, message, context JSON.
  EXPECT_EQ(ParseOk("2026-12-05T21:27:01.123Z\tINFO\tserver\tcmd/main.go:42\tlistening\t"
                    "{\"port\": 8080}"),
            (Strings{"time=s:2026-12-05T21:27:01.123Z", "level=s:info", "logger=s:server",
                     "caller=s:cmd/main.go:42", "message=s:listening\t{\"port\": 8080}"}));
  EXPECT_EQ(ParseOk("2026-12-05T21:27:01.123+0100\tDPANIC\tmain.go:7\tbad thing"),
            (Strings{"time=s:2026-12-05T21:27:01.123+01:00", "level=s:dpanic", "caller=s:main.go:7",
                     "message=s:bad thing"}));
  EXPECT_EQ(ParseOk("2026-12-05T21:27:01.123-0530\twarn\tjust a message"),
            (Strings{"time=s:2026-12-05T21:27:01.123-05:30", "level=s:warn",
                     "message=s:just a message"}));
  EXPECT_FALSE(Parse("2026-12-05T21:27:01.123Z\tstdout\tF x").ok);
}

TEST(ParseApplogTest, RubyLogger) {
  EXPECT_EQ(ParseOk("I, [2026-12-05T21:27:01.123456 #1234]  INFO -- : Started GET \"/\" for ::1"),
            (Strings{"time=s:2026-12-05T21:27:01.123456", "level=s:info", "pid=i:1234",
                     "message=s:Started GET \"/\" for ::1"}));
  EXPECT_EQ(ParseOk("W, [2026-12-05T21:27:01.000001#77]  WARN -- sidekiq: retrying: job 5"),
            (Strings{"time=s:2026-12-05T21:27:01.000001", "level=s:warn", "pid=i:77",
                     "logger=s:sidekiq", "message=s:retrying: job 5"}));
  EXPECT_EQ(ParseOk("E, [2026-12-05T21:27:01.5 #1] ERROR -- app:"),
            (Strings{"time=s:2026-12-05T21:27:01.5", "level=s:error", "pid=i:1", "logger=s:app",
                     "message=s:"}));
  EXPECT_FALSE(Parse("I, [2026-12-05T21:27:01.123456 #1234] ERROR -- : x").ok);  // letter
  EXPECT_FALSE(Parse("I, [2026-12-05T21:27:01.123456 #1234]  INFO - : x").ok);
  EXPECT_FALSE(Parse("I, [2026-12-05T21:27:01.123456 #x]  INFO -- : x").ok);
}

TEST(ParseApplogTest, HadoopSparkAndHdfs) {
  EXPECT_EQ(ParseOk("15/09/01 21:38:20 INFO executor.Executor: Finished task 0.0 in stage 0.0"),
            (Strings{"time=s:2015-09-01T21:38:20", "level=s:info", "logger=s:executor.Executor",
                     "message=s:Finished task 0.0 in stage 0.0"}));
  // 69..99 are 1969..1999.
  EXPECT_EQ(ParseOk("99/12/31 23:59:59 WARN x.Y: z")[0], "time=s:1999-12-31T23:59:59");
  EXPECT_EQ(ParseOk("68/01/01 00:00:00 WARN x.Y: z")[0], "time=s:2068-01-01T00:00:00");
  EXPECT_EQ(ParseOk("69/01/01 00:00:00 WARN x.Y: z")[0], "time=s:1969-01-01T00:00:00");
  EXPECT_EQ(ParseOk("081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 "
                    "for block blk_38865049064139660 terminating"),
            (Strings{"time=s:2008-11-09T20:36:15", "level=s:info", "pid=i:148",
                     "logger=s:dfs.DataNode$PacketResponder",
                     "message=s:PacketResponder 1 for block blk_38865049064139660 terminating"}));
  EXPECT_EQ(ParseOk("081109 203615 INFO dfs.FSNamesystem: BLOCK* ask"),
            (Strings{"time=s:2008-11-09T20:36:15", "level=s:info", "logger=s:dfs.FSNamesystem",
                     "message=s:BLOCK* ask"}));
  EXPECT_FALSE(Parse("081109 203615 148 dfs.DataNode: x").ok);
  EXPECT_FALSE(Parse("15/02/29 21:38:20 INFO x.Y: z").ok);  // 2015 is not a leap year
}

TEST(ParseApplogTest, GoLog) {
  EXPECT_EQ(ParseOk("2009/11/10 23:00:00 Hello, playground"),
            (Strings{"time=s:2009-11-10T23:00:00", "message=s:Hello, playground"}));
  EXPECT_EQ(ParseOk("2009/11/10 23:00:00.123456 main.go:17: listening on :8080"),
            (Strings{"time=s:2009-11-10T23:00:00.123456", "caller=s:main.go:17",
                     "message=s:listening on :8080"}));
  // slog's default handler writes through log: the level comes out.
  EXPECT_EQ(ParseOk("2022/11/08 15:28:26 INFO hello count=3"),
            (Strings{"time=s:2022-11-08T15:28:26", "level=s:info", "message=s:hello count=3"}));
  // A lower-case first word is part of the message.
  EXPECT_EQ(ParseOk("2022/11/08 15:28:26 error reading file"),
            (Strings{"time=s:2022-11-08T15:28:26", "message=s:error reading file"}));
  EXPECT_EQ(ParseOk("2022/11/08 15:28:26"), (Strings{"time=s:2022-11-08T15:28:26", "message=s:"}));
  EXPECT_FALSE(Parse("2022/11/08 15:28").ok);
  EXPECT_FALSE(Parse("2022/11/08 15:28:26.").ok);
}

TEST(ParseApplogTest, ZonesAndPrecision) {
  EXPECT_EQ(ParseOk("2026-12-05T21:27:01Z INFO x")[0], "time=s:2026-12-05T21:27:01Z");
  EXPECT_EQ(ParseOk("2026-12-05T21:27:01.123456789-07:00 INFO x")[0],
            "time=s:2026-12-05T21:27:01.123456789-07:00");
  EXPECT_EQ(ParseOk("2026-12-05 21:27:01,1 INFO x")[0], "time=s:2026-12-05T21:27:01.1");
  // A zone-less time takes the configured zone; a line's own zone wins.
  TimeContext context;
  context.zone = 60;
  EXPECT_EQ(ParseOk("2026-12-05 21:27:01,123 INFO x", context)[0],
            "time=s:2026-12-05T21:27:01.123+01:00");
  EXPECT_EQ(ParseOk("2026-12-05 21:27:01,123Z INFO x", context)[0],
            "time=s:2026-12-05T21:27:01.123Z");
  EXPECT_EQ(ParseOk("15/09/01 21:38:20 INFO x: y", context)[0], "time=s:2015-09-01T21:38:20+01:00");
  EXPECT_FALSE(Parse("2026-12-05T21:27:01.1234567890 INFO x").ok);
  EXPECT_FALSE(Parse("2026-12-05T21:27:01+25:00 INFO x").ok);
  EXPECT_FALSE(Parse("2026-12-05T21:27:01+01:6 INFO x").ok);
}

TEST(ParseApplogTest, ImpossibleDatesAreErrors) {
  for (const char* line :
       {"2026-02-30 10:00:00,000 INFO x", "2026-12-05 25:00:00,000 INFO x",
        "2026-13-05 10:00:00 INFO x", "2026-12-05 10:60:00 INFO x", "0000-01-01 10:00:00 INFO x",
        "2026/02/29 10:00:00 x", "260230 100000 1 INFO a: b",
        "E, [2026-04-31T00:00:00.1 #1] ERROR -- : x", "2026-02-29T10:00:00.1Z\tINFO\tx"}) {
    const Parsed p = Parse(line);
    EXPECT_FALSE(p.ok) << line;
    EXPECT_EQ(p.error, "date or time is out of range") << line;
  }
  EXPECT_TRUE(Parse("2024-02-29 10:00:00,000 INFO x").ok);
  EXPECT_TRUE(Parse("2026-12-31 23:59:60,000 INFO leap second").ok);
}

TEST(ParseApplogTest, TruncatedLinesAreErrors) {
  for (const char* line :
       {"", "2", "2026-12-05", "2026-12-05 21:27", "2026-12-05 21:27:01", "2026-12-05 21:27:01,",
        "2026-12-05 21:27:01,123", "2026-12-05 21:27:01,123 ", "2026-12-05 21:27:01,123 [main",
        "2026-12-05 21:27:01,123 [main]", "2026-12-05 21:27:01,123 - ", "15/09/01 21:38",
        "081109 2036", "I, [2026-12-05T21:27:01.123456 #1234", "2026-12-05T21:27:01+01"}) {
    const Parsed p = Parse(line);
    EXPECT_FALSE(p.ok) << "'" << line << "'";
    EXPECT_FALSE(p.error.empty()) << line;
  }
}

TEST(ParseApplogTest, OtherFormatsFail) {
  for (const char* line : {
           // syslog: BSD, rsyslog's high-precision file format, RFC 5424
           "Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186",
           "2026-12-05T21:27:01.123456+00:00 host sshd[42]: Accepted publickey for root",
           "2026-12-05T21:27:01.123456+00:00 web-01 kernel: [  12.345] eth0: link up",
           "<34>1 2026-12-05T21:27:01.003Z mymachine su - ID47 - 'su root' failed",
           // access, nginx error, apache error
           "127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] \"GET /a.gif HTTP/1.0\" 200 2326",
           "2026/12/05 21:27:01 [error] 1234#0: *5 open() \"/x\" failed, client: 10.0.0.1",
           "2026/12/05 21:27:01 [notice] 1#1: start worker processes",
           "[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok",
           // JSON, docker, cri, logcat, glog, logfmt
           "{\"time\":\"2026-12-05T21:27:01Z\",\"level\":\"info\",\"msg\":\"x\"}",
           "2026-12-05T21:27:01.123456789Z stdout F hello",
           "03-17 16:13:38.811  1702  2395 D WindowManager: printFreezingDisplayLogs",
           "I1205 21:27:01.123456    1234 file.go:42] msg",
           "time=2026-12-05T21:27:01Z level=info msg=x",
           // Log layouts without a date
           "21:27:01.123 [main] INFO  com.example.App - started",
       }) {
    EXPECT_FALSE(Parse(line).ok) << line;
  }
}

// Every prefix of a valid line of each layout, and each with one byte changed, either parses or
// fails cleanly (Parse checks that a failure leaves no fields); under the sanitizers this also
// checks that no layout reads past the line.
TEST(ParseApplogTest, PrefixesAndMutationsFailCleanly) {
  const char* const lines[] = {
      "2015-10-18 18:01:47,978 INFO [main] org.apache.hadoop.mapreduce.v2.app.MRAppMaster: x",
      "2025-05-10T01:34:33.608+01:00  INFO 88909 --- [myapp] [ main] o.s.b.App  : Starting",
      "2026-12-05 21:27:01,123 [myid:1] - INFO  [main:QuorumPeer@1424] - LOOKING",
      "2026-12-05 21:27:01,123 - simple_example - WARNING - warn message",
      "2026-12-05T21:27:01.123+0100\tINFO\tserver\tcmd/main.go:42\tlistening",
      "I, [2026-12-05T21:27:01.123456 #1234]  INFO -- app: Started GET",
      "15/09/01 21:38:20 INFO executor.Executor: Finished task",
      "081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1",
      "2009/11/10 23:00:00.123456 main.go:17: INFO listening",
  };
  const std::string mutations = " \t[]:-,./#0Z+";
  for (const std::string_view full : lines) {
    EXPECT_TRUE(Parse(full).ok) << full;
    for (std::size_t n = 0; n < full.size(); ++n) {
      const std::string prefix(full.substr(0, n));
      Parse(prefix);
      for (const char c : mutations) {
        std::string changed(full);
        changed[n] = c;
        Parse(changed);
      }
    }
  }
}

TEST(ParseApplogTest, ReusesTheRecordAndClearsAnOldError) {
  flow::Record r;
  flow::Arena arena;
  const TimeContext time;
  EXPECT_FALSE(ParseApplogLine("nonsense", r, arena, time));
  EXPECT_TRUE(ParseApplogLine("2026-12-05 21:27:01,123 INFO [main] a.B: c", r, arena, time));
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(Fields(r), (Strings{"time=s:2026-12-05T21:27:01.123", "level=s:info", "thread=s:main",
                                "logger=s:a.B", "message=s:c"}));
  EXPECT_FALSE(ParseApplogLine("2026-12-05 21:27:01,123 host x", r, arena, time));
  EXPECT_TRUE(r.fields.empty());
  EXPECT_EQ(r.error, "expected a level after the time");
}

}  // namespace
}  // namespace ringflow::stages
