// Times on the page in the reader's own time zone and locale: each <time datetime="...Z"> the server
// wrote in UTC (a member who chose a time zone in Settings gets it from the server, data-zone="set").
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const shown = new Intl.DateTimeFormat(undefined, {
    day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit", timeZoneName: "short",
  });
  for (const time of document.querySelectorAll("time[datetime]:not([data-zone])")) {
    const at = new Date(time.getAttribute("datetime"));
    if (!Number.isNaN(at.getTime())) {
      time.textContent = shown.format(at);
      time.dataset.zone = "browser";
    }
  }
});
