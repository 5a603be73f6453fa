/**
 * What `formatClock` writes, as a regular expression source for tests on the real clock: "14:32" or
 * "9:41 AM" today, and with the day in front ("Dec 2 12:01 AM", "2 Dec 00:01") once the time is past
 * midnight. A test that runs at 23:30 with an hour's token sees the second form.
 */
export const clockPattern = String.raw`(?:(?:[A-Z][a-z]{2} \d{1,2}(?:, \d{4})?|\d{1,2} [A-Z][a-z]{2}(?: \d{4})?) )?\d{1,2}:\d{2}(?: [AP]M)?`
