// The settings a front end hands to framework/run as the user typed them: MakeBatchOptions,
// ApplyCheckpointSettings and MakePacingOptions check and map them, with messages that name the
// option as the command line spells it.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "framework/run/batch.h"
#include "framework/run/pacing.h"
#include "framework/run/run.h"

namespace ringflow::run {
namespace {

std::string ErrorOf(const ReadSettings& s) {
  auto r = MakeBatchOptions(s, {"logs"});
  EXPECT_FALSE(r.ok());
  if (r.ok()) return "";
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
  return r.error().message();
}

TEST(MakeBatchOptionsTest, MapsEverySetting) {
  ReadSettings s;
  s.backend = "pread";
  s.buffer_size = "128K";
  s.threads = 3;
  s.buffers = 16;
  s.open_files = 10;
  s.reads_per_file = 2;
  s.queue_depth = 64;
  s.direct = true;
  s.sqpoll = true;
  s.recursive = false;
  s.skip_hidden = true;
  s.progress = true;
  s.stats = true;
  auto r = MakeBatchOptions(s, {"a", "b"});
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->paths, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(r->engine.backend, uring::BackendKind::kPread);
  EXPECT_EQ(r->buffer_size, 128u << 10);
  EXPECT_EQ(r->threads, 3u);
  EXPECT_EQ(r->buffers, 16u);
  EXPECT_EQ(r->engine.file_slots, 10u);
  EXPECT_EQ(r->reader.max_open_files, 10u);
  EXPECT_EQ(r->reader.reads_per_file, 2u);
  EXPECT_EQ(r->engine.queue_depth, 64u);
  EXPECT_EQ(r->reader.max_in_flight, 128u);
  EXPECT_TRUE(r->reader.direct);
  EXPECT_TRUE(r->engine.sqpoll);
  EXPECT_FALSE(r->walk.recursive);
  EXPECT_TRUE(r->walk.skip_hidden);
  EXPECT_TRUE(r->progress);
  EXPECT_TRUE(r->stats);
}

TEST(MakeBatchOptionsTest, DefaultsLeaveThreadsAndBuffersToTheReader) {
  auto r = MakeBatchOptions(ReadSettings{}, {"logs"});
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->threads, 0u);
  EXPECT_EQ(r->buffers, 0u);
  EXPECT_EQ(r->buffer_size, 0u);
  EXPECT_TRUE(r->walk.recursive);
}

TEST(MakeBatchOptionsTest, RefusesValuesOutOfRangeNamingTheOption) {
  ReadSettings s;
  s.threads = 0;  // given: an error, not "the default"
  EXPECT_EQ(ErrorOf(s), "--threads must be between 1 and 256, not 0");
  s = {};
  s.buffers = 1;
  EXPECT_EQ(ErrorOf(s), "--buffers must be between 2 and 65536, not 1");
  s = {};
  s.queue_depth = 4097;
  EXPECT_EQ(ErrorOf(s), "--queue-depth must be between 1 and 4096, not 4097");
  s = {};
  s.open_files = -1;
  EXPECT_EQ(ErrorOf(s), "--open-files must be between 1 and 65536, not -1");
  s = {};
  s.reads_per_file = 65;
  EXPECT_EQ(ErrorOf(s), "--reads-per-file must be between 1 and 64, not 65");
  s = {};
  s.buffer_size = "6K";
  EXPECT_EQ(ErrorOf(s), "--buffer-size must be a multiple of 4K between 4K and 1G");
  s = {};
  s.buffer_size = "1M";
  s.buffers = 2048;
  EXPECT_EQ(ErrorOf(s), "--buffers x --buffer-size must stay within 1G per thread");
  s = {};
  s.backend = "mmap";
  EXPECT_NE(ErrorOf(s).find("mmap"), std::string::npos);
}

TEST(ApplyCheckpointSettingsTest, SetsTheScheduleOnlyWithAFile) {
  RunOptions options;
  ASSERT_TRUE(ApplyCheckpointSettings({}, options).ok());
  EXPECT_EQ(options.checkpoint, "");

  ASSERT_TRUE(ApplyCheckpointSettings({"run.ckpt", true, "2MiB", "250ms"}, options).ok());
  EXPECT_EQ(options.checkpoint, "run.ckpt");
  EXPECT_TRUE(options.resume);
  EXPECT_EQ(options.checkpoint_bytes, 2u << 20);
  EXPECT_EQ(options.checkpoint_interval, std::chrono::milliseconds(250));
}

TEST(ApplyCheckpointSettingsTest, RefusesBadSettingsAndLeavesTheOptions) {
  RunOptions options;
  const Status no_file = ApplyCheckpointSettings({"", true, "64MiB", "1s"}, options);
  ASSERT_FALSE(no_file.ok());
  EXPECT_EQ(no_file.error().message(), "--resume needs --checkpoint FILE");
  const Status zero = ApplyCheckpointSettings({"c", false, "0", "1s"}, options);
  ASSERT_FALSE(zero.ok());
  EXPECT_EQ(zero.error().message(), "--checkpoint-every: must be above 0");
  const Status size = ApplyCheckpointSettings({"c", false, "lots", "1s"}, options);
  ASSERT_FALSE(size.ok());
  EXPECT_EQ(size.error().message().rfind("--checkpoint-every: ", 0), 0u);
  const Status interval = ApplyCheckpointSettings({"c", false, "1MiB", "soon"}, options);
  ASSERT_FALSE(interval.ok());
  EXPECT_EQ(interval.error().message().rfind("--checkpoint-interval: ", 0), 0u);
  EXPECT_EQ(options.checkpoint, "");
}

TEST(MakePacingOptionsTest, MapsRateSpeedAndGap) {
  auto none = MakePacingOptions({});
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->rate.has_value());
  EXPECT_EQ(none->speed, 0);
  EXPECT_EQ(none->max_gap, std::chrono::seconds(60));

  auto paced = MakePacingOptions({"20klines/s", 10.0, "5s"});
  ASSERT_TRUE(paced.ok()) << paced.error().message();
  ASSERT_TRUE(paced->rate.has_value());
  EXPECT_EQ(paced->rate->unit, Rate::Unit::kLines);
  EXPECT_EQ(paced->rate->per_second, 20000);
  EXPECT_EQ(paced->speed, 10.0);
  EXPECT_EQ(paced->max_gap, std::chrono::seconds(5));
}

TEST(MakePacingOptionsTest, RefusesBadSettingsNamingTheOption) {
  auto prefix = [](const PacingSettings& s) {
    auto r = MakePacingOptions(s);
    EXPECT_FALSE(r.ok());
    if (r.ok()) return std::string();
    const std::string& m = r.error().message();
    return m.substr(0, m.find(':'));
  };
  EXPECT_EQ(prefix({"fast", std::nullopt, "60s"}), "--rate");
  EXPECT_EQ(prefix({"", 0.0, "60s"}), "--speed");
  EXPECT_EQ(prefix({"", -2.0, "60s"}), "--speed");
  EXPECT_EQ(prefix({"", 2e9, "60s"}), "--speed");
  EXPECT_EQ(prefix({"", std::nullopt, "-1s"}), "--max-gap");
}

}  // namespace
}  // namespace ringflow::run
