#include "framework/run/shard.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "framework/run/checkpoint.h"
#include "framework/run/discovery.h"
#include "framework/run/run.h"
#include "gtest/gtest.h"
#include "stages/builtins.h"
#include "tests/testing/test_util.h"

namespace ringflow::run {
namespace {

using ringflow::testing::TempDir;
using ringflow::testing::WriteFile;

// ---- K/N.

TEST(ShardTest, ParsesKOfN) {
  ASSERT_OK_AND_ASSIGN(config::ShardSpec one, config::ParseShard("1/3"));
  EXPECT_EQ(one.index, 1u);
  EXPECT_EQ(one.count, 3u);
  EXPECT_TRUE(one.enabled());
  ASSERT_OK_AND_ASSIGN(config::ShardSpec last, config::ParseShard("1024/1024"));
  EXPECT_EQ(last.index, 1024u);
  EXPECT_EQ(config::FormatShard(last), "1024/1024");
  ASSERT_OK_AND_ASSIGN(config::ShardSpec only, config::ParseShard("1/1"));
  EXPECT_EQ(config::FormatShard(only), "1/1");
  EXPECT_FALSE(config::ShardSpec{}.enabled());
  EXPECT_EQ(config::FormatShard(config::ShardSpec{}), "");
}

TEST(ShardTest, RefusesBadKOfNWithOneLine) {
  for (const char* text :
       {"", "3", "1/", "/3", "a/3", "1/b", "+1/3", " 1/3", "1/3 ", "1/3/4", "-1/3", "1.0/3"}) {
    Result<config::ShardSpec> shard = config::ParseShard(text);
    ASSERT_FALSE(shard.ok()) << text;
    EXPECT_EQ(shard.error().code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(shard.error().message().find("expected K/N"), std::string::npos)
        << shard.error().message();
    EXPECT_EQ(shard.error().message().find('\n'), std::string::npos);
  }
  EXPECT_EQ(config::ParseShard("0/3").error().message(),
            "not a shard: \"0/3\": K must be between 1 and N (1/3 ... 3/3)");
  EXPECT_EQ(config::ParseShard("4/3").error().message(),
            "not a shard: \"4/3\": K must be between 1 and N (1/3 ... 3/3)");
  EXPECT_EQ(config::ParseShard("1/0").error().message(),
            "not a shard: \"1/0\": N must be between 1 and 1024");
  EXPECT_EQ(config::ParseShard("1/1025").error().message(),
            "not a shard: \"1/1025\": N must be between 1 and 1024");
  EXPECT_FALSE(config::ParseShard("1/99999999999999999999999").ok());
}

// ---- The key.

TEST(ShardTest, KeyIsThePathBelowItsRoot) {
  const std::vector<std::string> roots = {"/mnt/logs", "other/", "."};
  EXPECT_EQ(ShardKey("/mnt/logs/web/app.log", roots), "web/app.log");
  EXPECT_EQ(ShardKey("other/web/app.log", roots), "web/app.log");
  EXPECT_EQ(ShardKey("./web/app.log", roots), "web/app.log");
  // Another mount of the same tree gives the same keys.
  EXPECT_EQ(ShardKey("/srv/x/web/app.log", {"/srv/x"}), "web/app.log");
  EXPECT_EQ(ShardKey("/srv/x//web/app.log", {"/srv/x//"}), "web/app.log");
  // "/mnt/logsX" is not below "/mnt/logs": the next root, then none (the path itself).
  EXPECT_EQ(ShardKey("/mnt/logsX/app.log", roots), "/mnt/logsX/app.log");
  // The first root that holds the path wins.
  EXPECT_EQ(ShardKey("a/b/c.log", {"a", "a/b"}), "b/c.log");
  EXPECT_EQ(ShardKey("a/b/c.log", {"a/b", "a"}), "c.log");
  EXPECT_EQ(ShardKey("/etc/hosts", {"/"}), "etc/hosts");
}

TEST(ShardTest, KeyOfARootThatIsAFileIsItsName) {
  EXPECT_EQ(ShardKey("logs/app.log", {"logs/app.log"}), "app.log");
  EXPECT_EQ(ShardKey("/var/log/missing/", {"/var/log/missing/"}), "missing");
  EXPECT_EQ(ShardKey("app.log", {"app.log"}), "app.log");
}

TEST(ShardTest, RotatedMembersHaveTheKeyOfTheirName) {
  const std::vector<std::string> roots = {"/logs"};
  for (const char* member :
       {"/logs/nginx/access.log", "/logs/nginx/access.log.1", "/logs/nginx/access.log.2.gz",
        "/logs/nginx/access.log.10.zst", "/logs/nginx/access.log-20261201",
        "/logs/nginx/access.log-20261130.gz", "/logs/nginx/access.log.2026-11-29"}) {
    EXPECT_EQ(ShardKey(member, roots), "nginx/access.log") << member;
  }
  EXPECT_EQ(ShardKey("/logs/nginx/error.log.1", roots), "nginx/error.log");
  // Not rotated members: their own names.
  EXPECT_EQ(ShardKey("/logs/nginx/access.log.gz", roots), "nginx/access.log.gz");
  EXPECT_EQ(ShardKey("/logs/nginx/s0000001.log", roots), "nginx/s0000001.log");
  // A file root that is a rotated member goes with its NAME too.
  EXPECT_EQ(ShardKey("/var/log/syslog.1", {"/var/log/syslog.1"}), "syslog");
}

// ---- The shard of a key: the rule as documented, against values computed outside ringflow
// (`xxhsum -H3` of the key, then SplitMix64 in Python, as the README's "Scaling out" states it).
// A change here changes which host reads which file: hosts on two releases would disagree.

TEST(ShardTest, ShardOfKeyMatchesTheDocumentedRule) {
  EXPECT_EQ(ShardOfKey("access.log", 3), 2u);
  EXPECT_EQ(ShardOfKey("app/2026/x.log", 4), 2u);
  EXPECT_EQ(ShardOfKey("web1/access.log", 2), 2u);
  EXPECT_EQ(ShardOfKey("a", 1024), 929u);
  EXPECT_EQ(ShardOfKey("syslog", 7), 7u);
  EXPECT_EQ(ShardOfKey("json/3/17/s0000123.log", 5), 3u);
  EXPECT_EQ(ShardOfKey("anything", 1), 1u);
}

std::vector<std::string> Keys(int n, const std::string& prefix = "k") {
  std::vector<std::string> keys;
  for (int i = 0; i < n; ++i) {
    keys.push_back(prefix + "/" + std::to_string(i % 7) + "/" + std::to_string(i) + ".log");
  }
  return keys;
}

TEST(ShardTest, SharesAreEvenByCount) {
  const std::vector<std::string> keys = Keys(20000);
  for (uint32_t n : {2u, 3u, 4u, 7u, 16u}) {
    std::vector<uint64_t> per(n + 1, 0);
    for (const std::string& key : keys) {
      const uint32_t k = ShardOfKey(key, n);
      ASSERT_GE(k, 1u);
      ASSERT_LE(k, n);
      ++per[k];
    }
    const double expected = static_cast<double>(keys.size()) / n;
    for (uint32_t k = 1; k <= n; ++k) {
      // Binomial: the standard deviation is below sqrt(expected); 6 of them would be a broken
      // hash, not chance (the keys are fixed, so the test is deterministic).
      EXPECT_NEAR(static_cast<double>(per[k]), expected, 6 * std::sqrt(expected))
          << "shard " << k << "/" << n;
    }
  }
}

TEST(ShardTest, MoreShardsMoveFilesOnlyToTheNewShard) {
  const std::vector<std::string> keys = Keys(5000);
  for (uint32_t n = 1; n < 9; ++n) {
    uint64_t moved = 0;
    for (const std::string& key : keys) {
      const uint32_t before = ShardOfKey(key, n);
      const uint32_t after = ShardOfKey(key, n + 1);
      if (before != after) {
        EXPECT_EQ(after, n + 1) << key;
        ++moved;
      }
    }
    // About 1/(n+1) of them move.
    const double expected = static_cast<double>(keys.size()) / (n + 1);
    EXPECT_NEAR(static_cast<double>(moved), expected, 6 * std::sqrt(expected)) << n;
  }
}

// ---- Discovery with a shard.

struct Tree {
  TempDir dir;
  void Add(const std::string& relative, std::size_t bytes = 10) {
    std::filesystem::create_directories(std::filesystem::path(dir.Join(relative)).parent_path());
    WriteFile(dir.Join(relative), std::string(bytes, 'x'));
  }
  Discovered Find(config::ShardSpec shard, FileOrder order = FileOrder::kRotation) const {
    DiscoveryOptions options;
    options.paths = {dir.path().string()};
    options.order = order;
    options.skip_hidden = true;
    options.shard = shard;
    return Discover(options);
  }
};

std::vector<std::string> Paths(const Discovered& found) {
  std::vector<std::string> paths;
  for (const uring::ReadJob& job : found.jobs) paths.push_back(job.path);
  return paths;
}

TEST(ShardTest, DiscoveryPartitionsTheFilesInOrder) {
  Tree tree;
  for (int i = 0; i < 200; ++i) {
    tree.Add("d" + std::to_string(i % 5) + "/f" + std::to_string(i) + ".log");
  }
  tree.Add("nginx/access.log");
  tree.Add("nginx/access.log.1");
  tree.Add("nginx/access.log.2.gz");
  tree.Add("d1/.hidden");  // a note: sharded like any job
  const Discovered all = tree.Find({});
  ASSERT_EQ(all.jobs.size(), 204u);
  EXPECT_EQ(all.jobs_all_shards, 204u);
  for (uint32_t n = 1; n <= 4; ++n) {
    std::multiset<std::string> seen;
    for (uint32_t k = 1; k <= n; ++k) {
      const Discovered share = tree.Find({k, n});
      EXPECT_EQ(share.jobs_all_shards, 204u);
      ASSERT_EQ(share.note.size(), share.jobs.size());
      std::size_t at = 0;  // the share is a subsequence of the unsharded order
      for (std::size_t i = 0; i < share.jobs.size(); ++i) {
        const uring::ReadJob& job = share.jobs[i];
        EXPECT_EQ(job.id, i);
        while (at < all.jobs.size() && all.jobs[at].path != job.path) ++at;
        ASSERT_LT(at, all.jobs.size()) << job.path << " out of order in " << k << "/" << n;
        EXPECT_EQ(share.note[i], all.note[at]) << job.path;
        EXPECT_EQ(job.skip.has_value(), all.jobs[at].skip.has_value()) << job.path;
        EXPECT_EQ(ShardOf(job.path, {tree.dir.path().string()}, n), k);
        seen.insert(job.path);
      }
      // A rotated set is on one shard, oldest first.
      const std::vector<std::string> paths = Paths(share);
      const auto live = std::find(paths.begin(), paths.end(), tree.dir.Join("nginx/access.log"));
      if (live != paths.end()) {
        ASSERT_GE(live - paths.begin(), 2);
        EXPECT_EQ(*(live - 2), tree.dir.Join("nginx/access.log.2.gz"));
        EXPECT_EQ(*(live - 1), tree.dir.Join("nginx/access.log.1"));
      } else {
        EXPECT_EQ(std::count_if(paths.begin(), paths.end(),
                                [](const std::string& p) {
                                  return p.find("/nginx/access.log") != std::string::npos;
                                }),
                  0);
      }
    }
    // Every file in exactly one shard.
    const std::vector<std::string> all_paths = Paths(all);
    EXPECT_EQ(seen, std::multiset<std::string>(all_paths.begin(), all_paths.end())) << n;
  }
}

TEST(ShardTest, AddedFilesMoveNoFile) {
  Tree tree;
  for (int i = 0; i < 100; ++i) tree.Add("a/f" + std::to_string(i) + ".log");
  std::map<std::string, uint32_t> before;
  for (uint32_t k = 1; k <= 3; ++k) {
    for (const std::string& p : Paths(tree.Find({k, 3}))) before[p] = k;
  }
  ASSERT_EQ(before.size(), 100u);
  for (int i = 0; i < 100; ++i) tree.Add("a/g" + std::to_string(i) + ".log");
  for (int i = 0; i < 20; ++i) tree.Add("b/new" + std::to_string(i) + "/x.log");
  tree.Add("a/f7.log.1");  // rotation: joins f7.log's shard
  std::map<std::string, uint32_t> after;
  for (uint32_t k = 1; k <= 3; ++k) {
    for (const std::string& p : Paths(tree.Find({k, 3}))) after[p] = k;
  }
  ASSERT_EQ(after.size(), 221u);
  for (const auto& [path, k] : before) EXPECT_EQ(after.at(path), k) << path;
  EXPECT_EQ(after.at(tree.dir.Join("a/f7.log.1")), after.at(tree.dir.Join("a/f7.log")));
}

TEST(ShardTest, MtimeOrderIsShardedAfterSorting) {
  Tree tree;
  for (int i = 0; i < 30; ++i) tree.Add("f" + std::to_string(i) + ".log");
  const Discovered all = tree.Find({}, FileOrder::kMtime);
  std::size_t total = 0;
  for (uint32_t k = 1; k <= 2; ++k) {
    const Discovered share = tree.Find({k, 2}, FileOrder::kMtime);
    std::size_t at = 0;
    for (const uring::ReadJob& job : share.jobs) {
      while (at < all.jobs.size() && all.jobs[at].path != job.path) ++at;
      ASSERT_LT(at, all.jobs.size()) << job.path;
    }
    total += share.jobs.size();
  }
  EXPECT_EQ(total, 30u);
}

// ---- The document and the checkpoint.

Result<config::PipelineConfig> Load(const std::string& shard_json) {
  StageRegistry registry;
  RINGFLOW_RETURN_IF_ERROR(stages::RegisterBuiltins(registry));
  DocumentSource doc;
  doc.text = R"({"source": {"paths": ["."])" + shard_json +
             R"(}, "stages": [{"name": "lines", "type": "lines"}],
                 "sinks": [{"name": "out", "type": "json", "input": "lines", "path": "-"}]})";
  return LoadDocument(registry, doc);
}

TEST(ShardTest, DocumentSourceShard) {
  ASSERT_OK_AND_ASSIGN(config::PipelineConfig none, Load(""));
  EXPECT_FALSE(none.source.shard.enabled());
  ASSERT_OK_AND_ASSIGN(config::PipelineConfig two, Load(R"(, "shard": "2/3")"));
  EXPECT_EQ(two.source.shard.index, 2u);
  EXPECT_EQ(two.source.shard.count, 3u);
  Result<config::PipelineConfig> bad = Load(R"(, "shard": "4/3")");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("source.shard: not a shard: \"4/3\": K must be between"),
            std::string::npos)
      << bad.error().message();
  Result<config::PipelineConfig> number = Load(R"(, "shard": 2)");
  ASSERT_FALSE(number.ok());
  EXPECT_NE(number.error().message().find("source.shard"), std::string::npos);
}

TEST(ShardTest, CheckpointDigestTellsShardsApart) {
  ASSERT_OK_AND_ASSIGN(config::PipelineConfig none, Load(""));
  ASSERT_OK_AND_ASSIGN(config::PipelineConfig one, Load(R"(, "shard": "1/3")"));
  ASSERT_OK_AND_ASSIGN(config::PipelineConfig two, Load(R"(, "shard": "2/3")"));
  ASSERT_OK_AND_ASSIGN(config::PipelineConfig two_of_four, Load(R"(, "shard": "2/4")"));
  const std::set<std::string> digests = {PipelineDigest(none), PipelineDigest(one),
                                         PipelineDigest(two), PipelineDigest(two_of_four)};
  EXPECT_EQ(digests.size(), 4u);
  config::PipelineConfig again = none;
  again.source.shard = config::ShardSpec{2, 3};
  EXPECT_EQ(PipelineDigest(again), PipelineDigest(two));
}

}  // namespace
}  // namespace ringflow::run
