// The pages' shared time and message modules (ui_common/): node --test tests/js.
import assert from "node:assert/strict";
import { test } from "node:test";

import { LOCALES, pickLocale, t, use } from "../../ui_common/i18n.js";
import { createServerClock, formatDate, formatDateTime, formatDuration, formatTime, isRfc3339 }
  from "../../ui_common/time.js";

test("a time is shown with its zone abbreviation, in the viewer's zone", () => {
  assert.equal(formatTime("2026-12-07T17:03:00Z", { locale: "en-US", timeZone: "America/New_York" }), "12:03 PM EST");
  assert.match(formatTime("2026-12-07T17:03:00+00:00", { locale: "en-GB", timeZone: "Europe/London" }),
               /^17:03 GMT$/);
  assert.match(formatDateTime("2026-12-07T17:03:00Z", { locale: "da-DK", timeZone: "Europe/Copenhagen" }),
               /7\. dec\. 2026.*18[.:]03.*CET/);
  assert.equal(formatTime("2026-12-07T17:03:58Z", { locale: "en-GB", timeZone: "UTC", seconds: true }),
               "17:03:58 UTC");
  assert.equal(formatTime("not a time"), "");
  assert.equal(formatTime(null), "");
});

test("a calendar date is never shifted by the viewer's zone", () => {
  assert.equal(formatDate("2026-12-07", { locale: "en-US", timeZone: "Pacific/Honolulu" }), "Dec 7, 2026");
});

test("durations and RFC 3339", () => {
  assert.equal(formatDuration(59 * 60_000 + 7_000), "59:07");
  assert.equal(formatDuration(3_723_000), "1:02:03");
  assert.equal(formatDuration(-5), "0:00");
  assert.equal(isRfc3339("2026-12-07T17:03:00Z"), true);
  assert.equal(isRfc3339("2026-12-07T17:03:00.123+01:00"), true);
  assert.equal(isRfc3339("2026-12-07 17:03:00+00:00"), false);
  assert.equal(isRfc3339("2026-12-07T17:03:00"), false);
});

test("the server's clock counts on from its last answer, whatever the screen's clock says", () => {
  let mono = 1_000;
  const clock = createServerClock({ monotonic: () => mono });
  assert.equal(clock.known(), false);
  clock.sync("2026-12-07T17:00:00Z");
  mono += 90_000;
  assert.equal(clock.now().toISOString(), "2026-12-07T17:01:30.000Z");
});

test("messages: the locale's text, en-US's when missing, parameters filled in", () => {
  use("fr-CA", { hello: "Bonjour {name}" }, { hello: "Hello {name}", bye: "Bye" });
  assert.equal(t("hello", { name: "Ana" }), "Bonjour Ana");
  assert.equal(t("bye"), "Bye");
  assert.equal(t("missing.key"), "missing.key");
  assert.equal(t("hello"), "Bonjour {name}");
});

test("a wish picks a supported locale", () => {
  assert.equal(pickLocale(null, ["fr-FR", "en-US"]), "fr-CA");
  assert.equal(pickLocale("da-DK"), "da-DK");
  assert.equal(pickLocale(undefined, ["de-DE"]), "en-US");
  assert.deepEqual(LOCALES, ["en-US", "en-CA", "fr-CA", "en-GB", "da-DK", "en-AU"]);
});
