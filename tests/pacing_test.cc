#include "framework/run/pacing.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "framework/core/error.h"
#include "framework/flow/record.h"
#include "tests/testing/test_util.h"

namespace ringflow::run {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = Pacer::Clock;

constexpr int64_t kMicros = 1000000;
// 2024-03-05T07:08:09Z
constexpr int64_t kMarch5 = int64_t{1709622489} * kMicros;

// ---- ParseRate ----

void ExpectRate(std::string_view text, Rate::Unit unit, double per_second) {
  SCOPED_TRACE(std::string(text));
  ASSERT_OK_AND_ASSIGN(const Rate rate, ParseRate(text));
  EXPECT_EQ(rate.unit, unit);
  EXPECT_DOUBLE_EQ(rate.per_second, per_second);
}

TEST(ParseRateTest, DecimalByteUnitsArePowersOfThousand) {
  ExpectRate("4096B/s", Rate::Unit::kBytes, 4096);
  ExpectRate("10kB/s", Rate::Unit::kBytes, 10e3);
  ExpectRate("10KB/s", Rate::Unit::kBytes, 10e3);
  ExpectRate("50MB/s", Rate::Unit::kBytes, 50e6);
  ExpectRate("2GB/s", Rate::Unit::kBytes, 2e9);
  ExpectRate("1.5GB/s", Rate::Unit::kBytes, 1.5e9);
  ExpectRate("0.5B/s", Rate::Unit::kBytes, 0.5);
  ExpectRate(".25MB/s", Rate::Unit::kBytes, 250e3);
}

TEST(ParseRateTest, BinaryByteUnitsArePowersOf1024) {
  ExpectRate("800KiB/s", Rate::Unit::kBytes, 800.0 * 1024);
  ExpectRate("2MiB/s", Rate::Unit::kBytes, 2.0 * 1024 * 1024);
  ExpectRate("1GiB/s", Rate::Unit::kBytes, 1024.0 * 1024 * 1024);
  ExpectRate("1.5KiB/s", Rate::Unit::kBytes, 1536);
}

TEST(ParseRateTest, UnitsAreCaseInsensitive) {
  ExpectRate("50mb/s", Rate::Unit::kBytes, 50e6);
  ExpectRate("50Mb/S", Rate::Unit::kBytes, 50e6);
  ExpectRate("1gib/s", Rate::Unit::kBytes, 1024.0 * 1024 * 1024);
  ExpectRate("8KIB/S", Rate::Unit::kBytes, 8192);
  ExpectRate("100b/s", Rate::Unit::kBytes, 100);
  ExpectRate("20KLINES/S", Rate::Unit::kLines, 20e3);
}

TEST(ParseRateTest, LinesWithOptionalDecimalPrefix) {
  ExpectRate("20000lines/s", Rate::Unit::kLines, 20000);
  ExpectRate("20klines/s", Rate::Unit::kLines, 20000);
  ExpectRate("20Klines/s", Rate::Unit::kLines, 20000);
  ExpectRate("1.5Mlines/s", Rate::Unit::kLines, 1.5e6);
  ExpectRate("2Glines/s", Rate::Unit::kLines, 2e9);
  ExpectRate("0.5lines/s", Rate::Unit::kLines, 0.5);
}

TEST(ParseRateTest, ErrorNamesTheTextAndTheAcceptedForms) {
  const Result<Rate> r = ParseRate("50MB");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(r.error().message(), "not a rate: \"50MB\"; use e.g. 50MB/s, 800KiB/s or 20000lines/s");
}

TEST(ParseRateTest, ZeroSaysItMustBeAboveZero) {
  const Result<Rate> r = ParseRate("0MB/s");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(r.error().message(),
            "not a rate: \"0MB/s\" (it must be above zero); use e.g. 50MB/s, 800KiB/s or "
            "20000lines/s");
}

TEST(ParseRateTest, RejectsMalformedRates) {
  for (const std::string_view text :
       {"",         "/s",           "MB/s",      "50",      "50MB",       "50MB/",
        "50MB/sec", "50MB/m",       "50MBps",    "0B/s",    "0.0lines/s", "-5MB/s",
        "+5MB/s",   "50XB/s",       "50KB /s",   "50 MB/s", " 50MB/s",    "50MB/s ",
        "50TB/s",   "50KiBlines/s", "50line/s",  "50k/s",   "50/s",       "1e6B/s",
        "infB/s",   "nanB/s",       "1.2.3MB/s", ".MB/s",   "50MiB/s/s"}) {
    SCOPED_TRACE(std::string(text));
    const Result<Rate> r = ParseRate(text);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(r.error().message().find("\"" + std::string(text) + "\""), std::string::npos)
        << r.error().message();
    EXPECT_NE(r.error().message().find("use e.g. 50MB/s, 800KiB/s or 20000lines/s"),
              std::string::npos);
  }
}

TEST(ParseRateTest, RejectsARateTooLargeForADouble) {
  const std::string huge = std::string(400, '9') + "GB/s";
  EXPECT_FALSE(ParseRate(huge).ok());
}

TEST(ParseRateTest, MessageEscapesControlBytes) {
  const Result<Rate> r = ParseRate("5\nMB/s");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message().find('\n'), std::string::npos) << r.error().message();
}

