#include "framework/run/shard.h"

#include <optional>

#include "framework/core/xxh3.h"
#include "framework/run/rotation.h"

namespace ringflow::run {
namespace {

// `root` without its trailing slashes, except that "/" stays "/".
std::string_view TrimSlashes(std::string_view root) {
  while (root.size() > 1 && root.back() == '/') root.remove_suffix(1);
  return root;
}

// The part of `path` below `root` as Walk spells it (ROOT, then '/' unless ROOT ends in '/',
// then the names); nullopt when `path` is not below `root`. `path` equal to `root` gives "".
std::optional<std::string_view> Below(std::string_view path, std::string_view root) {
  if (root.empty() || !path.starts_with(root)) return std::nullopt;
  std::string_view rest = path.substr(root.size());
  if (rest.empty()) return rest;
  if (root.back() == '/') return rest;
  if (rest.front() != '/') return std::nullopt;
  return rest.substr(1);
}

uint64_t SplitMix64(uint64_t h, uint32_t k) {
  uint64_t z = h + uint64_t{k} * 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace

std::string ShardKey(std::string_view path, const std::vector<std::string>& roots) {
  std::string_view relative = path;
  for (const std::string& root : roots) {
    const std::optional<std::string_view> below = Below(path, root);
    if (!below) continue;
    relative = *below;
    if (relative.empty()) {
      // The PATH itself (a file, or a root that could not be walked): its last name, so that
      // it does not depend on where the tree is mounted either.
      const std::string_view trimmed = TrimSlashes(root);
      const std::size_t slash = trimmed.rfind('/');
      relative = slash == std::string_view::npos || trimmed.size() == 1 ? trimmed
                                                                        : trimmed.substr(slash + 1);
    }
    break;
  }
  const std::size_t slash = relative.rfind('/');
  const std::string_view dir =
      slash == std::string_view::npos ? std::string_view() : relative.substr(0, slash + 1);
  const std::string_view name =
      slash == std::string_view::npos ? relative : relative.substr(slash + 1);
  // A rotated member goes with NAME, so that a rotated set is read in order on one shard and
  // stays there when logrotate renames its members.
  const std::optional<RotatedName> rotated = ParseRotatedName(name);
  std::string key(dir);
  key += rotated ? rotated->base : name;
  return key;
}

uint32_t ShardOfKey(std::string_view key, uint32_t count) {
  const uint64_t h = Xxh3::Hash(key.data(), key.size());
  uint32_t best = 1;
  uint64_t best_score = SplitMix64(h, 1);
  for (uint32_t k = 2; k <= count; ++k) {
    const uint64_t score = SplitMix64(h, k);
    if (score > best_score) {
      best = k;
      best_score = score;
    }
  }
  return best;
}

uint32_t ShardOf(std::string_view path, const std::vector<std::string>& roots, uint32_t count) {
  return ShardOfKey(ShardKey(path, roots), count);
}

bool InShard(std::string_view path, const std::vector<std::string>& roots, const ShardSpec& shard) {
  if (!shard.enabled()) return true;
  return ShardOf(path, roots, shard.count) == shard.index;
}

}  // namespace ringflow::run
