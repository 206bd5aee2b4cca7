#!/bin/sh
# Runs tern's tests against the sanitizer build and prints one summary line:
#   N passed, N failed
# Usage: scripts/run-tests.sh [unit|integration|fuzz ...]   (default: all three, in that order)
# Environment: F=glob filters unit tests (criterion --filter), K=expr filters integration
# tests (pytest -k), FUZZ_SECONDS sets the time per fuzz target (default 10).
set -u
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-/usr/bin/python3}
FUZZ_SECONDS=${FUZZ_SECONDS:-10}
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export LSAN_OPTIONS="suppressions=$(pwd)/tests/lsan.supp:print_suppressions=0"

passed=0
failed=0
logdir=build/test-logs
mkdir -p "$logdir"

run_unit() {
	echo "== unit tests (criterion, ASan+UBSan)"
	out="$logdir/unit.log"
	if [ -n "${F:-}" ]; then
		build/asan/unit-tests --filter "$F" -j2 >"$out" 2>&1
	else
		build/asan/unit-tests -j2 >"$out" 2>&1
	fi
	rc=$?
	grep -vE '^\[====\] Synthesis' "$out" | grep -E 'FAIL|ERROR|CRASH|Assertion|runtime error|Sanitizer|leak' | head -n 200
	syn=$(grep 'Synthesis:' "$out" | tail -n 1)
	echo "$syn"
	p=$(echo "$syn" | sed -n 's/.*Passing: \([0-9]*\).*/\1/p')
	f=$(echo "$syn" | sed -n 's/.*Failing: \([0-9]*\).*/\1/p')
	c=$(echo "$syn" | sed -n 's/.*Crashing: \([0-9]*\).*/\1/p')
	p=${p:-0}; f=${f:-0}; c=${c:-0}
	if [ -z "$syn" ] || { [ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && [ "$c" -eq 0 ]; }; then
		echo "unit test run failed (exit $rc), see $out"
		tail -n 40 "$out"
		f=$((f + 1))
	fi
	# LeakSanitizer runs when a test's worker exits, after Criterion has recorded a pass,
	# so sanitizer reports are counted here as failures of their own.
	san=$(grep -cE 'ERROR: (Leak|Address|Thread|Memory)Sanitizer|runtime error:' "$out")
	if [ "$san" -gt 0 ]; then
		echo "unit tests: $san sanitizer report(s), see $out"
		grep -B2 -A12 -E 'ERROR: (Leak|Address)Sanitizer' "$out" | head -n 80
	fi
	passed=$((passed + p - san))
	failed=$((failed + f + c + san))
}

run_integration() {
	echo "== integration tests (pytest, real binary build/asan/tern)"
	out="$logdir/integration.log"
	if [ -n "${K:-}" ]; then
		$PYTHON -m pytest -q -p no:cacheprovider -k "$K" tests/integration >"$out" 2>&1
	else
		$PYTHON -m pytest -q -p no:cacheprovider tests/integration >"$out" 2>&1
	fi
	rc=$?
	# pytest ends with e.g. "12 passed, 1 failed, 2 errors in 3.2s".
	summary=$(tail -n 1 "$out")
	grep -E '^(FAILED|ERROR) ' "$out" | head -n 100
	echo "$summary"
	p=$(echo "$summary" | grep -oE '[0-9]+ passed' | grep -oE '[0-9]+')
	f=$(echo "$summary" | grep -oE '[0-9]+ failed' | grep -oE '[0-9]+')
	e=$(echo "$summary" | grep -oE '[0-9]+ error' | grep -oE '[0-9]+')
	p=${p:-0}; f=${f:-0}; e=${e:-0}
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && [ "$e" -eq 0 ]; then
		if [ "$rc" -ne 5 ]; then # 5: no tests collected
			echo "integration test run failed (exit $rc), see $out"
			tail -n 40 "$out"
			f=1
		fi
	fi
	if [ "$f" -gt 0 ] || [ "$e" -gt 0 ]; then
		sed -n '/= FAILURES =/,$p' "$out" | head -n 300
	fi
	passed=$((passed + p))
	failed=$((failed + f + e))
}

run_fuzz() {
	echo "== fuzz smoke (${FUZZ_SECONDS}s per target)"
	for fz in build/fuzz/*; do
		[ -f "$fz" ] && [ -x "$fz" ] || continue
		name=$(basename "$fz")
		corpus="fuzz/corpus/$name"
		work="$logdir/fuzz-$name"
		rm -rf "$work" && mkdir -p "$work"
		[ -d "$corpus" ] && cp -r "$corpus/." "$work/"
		if "$fz" -max_total_time="$FUZZ_SECONDS" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
			-artifact_prefix="$logdir/fuzz-$name-" "$work" >"$logdir/fuzz-$name.log" 2>&1; then
			echo "fuzz $name: ok ($(grep -oE 'stat::number_of_executed_units: [0-9]+' "$logdir/fuzz-$name.log" | grep -oE '[0-9]+' || echo '?') runs)"
			passed=$((passed + 1))
		else
			echo "fuzz $name: FAILED"
			tail -n 60 "$logdir/fuzz-$name.log"
			failed=$((failed + 1))
		fi
	done
}

parts=${*:-unit integration fuzz}
for part in $parts; do
	case "$part" in
	unit) run_unit ;;
	integration) run_integration ;;
	fuzz) run_fuzz ;;
	*) echo "unknown test part: $part" >&2; exit 2 ;;
	esac
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
