#!/bin/sh
# check-report-browser.sh RUN_DIR — renders RUN_DIR/report.html in a real
# browser (Debian's headless `chromium`) and checks, through the DOM, that
# every image loaded (complete, with a natural width), and that the page
# logged nothing to the console (the report has no script of its own, so
# any message is an error: a resource that failed to load, a bad page);
# keeps a screenshot of the page as RUN_DIR/report-screenshot.png.
# Exit status: 0 ok, 1 a check failed, 2 bad arguments, 77 SKIPPED
# (chromium is not installed; `make deps-browser` installs it).
# Environment: CHROMIUM (the browser, default chromium on PATH).
dir=$1
if [ -z "$dir" ] || [ ! -f "$dir/report.html" ]; then
    echo "usage: $0 RUN_DIR (a run folder with report.html)" >&2
    exit 2
fi
CHROMIUM=${CHROMIUM:-$(command -v chromium || command -v chromium-browser)}
if [ -z "$CHROMIUM" ]; then
    echo "check-report-browser: SKIPPED: chromium is not installed (make deps-browser)"
    exit 77
fi
abs=$(cd "$dir" && pwd -P)
probe="$abs/.report-probe.html"
log=$(mktemp) || exit 1
trap 'rm -f "$probe" "$log"' EXIT
# The page as it is, with one script appended that writes what it found
# into the DOM once everything has loaded (--dump-dom prints it).
sed 's#</body>#<script>window.addEventListener("load",function(){var b=[];for(var i of document.images){if(!i.complete||i.naturalWidth===0)b.push(i.getAttribute("src"))}var d=document.createElement("pre");d.id="ob-probe";d.textContent="OB-PROBE images="+document.images.length+" broken="+b.length+" "+b.join(" ");document.body.appendChild(d)});</script></body>#' \
    "$abs/report.html" >"$probe" || exit 1
flags="--headless --no-sandbox --disable-gpu --no-first-run --allow-file-access-from-files --hide-scrollbars"
# shellcheck disable=SC2086
dom=$(timeout 120 "$CHROMIUM" $flags --virtual-time-budget=15000 --enable-logging=stderr --v=0 \
    --dump-dom "file://$probe" 2>"$log")
result=$(printf '%s\n' "$dom" | grep -o '<pre id="ob-probe">[^<]*' | head -n 1 | sed 's/^<pre id="ob-probe">//')
status=0
case "$result" in
    "OB-PROBE images="*" broken=0 "*) echo "check-report-browser: ${result#OB-PROBE }" ;;
    "") echo "check-report-browser: FAILED: the page did not finish loading (no probe result)"; status=1 ;;
    *) echo "check-report-browser: FAILED: broken images: ${result#OB-PROBE }"; status=1 ;;
esac
if grep -q 'CONSOLE' "$log"; then
    echo "check-report-browser: FAILED: console messages:"
    grep 'CONSOLE' "$log" | sed 's/^/    /' | head -n 20
    status=1
fi
# shellcheck disable=SC2086
timeout 120 "$CHROMIUM" $flags --window-size=1280,4000 --virtual-time-budget=15000 \
    --screenshot="$abs/report-screenshot.png" "file://$abs/report.html" >/dev/null 2>&1
if [ -s "$abs/report-screenshot.png" ]; then
    echo "check-report-browser: screenshot $abs/report-screenshot.png"
else
    echo "check-report-browser: FAILED: no screenshot"
    status=1
fi
exit $status