// ---- ParseDuration ----

void ExpectDuration(std::string_view text, microseconds expected) {
  SCOPED_TRACE(std::string(text));
  ASSERT_OK_AND_ASSIGN(const microseconds d, ParseDuration(text));
  EXPECT_EQ(d.count(), expected.count());
}

TEST(ParseDurationTest, AcceptsUnits) {
  ExpectDuration("30s", seconds(30));
  ExpectDuration("5m", std::chrono::minutes(5));
  ExpectDuration("1h", std::chrono::hours(1));
  ExpectDuration("250ms", milliseconds(250));
  ExpectDuration("0s", microseconds(0));
  ExpectDuration("0ms", microseconds(0));
}

TEST(ParseDurationTest, PlainNumberIsSeconds) {
  ExpectDuration("0", microseconds(0));
  ExpectDuration("90", seconds(90));
  ExpectDuration("0.25", milliseconds(250));
}

TEST(ParseDurationTest, AcceptsFractions) {
  ExpectDuration("1.5s", milliseconds(1500));
  ExpectDuration("0.5m", seconds(30));
  ExpectDuration("1.25h", std::chrono::minutes(75));
  ExpectDuration("0.5ms", microseconds(500));
  ExpectDuration("2.5", milliseconds(2500));
}

TEST(ParseDurationTest, RejectsOthersWithAMessage) {
  for (const std::string_view text :
       {"",    "s",      "ms",   "-1s", "-1", "+1s", "5d",  "5sec", "5 s", " 5s",
        "5s ", "1.5.1s", "1e3s", "abc", "5S", "5H",  "5us", "inf",  "nan", "1h30m"}) {
    SCOPED_TRACE(std::string(text));
    const Result<microseconds> d = ParseDuration(text);
    ASSERT_FALSE(d.ok());
    EXPECT_EQ(d.error().code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(d.error().message(),
              "not a duration: \"" + std::string(text) + "\"; use e.g. 30s, 5m, 1h or 250ms");
  }
}

TEST(ParseDurationTest, RejectsADurationThatDoesNotFit) {
  EXPECT_FALSE(ParseDuration("10000000000000000h").ok());
  EXPECT_FALSE(ParseDuration(std::string(400, '9')).ok());
}

// ---- ParseTimestampMicros ----

TEST(ParseTimestampTest, KnownEpochValues) {
  EXPECT_EQ(ParseTimestampMicros("2024-03-05T07:08:09Z"), kMarch5);
  EXPECT_EQ(ParseTimestampMicros("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(ParseTimestampMicros("1969-12-31T23:59:59Z"), -kMicros);
  EXPECT_EQ(ParseTimestampMicros("2000-01-01T00:00:00Z"), int64_t{946684800} * kMicros);
  EXPECT_EQ(ParseTimestampMicros("2024-12-31T23:59:59Z"), int64_t{1735689599} * kMicros);
  EXPECT_EQ(ParseTimestampMicros("1900-03-01T00:00:00Z"), int64_t{-2203891200} * kMicros);
  EXPECT_EQ(ParseTimestampMicros("0001-01-01T00:00:00Z"), int64_t{-62135596800} * kMicros);
  EXPECT_EQ(ParseTimestampMicros("9999-12-31T23:59:59Z"), int64_t{253402300799} * kMicros);
}

TEST(ParseTimestampTest, SeparatorsAndCase) {
  EXPECT_EQ(ParseTimestampMicros("2024-03-05t07:08:09z"), kMarch5);
  EXPECT_EQ(ParseTimestampMicros("2024-03-05 07:08:09Z"), kMarch5);
  EXPECT_EQ(ParseTimestampMicros("2024-03-05 07:08:09z"), kMarch5);
}

TEST(ParseTimestampTest, Offsets) {
  EXPECT_EQ(ParseTimestampMicros("2024-03-05T07:08:09+00:00"), kMarch5);
  EXPECT_EQ(ParseTimestampMicros("2024-03-05T07:08:09-00:00"), kMarch5);
  EXPECT_EQ(ParseTimestampMicros("2024-03-05T07:08:09+0000"), kMarch5);
  EXPECT_EQ(ParseTimestampMicros("2024-03-05T07:08:09+01:00"), int64_t{1709618889} * kMicros);
  EXPECT_EQ(ParseTimestampMicros("2024-03-05T07:08:09+0100"), int64_t{1709618889} * kMicros);
  EXPECT_EQ(ParseTimestampMicros("2024-03-05T07:08:09-05:30"), int64_t{1709642289} * kMicros);
  EXPECT_EQ(ParseTimestampMicros("2024-03-05T07:08:09-0530"), int64_t{1709642289} * kMicros);
  // The same instant written in two zones.
  EXPECT_EQ(ParseTimestampMicros("2024-03-05T23:30:00-02:00"),
            ParseTimestampMicros("2024-03-06T01:30:00Z"));
  EXPECT_EQ(ParseTimestampMicros("2024-03-05T07:08:09+23:59"),
            kMarch5 - int64_t{23 * 3600 + 59 * 60} * kMicros);
}

TEST(ParseTimestampTest, NoOffsetIsTakenAsUtc) {
  EXPECT_EQ(ParseTimestampMicros("2024-03-05T07:08:09"), kMarch5);
  EXPECT_EQ(ParseTimestampMicros("2024-03-05 07:08:09.5"), kMarch5 + 500000);
}

TEST(ParseTimestampTest, FractionsOfAnyLength) {
  EXPECT_EQ(ParseTimestampMicros("2024-03-05T07:08:09.5Z"), kMarch5 + 500000);
  EXPECT_EQ(ParseTimestampMicros("2024-03-05T07:08:09.123Z"), kMarch5 + 123000);
  EXPECT_EQ(ParseTimestampMicros("2024-03-05T07:08:09.123456Z"), kMarch5 + 123456);
  EXPECT_EQ(ParseTimestampMicros("2024-03-05T07:08:09.000001Z"), kMarch5 + 1);
  // Beyond microseconds: truncated, never rounded into the next second.
  EXPECT_EQ(ParseTimestampMicros("2024-03-05T07:08:09.123456789Z"), kMarch5 + 123456);
  EXPECT_EQ(ParseTimestampMicros("2024-03-05T07:08:09.9999999999Z"), kMarch5 + 999999);
  EXPECT_EQ(ParseTimestampMicros("2024-03-05T07:08:09.1234567+01:00"),
            int64_t{1709618889} * kMicros + 123456);
  EXPECT_EQ(ParseTimestampMicros("2024-03-05 07:08:09,250Z"), kMarch5 + 250000);
  // Before the epoch the fraction still counts forward.
  EXPECT_EQ(ParseTimestampMicros("1969-12-31T23:59:59.75Z"), -250000);
}

TEST(ParseTimestampTest, LeapDays) {
  EXPECT_EQ(ParseTimestampMicros("2024-02-29T00:00:00Z"), int64_t{1709164800} * kMicros);
  EXPECT_EQ(ParseTimestampMicros("2024-03-01T00:00:00Z"),
            ParseTimestampMicros("2024-02-29T00:00:00Z").value() + 86400 * kMicros);
  EXPECT_TRUE(ParseTimestampMicros("2000-02-29T00:00:00Z").has_value());  // divisible by 400
  EXPECT_EQ(ParseTimestampMicros("2023-02-29T00:00:00Z"), std::nullopt);
  EXPECT_EQ(ParseTimestampMicros("1900-02-29T00:00:00Z"), std::nullopt);  // divisible by 100
  EXPECT_EQ(ParseTimestampMicros("2024-02-30T00:00:00Z"), std::nullopt);
}

TEST(ParseTimestampTest, LeapSecondClampsTo59) {
  EXPECT_EQ(ParseTimestampMicros("2016-12-31T23:59:60Z"),
            ParseTimestampMicros("2016-12-31T23:59:59Z"));
  EXPECT_EQ(ParseTimestampMicros("2016-12-31T23:59:60.5Z"),
            ParseTimestampMicros("2016-12-31T23:59:59.5Z"));
  EXPECT_EQ(ParseTimestampMicros("2016-12-31T23:59:61Z"), std::nullopt);
}

TEST(ParseTimestampTest, RejectsOutOfRangeFields) {
  for (const std::string_view text :
       {"2024-13-05T07:08:09Z", "2024-00-05T07:08:09Z", "2024-03-00T07:08:09Z",
        "2024-03-32T07:08:09Z", "2024-04-31T07:08:09Z", "2024-03-05T24:00:00Z",
        "2024-03-05T07:60:09Z", "2024-03-05T07:08:61Z", "2024-03-05T07:08:09+24:00",
        "2024-03-05T07:08:09+01:60"}) {
    EXPECT_EQ(ParseTimestampMicros(text), std::nullopt) << text;
  }
}

TEST(ParseTimestampTest, RejectsGarbage) {
  for (const std::string_view text : {"",
                                      "garbage",
                                      "2024",
                                      "2024-03-05",
                                      "2024-03-05T",
                                      "2024-03-05T07:08",
                                      "2024-03-05T07:08Z",
                                      "2024-3-5T07:08:09Z",
                                      "24-03-05T07:08:09Z",
                                      "2024/03/05T07:08:09Z",
                                      "2024-03-05X07:08:09Z",
                                      "2024-03-05T07.08.09Z",
                                      " 2024-03-05T07:08:09Z",
                                      "2024-03-05T07:08:09Z ",
                                      "2024-03-05T07:08:09ZZ",
                                      "2024-03-05T07:08:09.Z",
                                      "2024-03-05T07:08:09+1",
                                      "2024-03-05T07:08:09+01",
                                      "2024-03-05T07:08:09+01:0",
                                      "2024-03-05T07:08:09+01:00:00",
                                      "2024-03-05T07:08:09 +01:00",
                                      "2024-03-05T07:08:09UTC",
                                      "+2024-03-05T07:08:09Z",
                                      "2024-03-05T07:08:09.12a3Z",
                                      "1709622489"}) {
    EXPECT_EQ(ParseTimestampMicros(text), std::nullopt) << text;
  }
}

// ---- RecordTimeMicros ----

flow::Record MakeRecord(std::initializer_list<flow::Field> fields) {
  flow::Record record;
  for (const flow::Field& f : fields) record.fields.push_back(f);
  return record;
}

TEST(RecordTimeTest, ReadsAnRfc3339String) {
  const flow::Record r = MakeRecord({{"msg", flow::Value::String("hello")},
                                     {"time", flow::Value::String("2024-03-05T07:08:09Z")}});
  EXPECT_EQ(RecordTimeMicros(r), kMarch5);
}

TEST(RecordTimeTest, NumbersAreEpochSeconds) {
  EXPECT_EQ(RecordTimeMicros(MakeRecord({{"ts", flow::Value::Int(1709622489)}})), kMarch5);
  EXPECT_EQ(RecordTimeMicros(MakeRecord({{"ts", flow::Value::Double(1709622489.25)}})),
            kMarch5 + 250000);
  EXPECT_EQ(RecordTimeMicros(MakeRecord({{"ts", flow::Value::Int(0)}})), 0);
  EXPECT_EQ(RecordTimeMicros(MakeRecord({{"ts", flow::Value::Double(-1.5)}})), -1500000);
}

TEST(RecordTimeTest, PrefersNamesInOrderWhateverTheFieldOrder) {
  // "time" wins though it comes last.
  EXPECT_EQ(RecordTimeMicros(MakeRecord({{"datetime", flow::Value::Int(5)},
                                         {"ts", flow::Value::Int(4)},
                                         {"@timestamp", flow::Value::Int(3)},
                                         {"timestamp", flow::Value::Int(2)},
                                         {"time", flow::Value::Int(1)}})),
            1 * kMicros);
  EXPECT_EQ(RecordTimeMicros(MakeRecord({{"datetime", flow::Value::Int(5)},
                                         {"ts", flow::Value::Int(4)},
                                         {"@timestamp", flow::Value::Int(3)},
                                         {"timestamp", flow::Value::Int(2)}})),
            2 * kMicros);
  EXPECT_EQ(RecordTimeMicros(MakeRecord({{"datetime", flow::Value::Int(5)},
                                         {"ts", flow::Value::Int(4)},
                                         {"@timestamp", flow::Value::Int(3)}})),
            3 * kMicros);
  EXPECT_EQ(RecordTimeMicros(
                MakeRecord({{"datetime", flow::Value::Int(5)}, {"ts", flow::Value::Int(4)}})),
            4 * kMicros);
  EXPECT_EQ(RecordTimeMicros(MakeRecord({{"datetime", flow::Value::Int(5)}})), 5 * kMicros);
}

TEST(RecordTimeTest, SkipsValuesThatAreNotTimes) {
  // An unparseable "time" gives way to the next name.
  EXPECT_EQ(
      RecordTimeMicros(MakeRecord({{"time", flow::Value::String("yesterday")},
                                   {"timestamp", flow::Value::String("2024-03-05T07:08:09Z")}})),
      kMarch5);
  // And to a later field of the same name.
  EXPECT_EQ(RecordTimeMicros(MakeRecord({{"time", flow::Value::Bool(true)},
                                         {"ts", flow::Value::Int(7)},
                                         {"time", flow::Value::Int(1709622489)}})),
            kMarch5);
  EXPECT_EQ(RecordTimeMicros(MakeRecord({{"time", flow::Value::Null()},
                                         {"ts", flow::Value::RawJson("{\"a\":1}")},
                                         {"datetime", flow::Value::Int(9)}})),
            9 * kMicros);
}

TEST(RecordTimeTest, NulloptWithoutATime) {
  EXPECT_EQ(RecordTimeMicros(flow::Record()), std::nullopt);
  EXPECT_EQ(RecordTimeMicros(MakeRecord({{"msg", flow::Value::String("2024-03-05T07:08:09Z")},
                                         {"Time", flow::Value::Int(1)},
                                         {"when", flow::Value::Int(2)}})),
            std::nullopt);
  EXPECT_EQ(RecordTimeMicros(MakeRecord({{"time", flow::Value::String("")},
                                         {"ts", flow::Value::Bool(false)},
                                         {"timestamp", flow::Value::RawJson("[1]")}})),
            std::nullopt);
  EXPECT_EQ(RecordTimeMicros(MakeRecord({{"time", flow::Value::String("1709622489")}})),
            std::nullopt);
}

TEST(RecordTimeTest, NumbersThatDoNotFitAreSkipped) {
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(RecordTimeMicros(MakeRecord({{"time", flow::Value::Double(inf)}})), std::nullopt);
  EXPECT_EQ(RecordTimeMicros(MakeRecord({{"time", flow::Value::Double(std::nan(""))}})),
            std::nullopt);
  EXPECT_EQ(RecordTimeMicros(MakeRecord({{"time", flow::Value::Double(1e300)}})), std::nullopt);
  EXPECT_EQ(
      RecordTimeMicros(MakeRecord({{"time", flow::Value::Int(std::numeric_limits<int64_t>::max())},
                                   {"ts", flow::Value::Int(3)}})),
      3 * kMicros);
}

// ---- Pacer ----

const Clock::time_point kT0 = Clock::time_point(seconds(1000));

PacingOptions RateOptions(Rate::Unit unit, double per_second) {
  PacingOptions o;
  o.rate = Rate{unit, per_second};
  return o;
}

PacingOptions SpeedOptions(double speed, microseconds max_gap = seconds(60)) {
  PacingOptions o;
  o.speed = speed;
  o.max_gap = max_gap;
  return o;
}

TEST(PacerTest, DisabledReturnsNow) {
  Pacer pacer{PacingOptions{}};
  EXPECT_FALSE(pacer.enabled());
  EXPECT_EQ(pacer.Due(1 << 20, kMarch5, kT0), kT0);
  EXPECT_EQ(pacer.Due(1 << 20, kMarch5 + 3600 * kMicros, kT0 + seconds(1)), kT0 + seconds(1));
  // Whatever `now` is, even one earlier than before.
  EXPECT_EQ(pacer.Due(10, std::nullopt, kT0 - seconds(5)), kT0 - seconds(5));
}

TEST(PacerTest, EnabledByRateOrSpeed) {
  EXPECT_TRUE(Pacer(RateOptions(Rate::Unit::kBytes, 1)).enabled());
  EXPECT_TRUE(Pacer(SpeedOptions(1)).enabled());
  EXPECT_FALSE(Pacer(SpeedOptions(0)).enabled());
}

TEST(PacerTest, RateInBytes) {
  Pacer pacer(RateOptions(Rate::Unit::kBytes, 1000));
  EXPECT_EQ(pacer.Due(500, std::nullopt, kT0), kT0);  // the first record is due at once
  EXPECT_EQ(pacer.Due(250, std::nullopt, kT0 + milliseconds(1)), kT0 + milliseconds(500));
  EXPECT_EQ(pacer.Due(0, std::nullopt, kT0 + milliseconds(2)), kT0 + milliseconds(750));
  // A record of no bytes does not delay the next one.
  EXPECT_EQ(pacer.Due(1000, std::nullopt, kT0 + milliseconds(3)), kT0 + milliseconds(750));
  EXPECT_EQ(pacer.Due(1, std::nullopt, kT0 + milliseconds(4)), kT0 + milliseconds(1750));
}

TEST(PacerTest, RateIgnoresTimestamps) {
  Pacer pacer(RateOptions(Rate::Unit::kBytes, 1000));
  EXPECT_EQ(pacer.Due(100, kMarch5, kT0), kT0);
  EXPECT_EQ(pacer.Due(100, kMarch5 + 3600 * kMicros, kT0), kT0 + milliseconds(100));
}

TEST(PacerTest, RateKeepsItsScheduleFromTheFirstRecord) {
  // Due times follow start + units / rate; a writer that falls behind is not pushed back.
  Pacer pacer(RateOptions(Rate::Unit::kBytes, 1000));
  EXPECT_EQ(pacer.Due(1000, std::nullopt, kT0), kT0);
  EXPECT_EQ(pacer.Due(1000, std::nullopt, kT0 + seconds(10)), kT0 + seconds(1));
  EXPECT_EQ(pacer.Due(1000, std::nullopt, kT0 + seconds(10)), kT0 + seconds(2));
}

TEST(PacerTest, FirstCallAnchorsTheSchedule) {
  Pacer pacer(RateOptions(Rate::Unit::kBytes, 1000));
  const Clock::time_point later = kT0 + seconds(42);
  EXPECT_EQ(pacer.Due(2000, std::nullopt, later), later);
  EXPECT_EQ(pacer.Due(1, std::nullopt, later), later + seconds(2));
}

TEST(PacerTest, RateInLinesCountsRecordsNotBytes) {
  Pacer pacer(RateOptions(Rate::Unit::kLines, 4));
  EXPECT_EQ(pacer.Due(1 << 20, std::nullopt, kT0), kT0);
  EXPECT_EQ(pacer.Due(1, std::nullopt, kT0), kT0 + milliseconds(250));
  EXPECT_EQ(pacer.Due(0, std::nullopt, kT0), kT0 + milliseconds(500));
  EXPECT_EQ(pacer.Due(100, kMarch5, kT0), kT0 + milliseconds(750));
  EXPECT_EQ(pacer.Due(100, std::nullopt, kT0), kT0 + seconds(1));
}

TEST(PacerTest, FractionalRate) {
  Pacer pacer(RateOptions(Rate::Unit::kLines, 3));
  EXPECT_EQ(pacer.Due(1, std::nullopt, kT0), kT0);
  const Clock::duration third = pacer.Due(1, std::nullopt, kT0) - kT0;
  EXPECT_NEAR(std::chrono::duration<double>(third).count(), 1.0 / 3, 1e-9);
  for (int i = 0; i < 299; ++i) (void)pacer.Due(1, std::nullopt, kT0);
  const Clock::duration hundred = pacer.Due(1, std::nullopt, kT0) - kT0;
  EXPECT_NEAR(std::chrono::duration<double>(hundred).count(), 301.0 / 3, 1e-6);
}

TEST(PacerTest, SpeedFollowsTheGapsBetweenTimestamps) {
  Pacer pacer(SpeedOptions(2));
  EXPECT_EQ(pacer.Due(100, kMarch5, kT0), kT0);  // the first timestamped record: at once
  EXPECT_EQ(pacer.Due(100, kMarch5 + 1 * kMicros, kT0), kT0 + milliseconds(500));
  EXPECT_EQ(pacer.Due(100, kMarch5 + 3 * kMicros, kT0), kT0 + milliseconds(1500));
  // Bytes do not matter for --speed.
  EXPECT_EQ(pacer.Due(1 << 30, kMarch5 + 4 * kMicros, kT0), kT0 + seconds(2));
}

TEST(PacerTest, SpeedOneReplaysInLogTime) {
  Pacer pacer(SpeedOptions(1));
  EXPECT_EQ(pacer.Due(1, kMarch5, kT0), kT0);
  EXPECT_EQ(pacer.Due(1, kMarch5 + 250000, kT0), kT0 + milliseconds(250));
  EXPECT_EQ(pacer.Due(1, kMarch5 + 1250001, kT0), kT0 + microseconds(1250001));
}

TEST(PacerTest, SpeedCutsGapsLongerThanMaxGap) {
  Pacer pacer(SpeedOptions(2));  // max_gap 60 s by default
  EXPECT_EQ(pacer.Due(1, kMarch5, kT0), kT0);
  EXPECT_EQ(pacer.Due(1, kMarch5 + 200 * kMicros, kT0), kT0 + seconds(30));  // 60 s / 2
  EXPECT_EQ(pacer.Due(1, kMarch5 + 202 * kMicros, kT0), kT0 + seconds(31));
  // A gap exactly max_gap is kept.
  EXPECT_EQ(pacer.Due(1, kMarch5 + 262 * kMicros, kT0), kT0 + seconds(61));

  Pacer custom(SpeedOptions(1, seconds(5)));
  EXPECT_EQ(custom.Due(1, kMarch5, kT0), kT0);
  EXPECT_EQ(custom.Due(1, kMarch5 + 10 * kMicros, kT0), kT0 + seconds(5));
  EXPECT_EQ(custom.Due(1, kMarch5 + 13 * kMicros, kT0), kT0 + seconds(8));

  Pacer no_gaps(SpeedOptions(1, microseconds(0)));
  EXPECT_EQ(no_gaps.Due(1, kMarch5, kT0), kT0);
  EXPECT_EQ(no_gaps.Due(1, kMarch5 + 10 * kMicros, kT0), kT0);
}

TEST(PacerTest, SpeedCountsNegativeGapsAsZero) {
  Pacer pacer(SpeedOptions(1));
  EXPECT_EQ(pacer.Due(1, kMarch5 + 10 * kMicros, kT0), kT0);
  EXPECT_EQ(pacer.Due(1, kMarch5 + 12 * kMicros, kT0), kT0 + seconds(2));
  // Back by 7 s: due with the record before.
  EXPECT_EQ(pacer.Due(1, kMarch5 + 5 * kMicros, kT0), kT0 + seconds(2));
  // The next gap is measured from the timestamp seen last.
  EXPECT_EQ(pacer.Due(1, kMarch5 + 6 * kMicros, kT0), kT0 + seconds(3));
}

TEST(PacerTest, SpeedRecordWithoutTimestampIsDueWithTheOneBefore) {
  Pacer pacer(SpeedOptions(1));
  // Before any timestamp: at once.
  EXPECT_EQ(pacer.Due(1, std::nullopt, kT0), kT0);
  EXPECT_EQ(pacer.Due(1, kMarch5, kT0 + seconds(1)), kT0);
  EXPECT_EQ(pacer.Due(1, kMarch5 + 4 * kMicros, kT0), kT0 + seconds(4));
  EXPECT_EQ(pacer.Due(1, std::nullopt, kT0), kT0 + seconds(4));
  EXPECT_EQ(pacer.Due(1, std::nullopt, kT0), kT0 + seconds(4));
  // The gap runs from the last timestamp, across the records without one.
  EXPECT_EQ(pacer.Due(1, kMarch5 + 5 * kMicros, kT0), kT0 + seconds(5));
}

TEST(PacerTest, SpeedSurvivesTimestampsFarApart) {
  Pacer pacer(SpeedOptions(1));
  const int64_t min = std::numeric_limits<int64_t>::min();
  const int64_t max = std::numeric_limits<int64_t>::max();
  EXPECT_EQ(pacer.Due(1, min, kT0), kT0);
  EXPECT_EQ(pacer.Due(1, max, kT0), kT0 + seconds(60));  // the gap would overflow int64_t
  EXPECT_EQ(pacer.Due(1, min, kT0), kT0 + seconds(60));
}

TEST(PacerTest, BothRateAndSpeedTakeTheLaterTime) {
  PacingOptions o = RateOptions(Rate::Unit::kBytes, 1000);
  o.speed = 1;
  Pacer pacer(o);
  EXPECT_EQ(pacer.Due(1000, kMarch5, kT0), kT0);
  // Rate: 1 s; speed: 0.5 s.
  EXPECT_EQ(pacer.Due(10, kMarch5 + 500000, kT0), kT0 + seconds(1));
  // Rate: 1.01 s; speed: 5.5 s.
  EXPECT_EQ(pacer.Due(10, kMarch5 + 5500000, kT0), kT0 + milliseconds(5500));
  // Rate: 1.02 s; no timestamp: speed keeps 5.5 s.
  EXPECT_EQ(pacer.Due(8000, std::nullopt, kT0), kT0 + milliseconds(5500));
  // Rate: 9.02 s; speed: 6 s.
  EXPECT_EQ(pacer.Due(10, kMarch5 + 6 * kMicros, kT0), kT0 + milliseconds(9020));
}

TEST(PacerTest, DueTimesNeverGoBack) {
  PacingOptions o = RateOptions(Rate::Unit::kLines, 10);
  o.speed = 4;
  o.max_gap = seconds(3);
  Pacer pacer(o);
  const std::vector<std::optional<int64_t>> stamps = {
      kMarch5,         std::nullopt,     kMarch5 + 10 * kMicros, kMarch5 - 100 * kMicros,
      std::nullopt,    kMarch5 + 100000, kMarch5 + 200000,       kMarch5 + 50 * kMicros,
      kMarch5 + 50000, std::nullopt,     kMarch5 + 51 * kMicros, kMarch5 + 52 * kMicros};
  Clock::time_point previous = kT0;
  Clock::time_point now = kT0;
  for (const std::optional<int64_t>& ts : stamps) {
    const Clock::time_point due = pacer.Due(100, ts, now);
    EXPECT_GE(due, previous);
    EXPECT_GE(due, kT0);
    previous = due;
    now += milliseconds(7);
  }
  // 12 lines at 10 lines/s: the last one no earlier than 1.1 s after the first.
  EXPECT_GE(previous, kT0 + milliseconds(1100));
}

TEST(PacerTest, HugeDelaysSaturateInsteadOfWrapping) {
  Pacer slow(RateOptions(Rate::Unit::kBytes, 1e-6));
  EXPECT_EQ(slow.Due(std::numeric_limits<uint64_t>::max(), std::nullopt, kT0), kT0);
  EXPECT_EQ(slow.Due(1, std::nullopt, kT0), Clock::time_point::max());
  EXPECT_EQ(slow.Due(1, std::nullopt, kT0), Clock::time_point::max());

  Pacer crawl(SpeedOptions(1e-300, std::chrono::hours(1)));
  EXPECT_EQ(crawl.Due(1, kMarch5, kT0), kT0);
  EXPECT_EQ(crawl.Due(1, kMarch5 + 3600 * kMicros, kT0), Clock::time_point::max());
}

}  // namespace
}  // namespace ringflow::run
