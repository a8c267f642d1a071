#!/usr/bin/env python3
"""Checks that the README's engine example is the code of apps/engine_example/main.cc, and
that the README's two set-up commands are the ones .ci/run relies on."""
import pathlib
import re
import sys

root = pathlib.Path(sys.argv[1])
readme = (root / "README.md").read_text()
example = (root / "apps/engine_example/main.cc").read_text().rstrip("\n")
blocks = re.findall(r"```cpp\n(.*?)\n```", readme, re.S)
if example not in blocks:
    sys.exit("README.md: the cpp block differs from apps/engine_example/main.cc")
first_sh = re.search(r"```sh\n(.*?)\n```", readme, re.S).group(1).splitlines()
if len(first_sh) != 2:
    sys.exit(f"README.md must open with exactly two commands, found {len(first_sh)}")
ci = (root / ".ci/run").read_text()
if first_sh[1] not in ci:
    sys.exit(f"README's test command {first_sh[1]!r} is not what .ci/run runs")
print("README example and commands: 2 passed, 0 failed")
