// Behaviour every page may use, kept out of the HTML so the Content-Security-Policy can
// refuse inline script: a checkbox with data-tick-all="NAME" ticks every input named NAME.
addEventListener("DOMContentLoaded", () => {
  for (const all of document.querySelectorAll("input[data-tick-all]")) {
    all.addEventListener("click", () => {
      for (const box of document.querySelectorAll(`input[name="${all.dataset.tickAll}"]`)) {
        box.checked = all.checked;
      }
    });
  }
});
