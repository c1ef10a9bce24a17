// Gatehouse console: progressive enhancement only. Every page works
// without this file; it adds copy buttons and price prefilling.
"use strict";
document.addEventListener("click", function (e) {
  var b = e.target.closest("button[data-copy]");
  if (!b) return;
  var el = document.getElementById(b.getAttribute("data-copy"));
  if (!el || !navigator.clipboard) return;
  navigator.clipboard.writeText(el.textContent.trim()).then(function () {
    b.textContent = "Copied";
  });
});
// The alias form's model field: when a catalogue model is chosen, fill
// in its price (still editable).
document.addEventListener("change", function (e) {
  var inp = e.target;
  if (!inp.matches || !inp.matches("input[list=catalogue]")) return;
  var opt = document.querySelector('#catalogue option[value="' + CSS.escape(inp.value) + '"]');
  if (!opt) return;
  var i = document.getElementById("input_per_million"), o = document.getElementById("output_per_million");
  if (i) i.value = opt.getAttribute("data-in");
  if (o) o.value = opt.getAttribute("data-out");
});
