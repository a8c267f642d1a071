#include "framework/run/rotation.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "framework/run/discovery.h"
#include "framework/run/walk.h"
#include "gtest/gtest.h"
#include "tests/testing/test_util.h"

namespace ringflow::run {
namespace {

using ringflow::testing::TempDir;
using ringflow::testing::WriteFile;

// ---- Names.

TEST(RotationTest, OrderNamesRoundTrip) {
  for (FileOrder order : {FileOrder::kRotation, FileOrder::kPath, FileOrder::kMtime}) {
    EXPECT_EQ(ParseFileOrder(FileOrderName(order)), order);
  }
  EXPECT_EQ(FileOrderName(FileOrder::kRotation), "rotation");
  EXPECT_EQ(ParseFileOrder("Rotation"), std::nullopt);
  EXPECT_EQ(ParseFileOrder(""), std::nullopt);
}

TEST(RotationTest, NumberedMembers) {
  auto r = ParseRotatedName("access.log.1");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->kind, RotatedName::Kind::kNumbered);
  EXPECT_EQ(r->base, "access.log");
  EXPECT_EQ(r->number, 1u);
  EXPECT_EQ(r->ext, "");

  r = ParseRotatedName("access.log.14.gz");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->base, "access.log");
  EXPECT_EQ(r->number, 14u);
  EXPECT_EQ(r->ext, "gz");

  for (std::string_view ext : {"zst", "bz2", "xz", "lz4", "Z"}) {
    const std::string name = "syslog.3." + std::string(ext);  // r views into it
    r = ParseRotatedName(name);
    ASSERT_TRUE(r.has_value()) << ext;
    EXPECT_EQ(r->base, "syslog");
    EXPECT_EQ(r->number, 3u);
    EXPECT_EQ(r->ext, ext);
  }
  r = ParseRotatedName("messages.0");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->number, 0u);
  r = ParseRotatedName("v1.2");  // a member by its form; a family only with a sibling
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->base, "v1");
  EXPECT_EQ(r->number, 2u);
  r = ParseRotatedName("big.999999999");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->number, 999999999u);
}

TEST(RotationTest, DatedMembers) {
  struct Case {
    std::string_view name, base, stamp, ext;
  };
  for (const Case& c : {
           Case{"error.log-20261201.gz", "error.log", "20261201", "gz"},
           Case{"error.log-20261202", "error.log", "20261202", ""},
           Case{"error.log-2026120105", "error.log", "2026120105", ""},  // hourly: -%Y%m%d%H
           Case{"app.log.2026-12-01", "app.log", "20261201", ""},
           Case{"app.log.2026-12-01.zst", "app.log", "20261201", "zst"},
           Case{"app.log-2026-12-01", "app.log", "20261201", ""},
           Case{"x.log-20261201-1764547200.gz", "x.log", "202612011764547200", "gz"},  // -%s
           Case{"x.log-20261201_05:30", "x.log", "202612010530", ""},
           Case{"x.log_20261201", "x.log", "20261201", ""},
           Case{"report.20261201", "report", "20261201", ""},  // a date, not rotation 20261201
           Case{"a-20261201-20261202", "a-20261201", "20261202", ""},  // the last SEP that fits
       }) {
    const auto r = ParseRotatedName(c.name);
    ASSERT_TRUE(r.has_value()) << c.name;
    EXPECT_EQ(r->kind, RotatedName::Kind::kDated) << c.name;
    EXPECT_EQ(r->base, c.base) << c.name;
    EXPECT_EQ(r->stamp, c.stamp) << c.name;
    EXPECT_EQ(r->ext, c.ext) << c.name;
  }
  // Not a date: month 13, so the only reading left is rotation number 20261301.
  const auto r = ParseRotatedName("report.20261301");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->kind, RotatedName::Kind::kNumbered);
  EXPECT_EQ(r->number, 20261301u);
}

