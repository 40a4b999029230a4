// A "Copy" button beside a value to paste elsewhere (data-copy names the element whose text it copies);
// it says what it did in its own live region, for a screen reader as for the eye.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll("button[data-copy]")) {
    const said = document.getElementById(button.dataset.copy + "-copied");
    button.hidden = false;                     // without scripts, the address is there to select by hand
    button.addEventListener("click", async () => {
      const text = document.getElementById(button.dataset.copy).textContent.trim();
      try {
        await navigator.clipboard.writeText(text);
        said.textContent = "Copied.";
      } catch {
        said.textContent = "Select the address and copy it (this browser did not let the page copy it).";
      }
    });
  }
});
