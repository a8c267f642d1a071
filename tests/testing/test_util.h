// Test helpers: status assertions and a temporary directory that removes itself.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "framework/core/result.h"

#define ASSERT_OK(expr)                                                  \
  do {                                                                   \
    const auto& _st = (expr);                                            \
    ASSERT_TRUE(_st.ok()) << #expr << ": " << _st.error().UserMessage(); \
  } while (0)

#define EXPECT_OK(expr)                                                  \
  do {                                                                   \
    const auto& _st = (expr);                                            \
    EXPECT_TRUE(_st.ok()) << #expr << ": " << _st.error().UserMessage(); \
  } while (0)

#define ASSERT_OK_AND_ASSIGN(lhs, rexpr) \
  ASSERT_OK_AND_ASSIGN_IMPL(RINGFLOW_CONCAT(_rf_test_result_, __LINE__), lhs, rexpr)
#define ASSERT_OK_AND_ASSIGN_IMPL(tmp, lhs, rexpr)                      \
  auto tmp = (rexpr);                                                   \
  ASSERT_TRUE(tmp.ok()) << #rexpr << ": " << tmp.error().UserMessage(); \
  lhs = std::move(tmp).value()

namespace ringflow::testing {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "ringflow-test-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) std::abort();
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }
  std::string Join(std::string_view name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

inline void WriteFile(const std::string& path, std::string_view content) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  if (!out) std::abort();
}

// Deterministic bytes: lines of varying length, so chunk boundaries fall inside lines.
inline std::string MakeContent(std::size_t size, uint32_t seed = 1) {
  std::string out;
  out.reserve(size);
  uint32_t x = seed * 2654435761u + 1;
  while (out.size() < size) {
    x = x * 1664525u + 1013904223u;
    const std::size_t len = 1 + (x >> 24) % 120;
    for (std::size_t i = 0; i < len && out.size() < size; ++i) {
      out.push_back(static_cast<char>('a' + (x >> (i % 24)) % 26));
    }
    if (out.size() < size) out.push_back('\n');
  }
  return out;
}

}  // namespace ringflow::testing