TEST(RotationTest, LookalikesAreNotMembers) {
  for (std::string_view name : {
           "access.log",        // the live file itself
           "s0000000.log",      // ends in a letter
           "foo.gz",            // compressed, no number
           "foo.bz2",           // ends in a digit, but that is the suffix
           "foo.01",            // leading zero: logrotate never pads
           "foo.1234567890",    // ten digits
           ".1",                // no NAME
           "1",                 // no separator
           "2026-12-01",        // a date with no NAME before it
           "foo-20261301",      // month 13, and no '.' for a number
           "foo-20261232",      // day 32
           "foo-18991231",      // year before 1900
           "foo-20261201.log",  // the date is not at the end
           "foo-20261201x",     // a letter after the date
           "foo.1.gz.gz",       // one suffix only
           "foo.1.GZ",          // suffixes as logrotate writes them
           "foo.-1",            // not decimal
       }) {
    EXPECT_FALSE(ParseRotatedName(name).has_value()) << name;
  }
}

std::vector<std::string> Ordered(const std::vector<std::string>& names) {
  const std::vector<std::string_view> views(names.begin(), names.end());
  std::vector<std::string> out;
  for (std::size_t i : RotationOrder(views)) out.push_back(names[i]);
  return out;
}

TEST(RotationTest, FamilyOldestFirstAtTheLiveFilesPlace) {
  const std::vector<std::string> names = {
      "b",
      "access.log.9.gz",
      "access.log",
      "access.logx",
      "access.log.1",
      "access.log.old",
      "access.log.10.gz",
      "access.log.2.gz",
      "a",
  };
  EXPECT_EQ(Ordered(names),
            (std::vector<std::string>{"a", "access.log.10.gz", "access.log.9.gz", "access.log.2.gz",
                                      "access.log.1", "access.log", "access.log.old", "access.logx",
                                      "b"}));
}

TEST(RotationTest, DatedByDateNumberedBeforeDatedLiveLast) {
  // Hour 05 of 2026-12-01 comes after that day's daily file and before 2026-12-02.
  const std::vector<std::string> names = {
      "error.log",
      "error.log-20261202",
      "error.log-20261201.gz",
      "error.log.1",
      "error.log-2026120105",
      "error.log.2.gz",
      "error.log-20251231.gz",
  };
  EXPECT_EQ(Ordered(names),
            (std::vector<std::string>{"error.log.2.gz", "error.log.1", "error.log-20251231.gz",
                                      "error.log-20261201.gz", "error.log-2026120105",
                                      "error.log-20261202", "error.log"}));
}

TEST(RotationTest, SameNumberCompressedAndNot) {
  EXPECT_EQ(Ordered({"x", "x.1.gz", "x.1", "x.2"}),
            (std::vector<std::string>{"x.2", "x.1", "x.1.gz", "x"}));
}

TEST(RotationTest, FamilyWithoutItsLiveFileSortsAtItsName) {
  // "m" is absent: m.1 and m.2.gz still make a family, placed where "m" would be.
  EXPECT_EQ(Ordered({"m.1", "z", "m-b", "m.2.gz", "a"}),
            (std::vector<std::string>{"a", "m.2.gz", "m.1", "m-b", "z"}));
}

TEST(RotationTest, LoneMembersAndNonMembersKeepBytewiseOrder) {
  // foo.1 without foo or another foo member, v1.2 alone, the project's corpus names.
  const std::vector<std::string> names = {"v1.2",       "s0000001.log",    "foo.1",  "s0000000.log",
                                          "foo.10.bak", "report-2026.txt", "foo.log"};
  std::vector<std::string> bytewise = names;
  std::sort(bytewise.begin(), bytewise.end());
  EXPECT_EQ(Ordered(names), bytewise);
  EXPECT_EQ(Ordered({}), std::vector<std::string>{});
}

// ---- Walks and discovery over a generated logrotate directory.

class RotatedDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const std::string& name : Names()) WriteFile(dir_.Join(name), name + "\n");
  }

  // access.log with .1 and .2.gz .. .14.gz, an error.log with dateext, unrelated files, and a
  // subdirectory with a family of its own.
  static std::vector<std::string> Names() {
    std::vector<std::string> names = {"access.log", "access.log.1"};
    for (int n = 2; n <= 14; ++n) names.push_back("access.log." + std::to_string(n) + ".gz");
    for (const char* name :
         {"error.log-20261201.gz", "error.log-20261202", "error.log", "s0000000.log",
          "s0000001.log", "notes.1", "v1.2", "zz/app.log", "zz/app.log.1", "zz/app.log-ignored"}) {
      names.push_back(name);
    }
    return names;
  }

  std::vector<std::string> Walked(FileOrder order) {
    WalkOptions options;
    options.order = order;
    std::vector<std::string> files;
    const std::string root = dir_.path().string();
    EXPECT_OK(Walk(
        {root}, options,
        [&](WalkFile&& file) { files.push_back(file.path.substr(root.size() + 1)); },
        [](const std::string& path, const Error& why) {
          ADD_FAILURE() << path << ": " << why.message();
        }));
    return files;
  }

  std::vector<std::string> Discovered(FileOrder order) {
    DiscoveryOptions options;
    options.paths = {dir_.path().string()};
    options.order = order;
    const run::Discovered found = Discover(options);
    std::vector<std::string> files;
    for (std::size_t i = 0; i < found.jobs.size(); ++i) {
      EXPECT_EQ(found.jobs[i].id, i);
      EXPECT_FALSE(found.jobs[i].skip.has_value()) << found.jobs[i].path;
      files.push_back(found.jobs[i].path.substr(options.paths[0].size() + 1));
    }
    return files;
  }

  TempDir dir_;
};

TEST_F(RotatedDirTest, PathOrderIsBytewise) {
  const std::vector<std::string> expected = {"access.log",
                                             "access.log.1",
                                             "access.log.10.gz",
                                             "access.log.11.gz",
                                             "access.log.12.gz",
                                             "access.log.13.gz",
                                             "access.log.14.gz",
                                             "access.log.2.gz",
                                             "access.log.3.gz",
                                             "access.log.4.gz",
                                             "access.log.5.gz",
                                             "access.log.6.gz",
                                             "access.log.7.gz",
                                             "access.log.8.gz",
                                             "access.log.9.gz",
                                             "error.log",
                                             "error.log-20261201.gz",
                                             "error.log-20261202",
                                             "notes.1",
                                             "s0000000.log",
                                             "s0000001.log",
                                             "v1.2",
                                             "zz/app.log",
                                             "zz/app.log-ignored",
                                             "zz/app.log.1"};
  EXPECT_EQ(Walked(FileOrder::kPath), expected);
  EXPECT_EQ(Discovered(FileOrder::kPath), expected);
  EXPECT_EQ(Walked(FileOrder::kMtime), expected);  // a walk alone cannot sort by time
}

TEST_F(RotatedDirTest, RotationOrderIsOldestFirst) {
  std::vector<std::string> expected;
  for (int n = 14; n >= 2; --n) expected.push_back("access.log." + std::to_string(n) + ".gz");
  for (const char* name :
       {"access.log.1", "access.log", "error.log-20261201.gz", "error.log-20261202", "error.log",
        "notes.1", "s0000000.log", "s0000001.log", "v1.2", "zz/app.log.1", "zz/app.log",
        "zz/app.log-ignored"}) {
    expected.push_back(name);
  }
  EXPECT_EQ(Walked(FileOrder::kRotation), expected);
  EXPECT_EQ(Discovered(FileOrder::kRotation), expected);
  EXPECT_EQ(DiscoveryOptions().order, FileOrder::kRotation);  // the default of a run
}

