// Sharding: which of N shares of a tree a discovered file belongs to, so that N hosts or processes
// that discover the same tree (`--shard K/N`, "source.shard") each read one share and together
// read every file exactly once. Pure functions of names (no file system access), thread-safe.
//
// The rule, exactly (as the README states it):
//   A file's KEY is its path relative to the PATH argument it was found under (the part after
//   "PATH/"; for a PATH that is itself a file, or that could not be walked, its last name), with
//   the last name replaced by NAME when it reads as a rotated member of NAME (rotation.h:
//   NAME.1, NAME.2.gz, NAME-20261201 all have the KEY of NAME). Where several PATHs match, the
//   first given wins.
//   With h = XXH3-64 (seed 0) of the KEY's bytes, the score of shard K (1..N) is the K-th output
//   of the SplitMix64 generator seeded with h: z = h + K * 0x9e3779b97f4a7c15 (mod 2^64), then
//   z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9, z = (z ^ (z >> 27)) * 0x94d049bb133111eb,
//   score = z ^ (z >> 31). The file goes to the shard with the highest score (rendezvous
//   hashing; on a tie, the smaller K).
// Consequences: a file's shard depends on its KEY and N alone, so adding, removing or renaming
// other files moves no file (and logrotate's renames keep a rotated set on its shard); hosts may
// mount the tree at different places as long as each names its mount as PATH; going from N to
// N+1 shards moves only the files the new shard takes (1/(N+1) of them, in expectation). Every
// file (rotated set) lands on each shard with probability 1/N whatever its size, so each shard's
// expected bytes are the total's 1/N: balanced by bytes in expectation, not file by file.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "framework/config/pipeline_config.h"

namespace ringflow::run {

using config::ShardSpec;

// The KEY of `path` (a path as Walk spells it below one of `roots`, the PATH arguments).
// A path below none of them (not from the walk) is its own KEY.
std::string ShardKey(std::string_view path, const std::vector<std::string>& roots);

// The shard (1..count) of the file whose KEY is `key`. REQUIRES: 1 <= count <= kMaxShards.
uint32_t ShardOfKey(std::string_view key, uint32_t count);

// ShardOfKey(ShardKey(path, roots), count).
uint32_t ShardOf(std::string_view path, const std::vector<std::string>& roots, uint32_t count);

// Whether `path` belongs to `shard`; true for every path when !shard.enabled().
bool InShard(std::string_view path, const std::vector<std::string>& roots, const ShardSpec& shard);

}  // namespace ringflow::run
