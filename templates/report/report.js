// fleet health report: filtering and expand/collapse. Works without it (plain HTML otherwise).
(function () {
  "use strict";
  var practices = Array.prototype.slice.call(document.querySelectorAll("details.practice"));
  var filter = document.getElementById("filter");
  var onlyProblems = document.getElementById("only-problems");

  function apply() {
    var q = (filter && filter.value || "").trim().toLowerCase();
    var problemsOnly = onlyProblems && onlyProblems.checked;
    practices.forEach(function (el) {
      var hit = !q || (el.getAttribute("data-search") || "").indexOf(q) !== -1;
      if (problemsOnly && el.getAttribute("data-worst") === "OK") { hit = false; }
      el.classList.toggle("hidden", !hit);
    });
    document.querySelectorAll(".client").forEach(function (c) {
      var shown = c.querySelectorAll("details.practice:not(.hidden)").length;
      c.classList.toggle("hidden", shown === 0);
    });
  }

  function setAll(open) {
    practices.forEach(function (el) {
      if (!el.classList.contains("hidden")) { el.open = open; }
    });
  }

  if (filter) { filter.addEventListener("input", apply); }
  if (onlyProblems) { onlyProblems.addEventListener("change", apply); }
  var ex = document.getElementById("expand-all");
  var co = document.getElementById("collapse-all");
  if (ex) { ex.addEventListener("click", function () { setAll(true); }); }
  if (co) { co.addEventListener("click", function () { setAll(false); }); }

  // Printing shows what is on screen, with every practice that has a problem opened.
  window.addEventListener("beforeprint", function () {
    practices.forEach(function (el) {
      if (el.getAttribute("data-worst") !== "OK") { el.open = true; }
    });
  });
})();