TEST_F(RotatedDirTest, MtimeOrderIsOldestFirstOverAllDirectories) {
  // Times in an order of their own: the k-th name of `by_time` gets second 1e9 + k, except that
  // the last two share one time and so fall back to bytewise order of their paths.
  const std::vector<std::string> by_time = {
      "zz/app.log.1", "v1.2",       "access.log.9.gz", "error.log",   "access.log.10.gz",
      "s0000001.log", "zz/app.log", "notes.1",         "access.log.1"};
  std::vector<std::string> expected = by_time;
  const std::vector<std::string> same_time = {"error.log-20261202", "access.log"};
  std::vector<std::string> rest;
  for (const std::string& name : Names()) {
    if (std::find(by_time.begin(), by_time.end(), name) == by_time.end() &&
        std::find(same_time.begin(), same_time.end(), name) == same_time.end()) {
      rest.push_back(name);
    }
  }
  auto set_time = [&](const std::string& name, time_t sec, long nsec) {
    const timespec times[2] = {{sec, nsec}, {sec, nsec}};
    ASSERT_EQ(::utimensat(AT_FDCWD, dir_.Join(name).c_str(), times, 0), 0) << name;
  };
  // Everything else is older than all of by_time, one nanosecond apart in reverse name order.
  std::sort(rest.begin(), rest.end());
  for (std::size_t i = 0; i < rest.size(); ++i) {
    set_time(rest[i], 1000000000 - 1, static_cast<long>(rest.size() - i));
  }
  for (std::size_t k = 0; k < by_time.size(); ++k) {
    set_time(by_time[k], 1000000000 + static_cast<time_t>(k), 0);
  }
  for (const std::string& name : same_time) set_time(name, 2000000000, 5);

  std::vector<std::string> older(rest.rbegin(), rest.rend());
  expected.insert(expected.begin(), older.begin(), older.end());
  expected.push_back("access.log");  // same time as error.log-20261202, and "a" < "e"
  expected.push_back("error.log-20261202");
  EXPECT_EQ(Discovered(FileOrder::kMtime), expected);
}

TEST_F(RotatedDirTest, MtimeOrderMovesNotesAndProblemsWithTheirJobs) {
  // A hidden file (a note) and a missing root (a problem that cannot be stat'ed).
  WriteFile(dir_.Join(".hidden.log"), "h\n");
  const timespec old_times[2] = {{5, 0}, {5, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, dir_.Join(".hidden.log").c_str(), old_times, 0), 0);
  DiscoveryOptions options;
  options.paths = {dir_.Join("access.log"), dir_.Join("missing"), dir_.Join(".hidden.log")};
  options.skip_hidden = true;
  options.order = FileOrder::kMtime;
  const run::Discovered found = Discover(options);
  ASSERT_EQ(found.jobs.size(), 3u);
  ASSERT_EQ(found.note.size(), 3u);
  // Roots are never hidden: .hidden.log given as a root is read; it is the oldest.
  EXPECT_EQ(found.jobs[0].path, dir_.Join("missing"));  // cannot be stat'ed: first
  EXPECT_TRUE(found.jobs[0].skip.has_value());
  EXPECT_EQ(found.jobs[1].path, dir_.Join(".hidden.log"));
  EXPECT_EQ(found.jobs[2].path, dir_.Join("access.log"));
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(found.jobs[i].id, i);
    EXPECT_FALSE(found.note[i]);
  }

  // Hidden entries below a root are notes: the note travels with its job.
  options.paths = {dir_.path().string()};
  const run::Discovered all = Discover(options);
  ASSERT_EQ(all.jobs.size(), Names().size() + 1);
  EXPECT_EQ(all.jobs[0].path, dir_.Join(".hidden.log"));  // the oldest
  EXPECT_TRUE(all.note[0]);
  EXPECT_TRUE(all.jobs[0].skip.has_value());
  for (std::size_t i = 1; i < all.jobs.size(); ++i) EXPECT_FALSE(all.note[i]) << i;
}

}  // namespace
}  // namespace ringflow::run
