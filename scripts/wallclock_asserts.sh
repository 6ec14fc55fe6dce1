#!/bin/sh
# Lists the wall-clock assertions in tests/ whose bound is under 1 s and that do not say why they
# are safe; exits 1 if there is any, 0 if none. Run from anywhere: scripts/wallclock_asserts.sh
#
# What it looks for, line by line in tests/**/*.py (a grep, not a parser):
#   - an `assert` line that names a clock or a time measured with one (monotonic(, perf_counter(,
#     time.time(, or a name elapsed, took, spent, seconds, duration, started, ended), compares
#     (<, <=, >, >=) and holds a decimal literal below 1 (0.5, .25, 0.9; not part of a longer
#     number or name, nor a format such as {x:.2f});
#   - an `assert` line that gives a wait such a literal: timeout=0.5, .wait(0.5), .join(0.5),
#     select.select(..., 0.5) (it asserts that something happened within that time);
#   - a line that sets a deadline as monotonic() plus such a literal (its assert is elsewhere).
# A line is safe, and not listed, when it carries a comment (`#` after the code) that says
# `median` (the bound is at least ten times the median it measures, say where measured) or
# `lower bound` (the time can only grow on a slower machine).
# What it cannot see: bounds named by a constant or computed (MAX_BLOCK_SECONDS + 0.5 is seen, a
# bare MAX_BLOCK_SECONDS is not), and an assert split over several lines past its first. Those
# still answer to the rule in the issue: no bound tighter than ten times the median it measures.
set -eu
cd "$(dirname "$0")/.."

clock='monotonic\(|perf_counter\(|time\.time\(|\b(elapsed|took|spent|seconds|duration|started|ended)\b'
below_one='(?<![\w.:])0?\.[0-9]+(?![\w.])'
waits="(timeout\s*=\s*|\.wait\(\s*|\.join\(\s*|select\.select\(.*,\s*)${below_one}"
found=$(
    {
        grep -rnP --include='*.py' "^\s*assert\b(?=.*[<>])(?=.*(${clock})).*${below_one}" tests || true
        grep -rnP --include='*.py' "^\s*assert\b.*${waits}" tests || true
        grep -rnP --include='*.py' "deadline\s*=.*monotonic\(\)\s*\+\s*${below_one}" tests || true
    } | grep -vP '#.*(median|lower bound)' | sort -t: -k1,1 -k2,2n -u
)
if [ -n "$found" ]; then
    printf '%s\n' "$found"
    printf '%s wall-clock assertion(s) under 1 s without a comment saying why they are safe\n' \
        "$(printf '%s\n' "$found" | wc -l)" >&2
    exit 1
fi
echo "no wall-clock assertion under 1 s without a comment saying why it is safe"
